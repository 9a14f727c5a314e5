/* CI workers of the account (the worker API's clients), then the Gitea runners of its
 * build repos as serve's poller last cached them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "NAME", 20, 0 },
	{ "KIND", 9, 0 },
	{ "STATUS", 9, 0 },
	{ "LAST SEEN", 9, COL_RIGHT },
	{ "DETAIL", 14, COL_FLEX },
};

/* A row: a heading, a CI worker, a runner, or the "nothing cached" line. */
enum { W_HEADING, W_WORKER, W_RUNNER, W_NOTE };

struct wrow {
	int kind;
	size_t i;
	const char *text;       /* headings and notes */
};

struct workers_priv {
	struct wrow *rows;
	size_t n;
};

static void
add(struct workers_priv *p, int kind, size_t i, const char *text)
{
	p->rows[p->n++] = (struct wrow){ kind, i, text };
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct workers_priv *p = v->priv;

	if (!p && !(p = v->priv = calloc(1, sizeof(*p))))
		return 0;
	free(p->rows);
	p->n = 0;
	if (!(p->rows = calloc(s->workers->count + s->runners->count + 4, sizeof(*p->rows))))
		return 0;
	add(p, W_HEADING, 0, "CI workers");
	for (size_t i = 0; i < s->workers->count; i++)
		add(p, W_WORKER, i, NULL);
	if (!s->workers->count)
		add(p, W_NOTE, 0, "none: `diskops worker create --name NAME` makes one");
	add(p, W_HEADING, 1, "Gitea runners");
	for (size_t i = 0; i < s->runners->count; i++)
		add(p, W_RUNNER, i, NULL);
	if (!s->runners->count)
		add(p, W_NOTE, 1, "not polled yet: serve's Gitea poller fills this from the build repos");
	return p->n;
}

static enum style
worker_style(const char *status)
{
	return strcmp(status, "active") == 0 ? ST_GOOD : strcmp(status, "revoked") == 0 ? ST_DIM : ST_WARN;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const struct wrow *r = &((struct workers_priv *)v->priv)->rows[row];
	char age[24];

	switch (r->kind) {
	case W_HEADING:
		cell_set(&out->cell[0], ST_GROUP, "%s", r->text);
		out->style = ST_GROUP;
		return;
	case W_NOTE:
		cell_set(&out->cell[0], ST_DIM, "  %s", r->text);
		out->style = ST_DIM;
		return;
	case W_WORKER: {
		const dk_worker *w = &s->workers->items[r->i];

		cell_set(&out->cell[0], ST_NORMAL, "  %s", w->name);
		cell_set(&out->cell[1], ST_NORMAL, "worker");
		cell_set(&out->cell[2], worker_style(w->status), "%s", w->status);
		cell_set(&out->cell[3], ST_NORMAL, "%s", w->last_seen_at ? dk_clock_age(age, w->last_seen_at)
									 : "never");
		cell_set(&out->cell[4], ST_DIM, "%s  %.8s", w->role ? w->role : "", w->id);
		return;
	}
	case W_RUNNER: {
		const dk_runner *g = &s->runners->items[r->i];

		cell_set(&out->cell[0], ST_NORMAL, "  %s", g->name);
		cell_set(&out->cell[1], ST_NORMAL, "runner");
		cell_set(&out->cell[2], g->online ? (g->busy ? ST_WARN : ST_GOOD) : ST_BAD, "%s",
			 g->online ? (g->busy ? "busy" : "online") : "offline");
		/* When the poller last saw it: the cache has no last-seen of its own. */
		cell_set(&out->cell[3], ST_NORMAL, "%s", dk_clock_age(age, g->fetched_at));
		cell_set(&out->cell[4], ST_DIM, "%s  %s", g->repo, g->labels ? g->labels : "");
		return;
	}
	}
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	const struct wrow *r = &((struct workers_priv *)v->priv)->rows[row];
	static char id[64];

	switch (r->kind) {
	case W_WORKER:
		return s->workers->items[r->i].id;
	case W_RUNNER:
		snprintf(id, sizeof(id), "runner:%.40s:%lld", s->runners->items[r->i].repo,
			 (long long)s->runners->items[r->i].runner_id);
		return id;
	default:
		snprintf(id, sizeof(id), "%s:%zu", r->kind == W_HEADING ? "heading" : "note", r->i);
		return id;
	}
}

static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const struct wrow *r = &((struct workers_priv *)v->priv)->rows[row];

	if (r->kind == W_WORKER)
		return s->workers->items[r->i].id;
	if (r->kind == W_RUNNER)
		return s->runners->items[r->i].name;
	return NULL;
}

static void
done(struct view *v)
{
	struct workers_priv *p = v->priv;

	if (p)
		free(p->rows);
	free(p);
	v->priv = NULL;
}

const struct view_ops workers_view = {
	.name = "workers",
	.bit = VB_WORKERS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.done = done,
};
