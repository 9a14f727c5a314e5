/* Overview: every platform of the account with its default image and latest build. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"
#include "diskops/platform.h"

static const struct column columns[] = {
	{ "PLATFORM", 12, COL_FLEX },
	{ "ARCH", 5, 0 },
	{ "STATUS", 9, 0 },
	{ "DEFAULT", 8, 0 },
	{ "LAST BUILD", 17, 0 },
	{ "TRUST", 11, 0 },
	{ "ALERTS", 6, COL_RIGHT },
};

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	(void)v;
	return s->platforms->count;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_platform *p = &s->platforms->items[row];
	const dk_publication_list *pubs = s->pubs[row];
	char age[24];

	(void)v;
	cell_set(&out->cell[0], ST_NORMAL, "%s", p->name);
	cell_set(&out->cell[1], ST_NORMAL, "%s", p->arch);
	cell_set(&out->cell[2], style_for_status(p->publication_status), "%s",
		 p->publication_status ? p->publication_status : "none");
	cell_set(&out->cell[3], ST_NORMAL, "%.7s", p->default_git_sha ? p->default_git_sha : "-");
	/* The newest build, whatever became of it: that is what an operator waits for. */
	if (pubs->count)
		cell_set(&out->cell[4], style_for_status(dk_pub_status_name(pubs->items[0].status)),
			 "%s %s", dk_clock_age(age, pubs->items[0].created_at),
			 dk_pub_status_name(pubs->items[0].status));
	else
		cell_set(&out->cell[4], ST_DIM, "never");
	cell_set(&out->cell[5], ST_NORMAL, "%s", dk_platform_trust(p));
	cell_set(&out->cell[6], s->platform_alerts[row] ? ST_BAD : ST_DIM, "%d",
		 s->platform_alerts[row]);
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	return s->platforms->items[row].id;
}

/* The ref nodes boot, when there is one; the platform id otherwise. */
static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const dk_platform *p = &s->platforms->items[row];

	(void)v;
	return p->disk_image_oci_ref ? p->disk_image_oci_ref : p->id;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	(void)v;
	(void)s;
	snprintf(buf, len, "overview");
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct console_snapshot *s = console_snapshot(c);

	(void)arg;
	if (a != ACT_ENTER)
		return R_PASS;
	if (!v->nrows) {
		console_message(c, ST_WARN, "no platforms yet: create one with `diskops platform create`");
		return R_REDRAW;
	}
	console_push(c, &publications_view, s->platforms->items[v->cur].id);
	return R_REDRAW;
}

const struct view_ops overview_view = {
	.name = "overview",
	.bit = VB_OVERVIEW,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.title = title,
	.request = request,
};
