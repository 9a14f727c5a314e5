/*
 * Job logs, read incrementally: Gitea serves the stored log with Go's http.ServeContent,
 * so "Range: bytes=N-" answers 206 with the new bytes, or 416 ("bytes *\/SIZE") when
 * there are none. There is no cursor or streaming API (gitea-api.md §5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/error.h"
#include "gitea_internal.h"

void
dk_gitea_log_chunk_free(dk_gitea_log_chunk *c)
{
	if (!c)
		return;
	free(c->data);
	free(c);
}

/* "bytes A-B/S" or "bytes *\/S"; fields not present stay -1. */
static void
parse_content_range(const char *v, long long *start, long long *size)
{
	long long a, b, s;

	*start = *size = -1;
	if (!v)
		return;
	if (sscanf(v, "bytes %lld-%lld/%lld", &a, &b, &s) == 3) {
		*start = a;
		*size = s;
	} else if (sscanf(v, "bytes */%lld", &s) == 1) {
		*size = s;
	}
}

static int
set_data(dk_gitea_log_chunk *c, const char *data, size_t len)
{
	if (!(c->data = malloc(len + 1)))
		return gitea_oom();
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	c->len = len;
	c->state = DK_GITEA_LOG_DATA;
	return 0;
}

/* A 404 on the log is ambiguous: no such job, not picked up yet, or cleaned up. */
static int
classify_404(dk_gitea *g, dk_gitea_log_chunk *c, const struct gitea_resp *r, const char *owner,
	     const char *repo, int64_t job_id, const char *what)
{
	dk_gitea_job *job = NULL;
	const char *m;
	int rc;

	if ((rc = gitea_fail(g, r, what, 0)) != DK_ENOTFOUND)
		return rc;
	m = dk_gitea_last_message(g);
	if (strstr(m, "cleaned up") || strstr(m, "expired")) {
		c->state = DK_GITEA_LOG_EXPIRED;
		return 0;
	}
	if (strstr(m, "not started")) {
		c->state = DK_GITEA_LOG_NOT_STARTED;
		return 0;
	}
	if (!dk_gitea_has(g, DK_GITEA_RUNS_API))
		return rc;
	/* Ask for the job itself: its 404 is the real "no such job". */
	if ((rc = dk_gitea_job_get(g, &job, owner, repo, job_id)) < 0)
		return rc;
	c->state = dk_gitea_status_done(job->status) ? DK_GITEA_LOG_EXPIRED
						      : DK_GITEA_LOG_NOT_STARTED;
	dk_gitea_job_free(job);
	return 0;
}

