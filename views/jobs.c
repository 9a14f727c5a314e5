/* One run: its jobs, each followed by its steps with their durations; Enter reads the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci.h"
#include "console.h"

static const struct column columns[] = {
	{ "JOB / STEP", 30, COL_FLEX },
	{ "STATUS", 10, 0 },
	{ "TOOK", 7, COL_RIGHT },
	{ "RUNNER", 14, 0 },
	{ "ID", 8, COL_RIGHT },
};

struct jobs_priv {
	char repo[160];
	long long run_id, run_number;
	const struct ci_jobs *of;
	struct { size_t job; long step; } *rows;       /* step -1: the job's own row */
	size_t n;
	char id[48];
};

static struct jobs_priv *
priv(struct view *v)
{
	struct jobs_priv *p = v->priv;
	char *hash;

	if (p || !(p = v->priv = calloc(1, sizeof(*p))))
		return p;
	/* arg: "owner/repo#RUN_ID#RUN_NUMBER" */
	snprintf(p->repo, sizeof(p->repo), "%s", v->arg);
	if ((hash = strchr(p->repo, '#'))) {
		*hash = '\0';
		sscanf(hash + 1, "%lld#%lld", &p->run_id, &p->run_number);
	}
	return p;
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct jobs_priv *p = priv(v);
	const struct ci_jobs *j;
	size_t n = 0;

	(void)s;
	if (!p)
		return 0;
	console_ci_watch_run(v->console, p->repo, p->run_id);
	j = console_ci_jobs(v->console, p->repo, p->run_id);
	free(p->rows);
	p->rows = NULL;
	p->n = 0;
	p->of = j;
	if (!j || !j->jobs)
		return 0;
	for (size_t i = 0; i < j->jobs->count; i++)
		n += 1 + j->jobs->items[i].nsteps;
	if (!(p->rows = calloc(n + 1, sizeof(*p->rows))))
		return 0;
	for (size_t i = 0; i < j->jobs->count; i++) {
		p->rows[p->n].job = i;
		p->rows[p->n++].step = -1;
		for (size_t k = 0; k < j->jobs->items[i].nsteps; k++) {
			p->rows[p->n].job = i;
			p->rows[p->n++].step = (long)k;
		}
	}
	return p->n;
}

static enum style
style_of(const char *status, const char *conclusion)
{
	const char *t = run_status_text(status, conclusion);

	if (strcmp(t, "success") == 0)
		return ST_GOOD;
	if (strcmp(t, "failure") == 0)
		return ST_BAD;
	if (strcmp(t, "skipped") == 0 || strcmp(t, "cancelled") == 0)
		return ST_DIM;
	return ST_WARN;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	struct jobs_priv *p = v->priv;
	const dk_gitea_job *job = &p->of->jobs->items[p->rows[row].job];
	char took[16];

	(void)s;
	if (p->rows[row].step < 0) {
		cell_set(&out->cell[0], ST_GROUP, "%s", job->name);
		cell_set(&out->cell[1], style_of(job->status, job->conclusion), "%s",
			 run_status_text(job->status, job->conclusion));
		cell_set(&out->cell[2], ST_NORMAL, "%s",
			 run_duration(took, sizeof(took), job->started_at, job->completed_at));
		cell_set(&out->cell[3], ST_NORMAL, "%s",
			 job->runner_name && *job->runner_name ? job->runner_name : "-");
		cell_set(&out->cell[4], ST_DIM, "%lld", (long long)job->id);
		return;
	}
	{
		const dk_gitea_step *st = &job->steps[p->rows[row].step];

		cell_set(&out->cell[0], ST_NORMAL, "  %lld. %s", (long long)st->number + 1, st->name);
		cell_set(&out->cell[1], style_of(st->status, st->conclusion), "%s",
			 run_status_text(st->status, st->conclusion));
		cell_set(&out->cell[2], ST_NORMAL, "%s",
			 run_duration(took, sizeof(took), st->started_at, st->completed_at));
	}
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	struct jobs_priv *p = v->priv;
	const dk_gitea_job *job = &p->of->jobs->items[p->rows[row].job];

	(void)s;
	snprintf(p->id, sizeof(p->id), "%lld/%ld", (long long)job->id, p->rows[row].step);
	return p->id;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	struct jobs_priv *p = priv(v);
	const struct ci_jobs *j = p ? console_ci_jobs(v->console, p->repo, p->run_id) : NULL;

	(void)s;
	if (!p)
		snprintf(buf, len, "run");
	else if (j && !j->jobs)
		snprintf(buf, len, "run #%lld (%s)", p->run_number, j->error);
	else
		snprintf(buf, len, "run #%lld%s", p->run_number, j ? "" : " (asking Gitea…)");
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	struct jobs_priv *p = v->priv;
	const dk_gitea_job *job;

	(void)arg;
	if (a != ACT_ENTER || !v->nrows)
		return R_PASS;
	job = &p->of->jobs->items[p->rows[v->cur].job];
	return log_open_job(c, p->repo, (long long)job->id, job->name);
}

static void
done(struct view *v)
{
	struct jobs_priv *p = v->priv;

	console_ci_watch_run(v->console, NULL, 0);
	if (p)
		free(p->rows);
	free(p);
}

const struct view_ops jobs_view = {
	.name = "run",
	.bit = VB_JOBS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.title = title,
	.request = request,
	.done = done,
};
