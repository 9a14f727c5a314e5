/* Approvals of the account: pending first. A approves (a second person: the core refuses
 * the requester), X rejects with a reason; both through a dialog with Cancel focused. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "STATE", 8, 0 },
	{ "CATEGORY", 16, 0 },
	{ "REQUESTED BY", 16, 0 },
	{ "AGE", 8, COL_RIGHT },
	{ "EXPIRES", 7, COL_RIGHT },
	{ "WHAT", 12, COL_FLEX },
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	(void)v;
	return s->approvals->count;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_approval *a = &s->approvals->items[row];
	bool expired = snapshot_approval_expired(s, a);
	const char *state = expired ? "expired" : a->state;
	char age[24], what[256];
	int64_t left = a->expires_at - s->taken_at;

	(void)v;
	cell_set(&out->cell[0], strcmp(state, "pending") == 0 ? ST_WARN
		 : strcmp(state, "approved") == 0 ? ST_GOOD : ST_DIM, "%s", state);
	cell_set(&out->cell[1], ST_NORMAL, "%s", a->category);
	cell_set(&out->cell[2], ST_NORMAL, "%s", a->requested_by);
	cell_set(&out->cell[3], ST_NORMAL, "%s", dk_clock_age(age, a->created_at));
	if (strcmp(state, "pending") != 0)
		cell_set(&out->cell[4], ST_DIM, "-");
	else if (left >= 3600)
		cell_set(&out->cell[4], ST_NORMAL, "%lldh", (long long)(left / 3600));
	else
		cell_set(&out->cell[4], ST_WARN, "%lldm", (long long)(left / 60));
	/* Decided ones say who decided, and why when rejected. */
	if (a->decided_by)
		snprintf(what, sizeof(what), "%s by %s%s%s", a->state, a->decided_by,
			 a->reason ? ": " : "", a->reason ? a->reason : "");
	else
		snapshot_approval_summary(s, a, what, sizeof(what));
	cell_set(&out->cell[5], ST_NORMAL, "%s", what);
	if (strcmp(state, "pending") != 0)
		out->style = ST_DIM;
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	return s->approvals->items[row].id;
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct console_snapshot *s = console_snapshot(c);

	(void)arg;
	if (a != ACT_APPROVE && a != ACT_REJECT)
		return R_PASS;
	if (!v->nrows) {
		console_message(c, ST_WARN, "no approvals waiting");
		return R_REDRAW;
	}
	return console_approval_dialog(c, a == ACT_APPROVE, s->approvals->items[v->cur].id);
}

const struct view_ops approvals_view = {
	.name = "approvals",
	.bit = VB_APPROVALS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.request = request,
};
