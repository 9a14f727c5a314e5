/*
 * diskops logs JOB [--follow] [--grep RE] [--tail N]: a job's log, as it grows. Gitea
 * stores each line as "<RFC 3339 time> <text>"; the time is dropped unless --timestamps.
 * --grep is applied before --tail (as the original tool did).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_gitea.h"
#include "diskops/error.h"
#include "diskops/logbuf.h"
#include "diskops/regex.h"
#include "diskops/valid.h"

enum {
	OPT_FOLLOW = CLI_OPT__COMMAND,
	OPT_GREP,
	OPT_TAIL,
	OPT_TIMESTAMPS,
	OPT_INTERVAL,
	OPT_RUN,
};

struct logs {
	struct cli *c;
	const char *repo, *platform, *grep, *run;
	bool follow, timestamps;
	int tail;               /* -1: all */
	double interval;        /* seconds */
	dk_regex *re;
	char *partial;          /* a line not ended yet */
	size_t partial_len;
	/* the backlog, kept for --tail */
	char **lines;
	size_t nlines;
	bool collecting;
};

static int
logs_flag(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct logs *l = ctx;
	char *end;

	switch (opt) {
	case CLI_GITEA_OPT_REPO: l->repo = arg; break;
	case CLI_GITEA_OPT_PLATFORM: l->platform = arg; break;
	case OPT_FOLLOW: l->follow = true; break;
	case OPT_GREP: l->grep = arg; break;
	case OPT_RUN: l->run = arg; break;
	case OPT_TIMESTAMPS: l->timestamps = true; break;
	case OPT_TAIL:
		return dk_parse_int(&l->tail, "tail", arg, 0, 1000000) < 0
			       ? cli_usage_error(c, "%s", dk_error_last()->message) : 0;
	case OPT_INTERVAL:
		l->interval = strtod(arg, &end);
		if (*end || l->interval < 0.01 || l->interval > 60)
			return cli_usage_error(c, "--interval takes seconds between 0.01 and 60");
		break;
	}
	return 0;
}

/* Splits "2026-11-23T10:00:00.1234567Z text" into its time and text. */
static void
split_line(const char *line, size_t len, const char **time, size_t *tlen, const char **text,
	   size_t *xlen)
{
	size_t prefix = dk_log_time_prefix(line, len);

	*time = prefix ? line : "";
	*tlen = prefix ? prefix - 1 : 0;
	*text = line + prefix;
	*xlen = len - prefix;
}

