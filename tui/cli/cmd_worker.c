#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/auth.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/model_json.h"

enum { OPT_NAME = CLI_OPT__COMMAND, OPT_ROLE, OPT_TTL };

#define CREATE_NOTE "Store this token in your CI secrets as POWERNODE_CI_WORKER_TOKEN. " \
		    "Not recoverable — rotate to get a new one."
#define ROTATE_NOTE "Store this token now — old token is revoked. Update CI immediately."

struct args {
	const char *name;
	const char *role;
	const char *ttl;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_NAME: a->name = arg; break;
	case OPT_ROLE: a->role = arg; break;
	case OPT_TTL: a->ttl = arg; break;
	}
	return 0;
}

static void
forget(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
show_token(struct cli *c, const dk_worker *w, const char *token, const char *done,
	   const char *note)
{
	if (c->json) {
		cli_print_json(json_pack("{s:o, s:s, s:s}", "ci_worker", dk_worker_to_json(w),
					 "token_plaintext", token, "note", note));
		return;
	}
	printf("CI worker %s %s\n\n", w->name, done);
	cli_kv(stdout, "id", w->id);
	cli_kv(stdout, "token", token);
	printf("\n%s\n", note);
}

int
cmd_worker_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME }, CLI_COMMON_OPTIONS
	};
	struct args a = { 0 };
	dk_worker *w = NULL;
	char *token = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (argc - optind == 1 && !a.name)
		a.name = argv[optind];
	else if (argc - optind != 0 || !a.name)
		return cli_usage_error(c, "give the worker's --name");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_worker_create(c->store, &w, &token, c->account->id, a.name, cli_actor())) < 0)
		goto done;
	show_token(c, w, token, "created", CREATE_NOTE);
done:
	forget(token);
	dk_worker_free(w);
	return rc;
}

int
cmd_worker_rotate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_worker *w = NULL;
	char *token = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one worker ID or NAME");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = cli_confirm(c, "Rotate the token of CI worker %s? The old token stops working "
			      "at once", argv[optind])) < 0 ||
	    (rc = dk_worker_rotate(c->store, &w, &token, c->account->id, argv[optind],
				   cli_actor())) < 0)
		goto done;
	show_token(c, w, token, "rotated", ROTATE_NOTE);
done:
	forget(token);
	dk_worker_free(w);
	return rc;
}

int
cmd_worker_revoke(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_worker *w = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one worker ID or NAME");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = cli_confirm(c, "Revoke CI worker %s?", argv[optind])) < 0 ||
	    (rc = dk_worker_revoke(c->store, &w, c->account->id, argv[optind], cli_actor())) < 0)
		return rc;
	if (c->json)
		cli_print_json(dk_worker_to_json(w));
	else
		printf("CI worker revoked: %s (%s)\n", w->name, w->id);
	dk_worker_free(w);
	return 0;
}

int
cmd_worker_terminate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_worker *w = NULL;
	int rc, released = 0;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one worker ID or NAME");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = cli_confirm(c, "Terminate CI worker %s? Its token stops working at once and it "
			      "cannot be rotated or reactivated", argv[optind])) < 0 ||
	    (rc = dk_worker_terminate(c->store, &w, &released, c->account->id, argv[optind],
				      cli_actor())) < 0)
		return rc;
	if (c->json) {
		cli_print_json(json_pack("{s:b, s:s, s:i, s:o}", "revoked", 1, "worker_id", w->id,
					 "released_jobs", released, "ci_worker", dk_worker_to_json(w)));
	} else {
		printf("CI worker terminated: %s (%s)\n", w->name, w->id);
		printf("its token no longer works; %d leased job%s back in the queue\n", released,
		       released == 1 ? "" : "s");
	}
	dk_worker_free(w);
	return 0;
}

int
cmd_worker_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	static const char *const headers[] = { "ID", "NAME", "STATUS", "LAST SEEN" };
	dk_worker_list *l = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0 || (rc = dk_store_worker_list(c->store, &l, c->account->id)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_worker_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no CI workers; create one with `diskops worker create --name ci`\n");
	} else {
		struct table *t = table_new(4, headers);

		for (size_t i = 0; i < l->count; i++) {
			char id[9], age[24];
			const char *row[4] = { cli_short(id, l->items[i].id, 8), l->items[i].name,
					       l->items[i].terminated_at ? "terminated"
					       : l->items[i].status,
					       dk_clock_age(age, l->items[i].last_seen_at) };

			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_worker_list_free(l);
	return 0;
}

int
cmd_token_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "ttl", required_argument, NULL, OPT_TTL },
		CLI_COMMON_OPTIONS
	};
	struct args a = { .ttl = "30d" };
	unsigned char *key = NULL;
	size_t keylen = 0;
	char *token = NULL;
	int64_t ttl;
	dk_role role;
	json_t *payload = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc || !a.name || !a.role)
		return cli_usage_error(c, "give --name and --role viewer|operator|admin");
	if ((rc = dk_role_parse(&role, a.role)) < 0 ||
	    (rc = dk_clock_parse_duration(&ttl, a.ttl)) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	if (ttl <= 0)
		return cli_usage_error(c, "--ttl must be positive");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_auth_key_load(&key, &keylen, c->cfg->state_dir)) < 0 ||
	    (rc = dk_auth_token_issue(&token, key, keylen, a.name, c->account->id, role, ttl)) < 0)
		goto done;
	payload = json_pack("{s:s, s:s, s:I}", "name", a.name, "role", a.role, "ttl_seconds",
			    (json_int_t)ttl);
	dk_event_emit(c->store, c->account->id, "system.api_token_created", "info", cli_actor(),
		      NULL, payload);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:s, s:s, s:I}", "token", token, "name", a.name,
					 "role", a.role, "expires_in", (json_int_t)ttl));
	else
		printf("%s\n", token);
done:
	json_decref(payload);
	forget(token);
	if (key)
		explicit_bzero(key, keylen);
	free(key);
	return rc;
}
