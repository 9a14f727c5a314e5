/* Workflow runs of every platform's build repo, newest first, as the worker last saw them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci.h"
#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "PLATFORM", 13, COL_FLEX },
	{ "RUN", 5, COL_RIGHT },
	{ "STATUS", 10, 0 },
	{ "EVENT", 12, 0 },
	{ "SHA", 7, 0 },
	{ "STARTED", 8, COL_RIGHT },
	{ "TOOK", 6, COL_RIGHT },
	{ "TITLE", 10, COL_FLEX },
};

struct run_ref {
	size_t repo, run;
};

struct runs_priv {
	struct run_ref *rows;
	size_t n;
	const struct ci_runs *of;       /* the snapshot the rows index */
	char id[64];
};

static const dk_gitea_run *
run_at(struct view *v, size_t row, const struct ci_repo_runs **repo)
{
	struct runs_priv *p = v->priv;
	const struct ci_runs *r = p->of;

	*repo = &r->repos[p->rows[row].repo];
	return &(*repo)->runs->items[p->rows[row].run];
}

static int
newest_first(const void *a, const void *b, void *arg)
{
	const struct ci_runs *r = arg;
	const struct run_ref *x = a, *y = b;
	const dk_gitea_run *rx = &r->repos[x->repo].runs->items[x->run];
	const dk_gitea_run *ry = &r->repos[y->repo].runs->items[y->run];
	int64_t tx = rx->started_at, ty = ry->started_at;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return rx->id > ry->id ? -1 : rx->id < ry->id;
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	const struct ci_runs *r = console_ci_runs(v->console);
	struct runs_priv *p = v->priv;
	size_t n = 0;

	(void)s;
	if (!p && !(p = v->priv = calloc(1, sizeof(*p))))
		return 0;
	free(p->rows);
	p->rows = NULL;
	p->n = 0;
	p->of = r;
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->repos[i].runs ? r->repos[i].runs->count : 0;
	if (!(p->rows = calloc(n + 1, sizeof(*p->rows))))
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; r->repos[i].runs && k < r->repos[i].runs->count; k++)
			p->rows[p->n++] = (struct run_ref){ i, k };
	}
	qsort_r(p->rows, p->n, sizeof(*p->rows), newest_first, (void *)r);
	return p->n;
}

static enum style
status_style(const char *status, const char *conclusion)
{
	if (!dk_gitea_status_done(status))
		return ST_WARN;
	if (strcmp(conclusion, "success") == 0)
		return ST_GOOD;
	if (strcmp(conclusion, "failure") == 0)
		return ST_BAD;
	return ST_DIM;
}

/* "running", else the conclusion: what an operator scans the column for. */
const char *
run_status_text(const char *status, const char *conclusion)
{
	if (dk_gitea_status_done(status))
		return conclusion && *conclusion ? conclusion : "completed";
	return strcmp(status, "in_progress") == 0 ? "running" : status;
}

