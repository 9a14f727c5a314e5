/* `?`: the keys of the view below, generated from the live keymap (config bindings
 * included); changing actions are left out under --read-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

static const struct column columns[] = {
	{ "KEYS", 18, 0 },
	{ "ACTION", 14, 0 },
	{ "WHAT IT DOES", 30, COL_FLEX },
};

struct help_row {
	const char *group;      /* a heading row when set */
	enum action action;
};

struct help_priv {
	struct help_row *rows;
	size_t n;
};

/* Help is always opened on top of the view whose keys it lists. */
static bool
listed(struct view *v, enum action a)
{
	const struct action_info *ai = &action_info[a];
	unsigned bit = v->parent ? v->parent->ops->bit : VB_ALL;

	if (!(ai->views & bit) || ((ai->flags & AF_CHANGES) && console_read_only(v->console)))
		return false;
	/* Command-line-only actions have no keys but belong to the list all the same. */
	return console_keymap(v->console)->n[a] > 0 || (ai->flags & AF_ARG);
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct help_priv *p = v->priv;
	const char *group = NULL;

	(void)s;
	if (!p) {
		if (!(p = v->priv = calloc(1, sizeof(*p))) ||
		    !(p->rows = calloc(2 * ACT__COUNT, sizeof(*p->rows))))
			return 0;
	}
	if (!p->rows)
		return 0;
	p->n = 0;
	for (int a = 1; a < ACT__COUNT; a++) {
		if (!listed(v, (enum action)a))
			continue;
		if (!group || strcmp(group, action_info[a].group) != 0) {
			group = action_info[a].group;
			p->rows[p->n++] = (struct help_row){ group, ACT_NONE };
		}
		p->rows[p->n++] = (struct help_row){ NULL, (enum action)a };
	}
	return p->n;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	struct help_priv *p = v->priv;
	const struct help_row *r = &p->rows[row];
	char keys[128];

	(void)s;
	if (r->group) {
		cell_set(&out->cell[0], ST_GROUP, "%s", r->group);
		out->style = ST_GROUP;
		return;
	}
	keymap_describe(console_keymap(v->console), r->action, keys, sizeof(keys));
	if (!keys[0])
		snprintf(keys, sizeof(keys), ":%s", action_info[r->action].name);
	cell_set(&out->cell[0], ST_NORMAL, "  %s", keys);
	cell_set(&out->cell[1], ST_NORMAL, "%s", action_info[r->action].name);
	cell_set(&out->cell[2], ST_NORMAL, "%s", action_info[r->action].help);
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	struct help_priv *p = v->priv;

	(void)s;
	return p->rows[row].group ? p->rows[row].group : action_info[p->rows[row].action].name;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	(void)s;
	/* The breadcrumb already names the view whose keys these are. */
	(void)v;
	snprintf(buf, len, "help");
}

static void
done(struct view *v)
{
	struct help_priv *p = v->priv;

	if (p)
		free(p->rows);
	free(p);
	v->priv = NULL;
}

const struct view_ops help_view = {
	.name = "help",
	.bit = VB_HELP,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.title = title,
	.done = done,
};
