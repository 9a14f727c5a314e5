/* diskops dispatch, runs list, runs show: Gitea Actions runs of a build repo. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_gitea.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/valid.h"

enum {
	OPT_REF = CLI_OPT__COMMAND,
	OPT_INPUT,
	OPT_WORKFLOW,
	OPT_STATUS,
	OPT_EVENT,
	OPT_BRANCH,
	OPT_LIMIT,
};

struct gitea_flags {
	const char *repo, *platform, *ref, *workflow, *event, *branch;
	const char *inputs[33];
	size_t ninputs;
	const char *status[17];
	size_t nstatus;
	int limit;
};

static int
gitea_flag(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct gitea_flags *f = ctx;

	switch (opt) {
	case CLI_GITEA_OPT_REPO: f->repo = arg; break;
	case CLI_GITEA_OPT_PLATFORM: f->platform = arg; break;
	case OPT_REF: f->ref = arg; break;
	case OPT_WORKFLOW: f->workflow = arg; break;
	case OPT_EVENT: f->event = arg; break;
	case OPT_BRANCH: f->branch = arg; break;
	case OPT_INPUT:
		if (!strchr(arg, '=') || arg[0] == '=')
			return cli_usage_error(c, "input \"%s\" is not key=value", arg);
		if (f->ninputs == 32)
			return cli_usage_error(c, "at most 32 inputs");
		f->inputs[f->ninputs++] = arg;
		break;
	case OPT_STATUS:
		if (f->nstatus == 16)
			return cli_usage_error(c, "at most 16 --status");
		f->status[f->nstatus++] = arg;
		break;
	case OPT_LIMIT:
		return dk_parse_int(&f->limit, "limit", arg, 1, 1000) < 0
			       ? cli_usage_error(c, "%s", dk_error_last()->message) : 0;
	}
	return 0;
}

/* -i key=value is the documented short form; cli_parse knows long flags only. */
static char **
expand_short_inputs(int argc, char **argv)
{
	char **out = calloc((size_t)argc + 1, sizeof(*out));

	if (!out)
		return NULL;
	for (int i = 0; i < argc; i++)
		out[i] = strcmp(argv[i], "-i") == 0 ? (char *)"--input" : argv[i];
	return out;
}

static json_t *
run_json(const dk_gitea_run *r)
{
	char started[32], completed[32];

	return json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?,"
			 " s:s, s:s}",
			 "id", (json_int_t)r->id, "run_number", (json_int_t)r->run_number,
			 "run_attempt", (json_int_t)r->run_attempt, "path", r->path,
			 "event", r->event, "status", r->status, "conclusion", r->conclusion,
			 "head_branch", r->head_branch, "head_sha", r->head_sha,
			 "display_title", r->display_title, "actor", r->actor,
			 "started_at", r->started_at ? dk_clock_iso(started, r->started_at) : NULL,
			 "completed_at", r->completed_at ? dk_clock_iso(completed, r->completed_at)
							 : NULL,
			 "url", r->url, "html_url", r->html_url);
}

/* What an operator wants in one word: the conclusion once done, else the status. */
static const char *
state_word(const char *status, const char *conclusion)
{
	return dk_gitea_status_done(status) && conclusion && *conclusion ? conclusion : status;
}

int
cmd_dispatch(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GITEA_OPTIONS,
		{ "ref", required_argument, NULL, OPT_REF },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "workflow", required_argument, NULL, OPT_WORKFLOW },
		CLI_COMMON_OPTIONS
	};
	struct gitea_flags f = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitea_dispatch_opts o = { 0 };
	dk_gitea_dispatch_result *res = NULL;
	dk_gitea *g = NULL;
	char **args = expand_short_inputs(argc, argv);
	int rc;

	if (!args)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = cli_parse(c, argc, args, opts, gitea_flag, &f)) != 0)
		goto done;
	if (optind < argc) {
		rc = cli_usage_error(c, "unexpected argument \"%s\"", args[optind]);
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0)
		goto done;
	o.ref = f.ref ? f.ref : "refs/heads/main";
	o.inputs = f.inputs;
	if ((rc = dk_gitea_dispatch(g, &res, repo.owner, repo.name,
				    f.workflow ? f.workflow : repo.workflow, &o)) < 0)
		goto done;
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "repo", "", "workflow",
				      f.workflow ? f.workflow : repo.workflow, "ref", o.ref);

		json_object_set_new(j, "repo", json_sprintf("%s/%s", repo.owner, repo.name));
		json_object_set_new(j, "run_id", res->run_id ? json_integer(res->run_id) : json_null());
		json_object_set_new(j, "run_url", res->run_url ? json_string(res->run_url) : json_null());
		json_object_set_new(j, "html_url", res->html_url ? json_string(res->html_url)
								 : json_null());
		json_object_set_new(j, "found_by_polling", json_boolean(res->found_by_polling));
		cli_print_json(j);
	} else if (res->run_id) {
		printf("run %lld dispatched\n", (long long)res->run_id);
		printf("%s\n", res->html_url);
		fprintf(stderr, "follow it with `diskops runs show %lld --repo %s/%s`\n",
			(long long)res->run_id, repo.owner, repo.name);
	} else {
		printf("dispatched\n");
		fprintf(stderr, "Gitea did not say which run it started (it only does from 1.26) and "
			"none turned up in its runs list yet: see `diskops runs list --repo %s/%s`\n",
			repo.owner, repo.name);
	}
	rc = 0;