static void
emit(struct logs *l, const char *line, size_t len)
{
	const char *time, *text;
	size_t tlen, xlen;
	char *copy;

	split_line(line, len, &time, &tlen, &text, &xlen);
	if (!(copy = strndup(text, xlen)))
		return;
	if (l->re && !dk_regex_search(l->re, copy)) {
		free(copy);
		return;
	}
	if (l->collecting) {
		char **grown = realloc(l->lines, (l->nlines + 1) * sizeof(*grown));

		free(copy);
		if (!grown || !(grown[l->nlines] = strndup(line, len))) {
			l->lines = grown ? grown : l->lines;
			return;
		}
		l->lines = grown;
		l->nlines++;
		return;
	}
	if (l->c->json) {
		json_t *j = json_pack("{s:s%, s:s}", "time", time, tlen, "line", copy);
		char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else if (l->timestamps) {
		printf("%.*s\n", (int)len, line);
	} else {
		printf("%s\n", copy);
	}
	free(copy);
}

/* Prints complete lines; keeps the unfinished tail for the next bytes. */
static int
on_data(const char *data, size_t len, void *payload)
{
	struct logs *l = payload;
	char *buf = realloc(l->partial, l->partial_len + len + 1), *start, *nl;

	if (!buf)
		return dk_error_set(DK_ENOMEM, "out of memory");
	memcpy(buf + l->partial_len, data, len);
	l->partial = buf;
	l->partial_len += len;
	start = buf;
	while ((nl = memchr(start, '\n', l->partial_len - (size_t)(start - buf)))) {
		emit(l, start, (size_t)(nl - start));
		start = nl + 1;
	}
	l->partial_len -= (size_t)(start - buf);
	memmove(buf, start, l->partial_len);
	fflush(stdout);
	return 0;
}

static void
flush_partial(struct logs *l)
{
	if (l->partial_len)
		emit(l, l->partial, l->partial_len);
	l->partial_len = 0;
	fflush(stdout);
}

static void
on_state(dk_gitea_log_state st, uint64_t offset, int64_t size, void *payload)
{
	struct logs *l = payload;

	/*
	 * What follows a shrink continues from the log's new end: a line left half-read
	 * before it must not be glued to those bytes. Print it as it was.
	 */
	if (st == DK_GITEA_LOG_SHRUNK || st == DK_GITEA_LOG_EXPIRED)
		flush_partial(l);
	if (st == DK_GITEA_LOG_NOT_STARTED)
		fprintf(stderr, "diskops: logs: the job has not started yet (queued for a runner); "
			"waiting\n");
	else if (st == DK_GITEA_LOG_SHRUNK)
		fprintf(stderr, "diskops: logs: the log is now %lld bytes, shorter than the %llu "
			"already shown (moved to storage?); continuing from its end\n",
			(long long)size, (unsigned long long)offset);
	else if (st == DK_GITEA_LOG_EXPIRED)
		fprintf(stderr, "diskops: logs: the job's logs have been cleaned up\n");
}

/* The backlog: everything there is now, filtered, then the last --tail lines. */
static void
print_backlog(struct logs *l)
{
	size_t from = l->tail >= 0 && (size_t)l->tail < l->nlines ? l->nlines - (size_t)l->tail : 0;

	l->collecting = false;
	for (size_t i = 0; i < l->nlines; i++) {
		if (i >= from)
			emit(l, l->lines[i], strlen(l->lines[i]));
		free(l->lines[i]);
	}
	free(l->lines);
	l->lines = NULL;
	l->nlines = 0;
	fflush(stdout);
}

/* --run RUN: the run's job, when it has exactly one (the pipeline's workflow has one). */
static int
job_of_run(struct cli *c, dk_gitea *g, const struct cli_repo *repo, long long *id)
{
	dk_gitea_job_list *jobs = NULL;
	int rc;

	if ((rc = dk_gitea_job_list_get(g, &jobs, repo->owner, repo->name, *id)) < 0)
		return rc;
	if (jobs->count == 1)
		*id = jobs->items[0].id;
	else if (jobs->count == 0)
		rc = dk_error_set(DK_ENOTFOUND, "run %lld has no jobs yet", *id);
	else
		rc = cli_usage_error(c, "run %lld has %zu jobs: give one JOB id (see `diskops runs "
				     "show %lld`)", *id, jobs->count, *id);
	dk_gitea_job_list_free(jobs);
	return rc;
}

int
cmd_logs(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_GITEA_OPTIONS,
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "grep", required_argument, NULL, OPT_GREP },
		{ "tail", required_argument, NULL, OPT_TAIL },
		{ "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "run", required_argument, NULL, OPT_RUN },
		CLI_COMMON_OPTIONS
	};
	struct logs l = { .c = c, .tail = -1, .interval = 1.0 };
	struct cli_repo repo = { 0 };
	dk_gitea_log_chunk *chunk = NULL;
	dk_gitea_job *job = NULL;
	dk_gitea *g = NULL;
	long long id;
	char *end;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, logs_flag, &l)) != 0)
		goto done;
	if (argc - optind != (l.run ? 0 : 1)) {
		rc = cli_usage_error(c, l.run ? "give a JOB id or --run RUN, not both"
				     : "give exactly one JOB id (see `diskops runs show RUN`), or --run RUN");
		goto done;
	}
	id = strtoll(l.run ? l.run : argv[optind], &end, 10);
	if (*end || id <= 0) {
		rc = cli_usage_error(c, "\"%s\" is not a %s id (a number)",
				     l.run ? l.run : argv[optind], l.run ? "run" : "job");
		goto done;
	}
	if (l.grep && (rc = dk_regex_compile(&l.re, l.grep, "--grep")) < 0)
		goto done;
	if ((rc = cli_gitea_repo(c, &repo, l.repo, l.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0)
		goto done;
	if (l.run && (rc = job_of_run(c, g, &repo, &id)) < 0)
		goto done;
	if ((rc = dk_gitea_job_log_read(g, &chunk, repo.owner, repo.name, id, 0)) < 0)
		goto done;
	l.collecting = true;
	if (chunk->state == DK_GITEA_LOG_DATA)
		on_data(chunk->data, chunk->len, &l);
	if (!l.follow)
		flush_partial(&l);
	print_backlog(&l);
	if (chunk->state == DK_GITEA_LOG_EXPIRED) {
		rc = dk_error_set(DK_ENOTFOUND, "the logs of job %lld have been cleaned up "
				  "(Gitea's LOG_RETENTION_DAYS)", id);
		goto done;
	}
	if (!l.follow) {
		if (chunk->state == DK_GITEA_LOG_NOT_STARTED)
			fprintf(stderr, "diskops: logs: job %lld has not started yet (queued for a "
				"runner); use --follow to wait for it\n", id);
		rc = 0;
		goto done;
	}
	{
		dk_gitea_follow_opts fo = {
			.interval_ms = (int)(l.interval * 1000),
			.on_data = on_data,
			.on_state = on_state,
			.payload = &l,
		};

		/* A job not started yet is reported by the follow's own first read. */
		rc = dk_gitea_job_log_follow(g, &job, repo.owner, repo.name, id, chunk->next_offset,
					     &fo);
		flush_partial(&l);
		if (rc < 0)
			goto done;
	}
	if (c->json)
		printf("{\"job_id\": %lld, \"status\": \"%s\", \"conclusion\": \"%s\"}\n", id,
		       job->status, job->conclusion);
	else if (strcmp(job->conclusion, "success") == 0)
		fprintf(stderr, "diskops: logs: job %lld finished: success\n", id);
	/* The exit code is the job's: 0 only when it succeeded. */
	rc = strcmp(job->conclusion, "success") == 0 ? 0
		: dk_error_set(DK_ERROR, "job %lld concluded %s", id,
			       *job->conclusion ? job->conclusion : "without a result");
done:
	for (size_t i = 0; i < l.nlines; i++)
		free(l.lines[i]);
	free(l.lines);
	free(l.partial);
	dk_regex_free(l.re);
	dk_gitea_job_free(job);
	dk_gitea_log_chunk_free(chunk);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}