const char *
run_duration(char *buf, size_t len, int64_t from, int64_t to)
{
	int64_t s;

	if (from <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (to <= 0)
		to = dk_clock_now();
	s = to > from ? to - from : 0;
	if (s > 99 * 86400)
		s = 99 * 86400;
	if (s >= 3600)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else
		snprintf(buf, len, "%ds", (int)s);
	return buf;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const struct ci_repo_runs *repo;
	const dk_gitea_run *r = run_at(v, row, &repo);
	char took[16], age[24];

	(void)s;
	cell_set(&out->cell[0], ST_NORMAL, "%s", repo->platform);
	cell_set(&out->cell[1], ST_NORMAL, "#%lld", (long long)r->run_number);
	cell_set(&out->cell[2], status_style(r->status, r->conclusion), "%s",
		 run_status_text(r->status, r->conclusion));
	/* The trigger, short enough for its column: "workflow_dispatch" is a dispatch. */
	cell_set(&out->cell[3], ST_NORMAL, "%s", !r->event ? "-"
		 : strcmp(r->event, "workflow_dispatch") == 0 ? "dispatch" : r->event);
	cell_set(&out->cell[4], ST_DIM, "%.7s", r->head_sha ? r->head_sha : "-");
	if (r->started_at > 0)
		cell_set(&out->cell[5], ST_NORMAL, "%s%s", dk_clock_age(age, r->started_at),
			 strcmp(age, "just now") == 0 ? "" : " ago");
	else
		cell_set(&out->cell[5], ST_DIM, "-");
	cell_set(&out->cell[6], ST_NORMAL, "%s",
		 run_duration(took, sizeof(took), r->started_at, r->completed_at));
	cell_set(&out->cell[7], ST_NORMAL, "%s", r->display_title ? r->display_title : "");
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	struct runs_priv *p = v->priv;
	const struct ci_repo_runs *repo;
	const dk_gitea_run *r = run_at(v, row, &repo);

	(void)s;
	snprintf(p->id, sizeof(p->id), "%.40s#%lld", repo->repo, (long long)r->id);
	return p->id;
}

static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const struct ci_repo_runs *repo;
	const dk_gitea_run *r = run_at(v, row, &repo);

	(void)s;
	return r->html_url && *r->html_url ? r->html_url : r->head_sha;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	const struct ci_runs *r = console_ci_runs(v->console);
	const char *why = console_ci_unavailable(v->console);

	(void)s;
	if (console_ci_runs_cached(v->console) && r && r->n)
		snprintf(buf, len, "runs (as serve's Gitea poller saw them)");
	else if (*why)
		snprintf(buf, len, "runs (%s)", why);
	else if (!r)
		snprintf(buf, len, "runs (asking Gitea…)");
	else if (r->n == 0)
		snprintf(buf, len, "runs (no platform has a build repo: diskops platform set NAME "
			 "--build-repo OWNER/REPO)");
	else {
		size_t used = (size_t)snprintf(buf, len, "runs");

		/* A repo that failed says so in the title; the others still show. */
		for (size_t i = 0; i < r->n && used < len; i++) {
			if (!r->repos[i].runs)
				used += (size_t)snprintf(buf + used, len - used, " (%s: %s)",
							 r->repos[i].repo, r->repos[i].error);
		}
	}
}

/* The selected run's platform, else the first with a build repo (no runs yet). */
static int
dispatch(struct view *v, struct console *c)
{
	const struct console_snapshot *s = console_snapshot(c);
	const struct ci_repo_runs *repo;

	if (v->nrows) {
		run_at(v, v->cur, &repo);
		return console_dispatch_dialog(c, repo->platform, repo->repo);
	}
	for (size_t i = 0; i < s->platforms->count; i++) {
		const dk_platform *p = &s->platforms->items[i];

		if (p->build_repo && *p->build_repo)
			return console_dispatch_dialog(c, p->name, p->build_repo);
	}
	console_message(c, ST_WARN, "dispatch: no platform has a build repo (diskops platform set "
			"NAME --build-repo OWNER/REPO)");
	return R_REDRAW;
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct ci_repo_runs *repo;
	const dk_gitea_run *r;
	char target[200];

	(void)arg;
	if (a == ACT_DISPATCH)
		return dispatch(v, c);
	if (a != ACT_ENTER || !v->nrows)
		return R_PASS;
	r = run_at(v, v->cur, &repo);
	snprintf(target, sizeof(target), "%.150s#%lld#%lld", repo->repo, (long long)r->id,
		 (long long)r->run_number);
	console_push(c, &jobs_view, target);
	return R_REDRAW;
}

static void
done(struct view *v)
{
	struct runs_priv *p = v->priv;

	if (p)
		free(p->rows);
	free(p);
}

const struct view_ops runs_view = {
	.name = "runs",
	.bit = VB_RUNS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.title = title,
	.request = request,
	.done = done,
};
