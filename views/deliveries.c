/* Webhook delivery attempts, good and bad, newest first; opened from a webhook it shows
 * that webhook's only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"

static const struct column columns[] = {
	{ "TIME (UTC)", 14, 0 },
	{ "WEBHOOK", 10, 0 },
	{ "REMOTE", 14, 0 },
	{ "OUTCOME: REASON", 14, COL_FLEX },
	{ "HTTP", 4, COL_RIGHT },
	{ "PUB ID", 8, 0 },
};

struct deliveries_priv {
	size_t *index;          /* snapshot rows shown, in order */
	size_t n;
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct deliveries_priv *p = v->priv;

	if (!p && !(p = v->priv = calloc(1, sizeof(*p))))
		return 0;
	free(p->index);
	p->n = 0;
	if (!(p->index = calloc(s->deliveries->count + 1, sizeof(*p->index))))
		return 0;
	for (size_t i = 0; i < s->deliveries->count; i++) {
		if (v->arg[0] && strcmp(s->deliveries->items[i].webhook_id, v->arg) != 0)
			continue;
		p->index[p->n++] = i;
	}
	return p->n;
}

static const dk_delivery *
at(struct view *v, const struct console_snapshot *s, size_t row)
{
	return &s->deliveries->items[((struct deliveries_priv *)v->priv)->index[row]];
}

static enum style
style_for(const dk_delivery *d)
{
	if (strcmp(d->outcome, "queued") == 0)
		return ST_GOOD;
	if (strcmp(d->outcome, "idempotent_hit") == 0)
		return ST_NORMAL;
	return d->http_status >= 500 ? ST_BAD : ST_WARN;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_delivery *d = at(v, s, row);
	const char *label = snapshot_webhook_label(s, d->webhook_id);
	time_t t = (time_t)d->received_at;
	char when[24] = "-";
	struct tm tm;

	if (d->received_at > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%m-%d %H:%M:%S", &tm);
	cell_set(&out->cell[0], ST_NORMAL, "%s", when);
	cell_set(&out->cell[1], label ? ST_NORMAL : ST_DIM, "%s", label ? label : d->webhook_id);
	cell_set(&out->cell[2], ST_NORMAL, "%s", d->remote_addr ? d->remote_addr : "-");
	cell_set(&out->cell[3], style_for(d), "%s%s%s", d->outcome, d->reason ? ": " : "",
		 d->reason ? d->reason : "");
	cell_set(&out->cell[4], ST_NORMAL, "%d", d->http_status);
	cell_set(&out->cell[5], ST_DIM, "%.8s", d->publication_id ? d->publication_id : "-");
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	static char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)at(v, s, row)->id);
	return id;
}

static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const dk_delivery *d = at(v, s, row);

	return d->publication_id ? d->publication_id : d->body_sha256;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	const char *label = v->arg[0] ? snapshot_webhook_label(s, v->arg) : NULL;

	if (v->arg[0])
		snprintf(buf, len, "%s deliveries", label ? label : v->arg);
	else
		snprintf(buf, len, "deliveries");
}

static void
done(struct view *v)
{
	struct deliveries_priv *p = v->priv;

	if (p)
		free(p->index);
	free(p);
	v->priv = NULL;
}

const struct view_ops deliveries_view = {
	.name = "deliveries",
	.bit = VB_DELIVERIES,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.title = title,
	.done = done,
};
