#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/model_json.h"
#include "diskops/process.h"
#include "diskops/valid.h"

enum { OPT_STATE = CLI_OPT__COMMAND, OPT_LIMIT };

struct args {
	const char *state;
	int limit;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_STATE:
		if (strcmp(arg, "ready") && strcmp(arg, "leased") && strcmp(arg, "done") &&
		    strcmp(arg, "dead"))
			return dk_error_set(DK_EINVALID, "state \"%s\" is not one of ready, leased, "
					    "done, dead", arg);
		a->state = arg;
		break;
	case OPT_LIMIT: return dk_parse_int(&a->limit, "limit", arg, 1, 1000);
	}
	return 0;
}

int
cmd_jobs_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = {
		"ID", "KIND", "SUBJECT", "STATE", "ATTEMPTS", "RUN AFTER", "LAST ERROR"
	};
	struct args a = { NULL, 50 };
	dk_job_filter f = { 0 };
	dk_job_list *l = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0)
		return rc;
	f.account_id = c->account->id;
	f.state = a.state;
	f.limit = a.limit;
	if ((rc = dk_store_job_list(c->store, &l, &f)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_job_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no jobs\n");
	} else {
		struct table *t = table_new(7, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_job *j = &l->items[i];
			char id[24], subject[9], attempts[12], when[32];
			const char *row[7];

			snprintf(id, sizeof(id), "%lld", (long long)j->id);
			snprintf(attempts, sizeof(attempts), "%d", j->attempts);
			row[0] = id;
			row[1] = j->kind;
			row[2] = cli_short(subject, j->subject_id, 8);
			row[3] = j->state;
			row[4] = attempts;
			row[5] = strcmp(j->state, "ready") == 0 ? dk_clock_iso(when, j->run_after) : "-";
			row[6] = j->last_error;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_job_list_free(l);
	return 0;
}

int
cmd_jobs_retry(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	char *end;
	long long id;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one job ID");
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0)
		return cli_usage_error(c, "job ID \"%s\" is not a positive number", argv[optind]);
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_job_retry(c->store, c->account->id, id, dk_clock_now())) < 0)
		return rc;
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "ready"));
	else
		printf("job %lld queued again\n", id);
	return 0;
}

int
cmd_publication_process(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_process_result r = { 0 };
	dk_publication *p = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one publication ID");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_publication_get(c->store, &p, c->account->id, argv[optind])) < 0 ||
	    (rc = dk_process_publication(c->store, &r, c->account->id, p->id, cli_actor())) < 0)
		goto done;
	if (c->json) {
		cli_print_json(json_pack("{s:s, s:s, s:o, s:b, s:o}", "publication_id", p->id,
					 "publication_status", dk_pub_status_name(r.status),
					 "git_sha", dk_json_str(r.git_sha), "idempotent_hit",
					 r.idempotent_hit, "error", dk_json_str(r.error_message)));
	} else if (r.idempotent_hit) {
		printf("publication %s is published already; nothing to do\n", p->id);
	} else {
		printf("publication %s: %s%s%s\n", p->id, dk_pub_status_name(r.status),
		       r.error_message ? ": " : "", r.error_message ? r.error_message : "");
	}
	if (r.status != DK_PUB_PUBLISHED)
		rc = dk_error_set(DK_ERROR, "publication %s was not published: %s", p->id,
				  r.error_message ? r.error_message : dk_pub_status_name(r.status));
done:
	dk_process_result_clear(&r);
	dk_publication_free(p);
	return rc;
}