done:
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	free(args);
	return rc;
}

int
cmd_runs_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GITEA_OPTIONS,
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "event", required_argument, NULL, OPT_EVENT },
		{ "branch", required_argument, NULL, OPT_BRANCH },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = {
		"ID", "#", "STATE", "WORKFLOW", "EVENT", "BRANCH", "SHA", "STARTED", "TOOK", "TITLE"
	};
	struct gitea_flags f = { .limit = 20 };
	struct cli_repo repo = { 0 };
	dk_gitea_run_filter filter = { 0 };
	dk_gitea_run_list *l = NULL;
	dk_gitea *g = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, gitea_flag, &f)) != 0)
		goto done;
	if (optind < argc) {
		rc = cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0)
		goto done;
	filter.status = f.nstatus ? f.status : NULL;
	filter.event = f.event;
	filter.branch = f.branch;
	filter.max = (size_t)f.limit;
	if ((rc = dk_gitea_run_list_get(g, &l, repo.owner, repo.name, &filter)) < 0)
		goto done;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, run_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no workflow runs in %s/%s%s\n", repo.owner, repo.name,
			f.nstatus || f.event || f.branch ? " matching the filter" : "");
	} else {
		struct table *t = table_new(10, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_gitea_run *r = &l->items[i];
			char id[24], num[24], sha[13], age[24], took[16], wf[128], title[64];
			const char *row[10];

			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			snprintf(num, sizeof(num), "%lld", (long long)r->run_number);
			snprintf(wf, sizeof(wf), "%.*s", (int)strcspn(r->path, "@"), r->path);
			row[0] = id;
			row[1] = num;
			row[2] = state_word(r->status, r->conclusion);
			row[3] = wf;
			row[4] = r->event;
			row[5] = *r->head_branch ? r->head_branch : NULL;
			row[6] = cli_short(sha, r->head_sha, 12);
			row[7] = dk_clock_age(age, r->started_at);
			row[8] = cli_duration(took, r->started_at,
					      r->completed_at ? r->completed_at : dk_clock_now());
			row[9] = cli_short(title, r->display_title, 50);
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	rc = 0;
done:
	dk_gitea_run_list_free(l);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}

static json_t *
job_json(const dk_gitea_job *j)
{
	char a[32], b[32];
	json_t *steps = json_array(), *labels = json_array();

	for (size_t i = 0; i < j->nlabels; i++)
		json_array_append_new(labels, json_string(j->labels[i]));
	for (size_t i = 0; i < j->nsteps; i++) {
		const dk_gitea_step *s = &j->steps[i];

		json_array_append_new(steps, json_pack(
			"{s:I, s:s, s:s, s:s, s:s?, s:s?}", "number", (json_int_t)s->number,
			"name", s->name, "status", s->status, "conclusion", s->conclusion,
			"started_at", s->started_at ? dk_clock_iso(a, s->started_at) : NULL,
			"completed_at", s->completed_at ? dk_clock_iso(b, s->completed_at) : NULL));
	}
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:s?, s:s?, s:o}",
			 "id", (json_int_t)j->id, "name", j->name, "status", j->status,
			 "conclusion", j->conclusion, "labels", labels, "runner_name", j->runner_name,
			 "started_at", j->started_at ? dk_clock_iso(a, j->started_at) : NULL,
			 "completed_at", j->completed_at ? dk_clock_iso(b, j->completed_at) : NULL,
			 "steps", steps);
}