int
dk_gitea_job_log_read(dk_gitea *g, dk_gitea_log_chunk **out, const char *owner,
		      const char *repo, int64_t job_id, uint64_t offset)
{
	struct gitea_call call = { .has_range = offset > 0, .range_from = offset };
	struct gitea_resp r = { 0 };
	dk_gitea_log_chunk *c = NULL;
	char *path = NULL, what[300];
	long long start, size;
	int rc;

	*out = NULL;
	snprintf(what, sizeof(what), "log of job %lld in %s/%s", (long long)job_id, owner, repo);
	if (!(c = calloc(1, sizeof(*c))) ||
	    !(path = gitea_repo_path(owner, repo, "/actions/jobs/%lld/logs", (long long)job_id))) {
		rc = gitea_oom();
		goto done;
	}
	c->next_offset = offset;
	c->size = -1;
	if ((rc = gitea_request(g, &r, path, &call)) < 0)
		goto done;
	parse_content_range(r.content_range, &start, &size);
	switch (r.status) {
	case 206:
		if (start < 0) {
			rc = dk_error_set(DK_ERROR, "%s: a partial reply without Content-Range", what);
			goto done;
		}
		c->size = size;
		if ((uint64_t)start > offset) {
			rc = dk_error_set(DK_ERROR, "%s: asked for bytes from %llu, got them from %lld",
					  what, (unsigned long long)offset, start);
			goto done;
		}
		/* A server may start earlier than asked; skip what we have. */
		if (offset - (uint64_t)start > r.len) {
			c->state = DK_GITEA_LOG_NOTHING_NEW;
			break;
		}
		if ((rc = set_data(c, r.body + (offset - (uint64_t)start),
				   r.len - (size_t)(offset - (uint64_t)start))) < 0)
			goto done;
		c->next_offset = offset + c->len;
		if (c->len == 0)
			c->state = DK_GITEA_LOG_NOTHING_NEW;
		break;
	case 200:
		/* The whole log: offset 0, or a server (or proxy) that ignored Range. */
		c->size = (int64_t)r.len;
		if (r.len < offset) {
			c->state = DK_GITEA_LOG_SHRUNK;
			c->next_offset = r.len;
		} else if (r.len == offset) {
			c->state = DK_GITEA_LOG_NOTHING_NEW;
		} else {
			if ((rc = set_data(c, r.body + offset, r.len - (size_t)offset)) < 0)
				goto done;
			c->next_offset = r.len;
		}
		break;
	case 416:
		c->size = size;
		if (size >= 0 && (uint64_t)size < offset) {
			c->state = DK_GITEA_LOG_SHRUNK;
			c->next_offset = (uint64_t)size;
		} else {
			c->state = DK_GITEA_LOG_NOTHING_NEW;
		}
		break;
	case 404:
		if ((rc = classify_404(g, c, &r, owner, repo, job_id, what)) < 0)
			goto done;
		break;
	default:
		rc = gitea_fail(g, &r, what, 0);
		goto done;
	}
	rc = 0;
	*out = c;
	c = NULL;
done:
	dk_gitea_log_chunk_free(c);
	gitea_resp_free(&r);
	free(path);
	return rc;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

int
dk_gitea_job_log_follow(dk_gitea *g, dk_gitea_job **job_out, const char *owner,
			const char *repo, int64_t job_id, uint64_t offset,
			const dk_gitea_follow_opts *opts)
{
	int interval = opts && opts->interval_ms > 0 ? opts->interval_ms : 1000;
	int max = opts && opts->max_interval_ms > 0 ? opts->max_interval_ms : interval * 5;
	int delay = interval, last_state = -1, rc;
	bool finished = false;
	dk_gitea_job *job = NULL;

	if (job_out)
		*job_out = NULL;
	if ((rc = gitea_require(g, DK_GITEA_RUNS_API, "following a job log")) < 0)
		return rc;
	for (;;) {
		dk_gitea_log_chunk *c = NULL;
		dk_gitea_log_state st;

		if ((rc = dk_gitea_job_log_read(g, &c, owner, repo, job_id, offset)) < 0)
			goto done;
		st = c->state;
		if (st == DK_GITEA_LOG_DATA && opts && opts->on_data &&
		    opts->on_data(c->data, c->len, opts->payload) != 0) {
			dk_gitea_log_chunk_free(c);
			goto done;
		}
		if (st != DK_GITEA_LOG_DATA && st != DK_GITEA_LOG_NOTHING_NEW &&
		    (st != (dk_gitea_log_state)last_state || st == DK_GITEA_LOG_SHRUNK) &&
		    opts && opts->on_state)
			/* The offset we had: for SHRUNK, what was shown beyond the new size. */
			opts->on_state(st, offset, c->size, opts->payload);
		offset = c->next_offset;
		dk_gitea_log_chunk_free(c);
		last_state = (int)st;
		if (st == DK_GITEA_LOG_EXPIRED) {
			rc = dk_error_set(DK_ENOTFOUND, "the logs of job %lld have been cleaned up "
					  "(Gitea's LOG_RETENTION_DAYS)", (long long)job_id);
			goto done;
		}
		if (st == DK_GITEA_LOG_DATA) {
			delay = interval;
		} else {
			/* The read after seeing the job finished found nothing more: done. */
			if (finished)
				break;
			dk_gitea_job_free(job);
			job = NULL;
			if ((rc = dk_gitea_job_get(g, &job, owner, repo, job_id)) < 0)
				goto done;
			if (dk_gitea_status_done(job->status)) {
				/* One more read: bytes written just before the end. */
				finished = true;
				continue;
			}
		}
		sleep_ms(delay);
		if (st != DK_GITEA_LOG_DATA && delay < max)
			delay = delay * 2 > max ? max : delay * 2;
	}
	rc = 0;
	if (job_out) {
		*job_out = job;
		job = NULL;
	}
done:
	dk_gitea_job_free(job);
	return rc;
}
