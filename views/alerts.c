/* Alerts of the account: open first, then acknowledged. Acknowledging comes with issue 6. */
#include <stdio.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "STATE", 6, 0 },
	{ "SEVERITY", 8, 0 },
	{ "RULE", 18, 0 },
	{ "SUBJECT", 16, 0 },
	{ "LAST SEEN", 9, COL_RIGHT },
	{ "DETAIL", 10, COL_FLEX },
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	(void)v;
	return s->alerts->count;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_alert *a = &s->alerts->items[row];
	char age[24];

	(void)v;
	cell_set(&out->cell[0], a->state[0] == 'o' ? ST_BAD : ST_DIM, "%s", a->state);
	cell_set(&out->cell[1], style_for_severity(a->severity), "%s", a->severity);
	cell_set(&out->cell[2], ST_NORMAL, "%s", a->rule);
	cell_set(&out->cell[3], ST_NORMAL, "%s", a->subject);
	cell_set(&out->cell[4], ST_NORMAL, "%s", dk_clock_age(age, a->last_seen));
	cell_set(&out->cell[5], ST_NORMAL, "%s", a->detail ? a->detail : "");
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	static char id[24];

	(void)v;
	snprintf(id, sizeof(id), "%lld", (long long)s->alerts->items[row].id);
	return id;
}

static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	return s->alerts->items[row].subject;
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct console_snapshot *s = console_snapshot(c);

	(void)arg;
	if (a != ACT_ACK)
		return R_PASS;
	if (!v->nrows) {
		console_message(c, ST_WARN, "no alert to acknowledge");
		return R_REDRAW;
	}
	return console_alert_ack(c, s->alerts->items[v->cur].id);
}

const struct view_ops alerts_view = {
	.name = "alerts",
	.bit = VB_ALERTS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.request = request,
};
