/* The audit trail of the account, newest first. */
#include <stdio.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "TIME", 20, 0 },
	{ "SEVERITY", 8, 0 },
	{ "KIND", 28, 0 },
	{ "SOURCE", 9, 0 },
	{ "SUBJECT", 8, 0 },
	{ "PAYLOAD", 0, COL_FLEX },
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	(void)v;
	return s->events->count;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_event *e = &s->events->items[row];
	char iso[32];

	(void)v;
	cell_set(&out->cell[0], ST_NORMAL, "%s", dk_clock_iso(iso, e->created_at));
	cell_set(&out->cell[1], style_for_severity(e->severity), "%s", e->severity);
	cell_set(&out->cell[2], ST_NORMAL, "%s", e->kind);
	cell_set(&out->cell[3], ST_NORMAL, "%s", e->source ? e->source : "-");
	cell_set(&out->cell[4], ST_NORMAL, "%.8s", e->subject_id ? e->subject_id : "-");
	cell_set(&out->cell[5], ST_DIM, "%s", e->payload ? e->payload : "");
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	static char id[24];

	(void)v;
	snprintf(id, sizeof(id), "%lld", (long long)s->events->items[row].id);
	return id;
}

static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const dk_event *e = &s->events->items[row];

	return e->subject_id ? e->subject_id : row_id(v, s, row);
}

const struct view_ops events_view = {
	.name = "events",
	.bit = VB_EVENTS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
};