int
cmd_runs_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_GITEA_OPTIONS, CLI_COMMON_OPTIONS };
	struct gitea_flags f = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitea_run *run = NULL;
	dk_gitea_job_list *jobs = NULL;
	dk_gitea *g = NULL;
	long long id;
	char *end;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, gitea_flag, &f)) != 0)
		goto done;
	if (argc - optind != 1) {
		rc = cli_usage_error(c, "give exactly one RUN id");
		goto done;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0) {
		rc = cli_usage_error(c, "RUN \"%s\" is not a run id (a number; see `diskops runs "
				     "list`)", argv[optind]);
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0 ||
	    (rc = dk_gitea_run_get(g, &run, repo.owner, repo.name, id)) < 0 ||
	    (rc = dk_gitea_job_list_get(g, &jobs, repo.owner, repo.name, id)) < 0)
		goto done;
	if (c->json) {
		json_t *j = run_json(run), *arr = json_array();

		for (size_t i = 0; i < jobs->count; i++)
			json_array_append_new(arr, job_json(&jobs->items[i]));
		json_object_set_new(j, "jobs", arr);
		cli_print_json(j);
	} else {
		char buf[64], took[16];
		int64_t now = dk_clock_now();

		snprintf(buf, sizeof(buf), "%lld (#%lld, attempt %lld)", (long long)run->id,
			 (long long)run->run_number, (long long)run->run_attempt);
		cli_kv(stdout, "run", buf);
		cli_kv(stdout, "state", state_word(run->status, run->conclusion));
		cli_kv(stdout, "workflow", run->path);
		cli_kv(stdout, "event", run->event);
		cli_kv(stdout, "commit", run->head_sha);
		cli_kv(stdout, "title", run->display_title);
		cli_kv(stdout, "actor", run->actor);
		cli_kv(stdout, "started", run->started_at ? dk_clock_iso(buf, run->started_at) : NULL);
		cli_kv(stdout, "took", cli_duration(took, run->started_at,
						    run->completed_at ? run->completed_at : now));
		cli_kv(stdout, "url", run->html_url);
		for (size_t i = 0; i < jobs->count; i++) {
			const dk_gitea_job *j = &jobs->items[i];

			printf("\njob %lld  %s  %s  %s%s%s\n", (long long)j->id, j->name,
			       state_word(j->status, j->conclusion),
			       cli_duration(took, j->started_at, j->completed_at ? j->completed_at : now),
			       *j->runner_name ? "  on " : "", j->runner_name);
			for (size_t s = 0; s < j->nsteps; s++) {
				const dk_gitea_step *st = &j->steps[s];

				printf("  %2lld  %-12s %7s  %s\n", (long long)st->number,
				       state_word(st->status, st->conclusion),
				       cli_duration(took, st->started_at,
						    st->completed_at ? st->completed_at : now),
				       st->name);
			}
		}
		if (jobs->count)
			fprintf(stderr, "\nread a job's log with `diskops logs JOB --repo %s/%s`\n",
				repo.owner, repo.name);
	}
	rc = 0;
done:
	dk_gitea_job_list_free(jobs);
	dk_gitea_run_free(run);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}

/* rerun and cancel share their flags and their one RUN argument. */
static int
run_action(struct cli *c, int argc, char **argv, bool cancel)
{
	static const struct option opts[] = { CLI_GITEA_OPTIONS, CLI_COMMON_OPTIONS };
	struct gitea_flags f = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitea *g = NULL;
	long long id;
	char *end;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, gitea_flag, &f)) != 0)
		goto done;
	if (argc - optind != 1) {
		rc = cli_usage_error(c, "give exactly one RUN id");
		goto done;
	}
	id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0) {
		rc = cli_usage_error(c, "RUN \"%s\" is not a run id (a number)", argv[optind]);
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0)
		goto done;
	rc = cancel ? dk_gitea_run_cancel(g, repo.owner, repo.name, id)
		    : dk_gitea_run_rerun(g, repo.owner, repo.name, id);
	if (rc < 0)
		goto done;
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s}", "run_id", (json_int_t)id, "action",
					 cancel ? "cancelled" : "rerun"));
	else
		printf("run %lld %s\n", id, cancel ? "cancelled" : "started again");
done:
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}

int
cmd_runs_rerun(struct cli *c, int argc, char **argv)
{
	return run_action(c, argc, argv, false);
}

int
cmd_runs_cancel(struct cli *c, int argc, char **argv)
{
	return run_action(c, argc, argv, true);
}
