/* Build webhooks of the account: S rotates the secret (shown once), X revokes, Enter
 * lists the webhook's deliveries. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "LABEL", 12, COL_FLEX },
	{ "STATUS", 8, 0 },
	{ "SECRET", 9, 0 },
	{ "RECEIVED", 8, COL_RIGHT },
	{ "LAST DELIVERY", 13, COL_RIGHT },
	{ "ROTATED", 8, COL_RIGHT },
	{ "ID", 8, 0 },
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	(void)v;
	return s->webhooks->count;
}

static enum style
style_for(const char *status)
{
	return strcmp(status, "active") == 0 ? ST_GOOD : strcmp(status, "revoked") == 0 ? ST_DIM : ST_WARN;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_webhook *w = &s->webhooks->items[row];
	char age[24];

	(void)v;
	cell_set(&out->cell[0], ST_NORMAL, "%s", w->label);
	cell_set(&out->cell[1], style_for(w->status), "%s", w->status);
	/* The preview only: the secret itself is never shown after it was made. */
	cell_set(&out->cell[2], ST_DIM, "%.8s%s", w->secret_preview ? w->secret_preview : "",
		 w->secret_preview ? term_glyph(G_ELLIPSIS) : "");
	cell_set(&out->cell[3], ST_NORMAL, "%lld", (long long)w->received_count);
	cell_set(&out->cell[4], ST_NORMAL, "%s", w->last_received_at ? dk_clock_age(age, w->last_received_at)
									 : "never");
	cell_set(&out->cell[5], ST_NORMAL, "%s", w->last_rotated_at ? dk_clock_age(age, w->last_rotated_at)
									: "-");
	cell_set(&out->cell[6], ST_DIM, "%.8s", w->id);
	if (strcmp(w->status, "revoked") == 0)
		out->style = ST_DIM;
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	return s->webhooks->items[row].id;
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct console_snapshot *s = console_snapshot(c);
	const char *id;

	(void)arg;
	if (a != ACT_ROTATE_SECRET && a != ACT_REVOKE && a != ACT_ENTER)
		return R_PASS;
	if (!v->nrows) {
		console_message(c, ST_WARN, "no webhooks yet: create one with `diskops webhook create`");
		return R_REDRAW;
	}
	id = s->webhooks->items[v->cur].id;
	if (a == ACT_ENTER) {
		console_push(c, &deliveries_view, id);
		return R_REDRAW;
	}
	return console_webhook_dialog(c, a == ACT_ROTATE_SECRET, id);
}

const struct view_ops webhooks_view = {
	.name = "webhooks",
	.bit = VB_WEBHOOKS,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.request = request,
};
