/* Publications of one platform, newest first; retired and purged only with show-all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "", 1, 0 },
	{ "ID", 8, 0 },
	{ "STATUS", 11, 0 },
	{ "SIGNATURE", 14, COL_FLEX },
	{ "SIZE", 8, COL_RIGHT },
	{ "GIT SHA", 8, 0 },
	{ "BUILT", 8, COL_RIGHT },
	{ "PUBLISHED", 9, COL_RIGHT },
};

struct pubs_priv {
	int platform;           /* index in the snapshot, -1 when the platform is gone */
	size_t *idx;            /* rows → s->pubs[platform]->items */
	size_t n;
};

static struct pubs_priv *
priv(struct view *v)
{
	if (!v->priv)
		v->priv = calloc(1, sizeof(struct pubs_priv));
	return v->priv;
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct pubs_priv *p = priv(v);
	const dk_publication_list *l;

	if (!p)
		return 0;
	free(p->idx);
	p->idx = NULL;
	p->n = 0;
	p->platform = snapshot_platform_index(s, v->arg);
	if (p->platform < 0)
		return 0;
	l = s->pubs[p->platform];
	if (!(p->idx = calloc(l->count + 1, sizeof(*p->idx))))
		return 0;
	for (size_t i = 0; i < l->count; i++) {
		dk_pub_status st = l->items[i].status;

		if (!v->show_all && (st == DK_PUB_RETIRED || st == DK_PUB_PURGED))
			continue;
		p->idx[p->n++] = i;
	}
	return p->n;
}

static const dk_publication *
pub_at(struct view *v, const struct console_snapshot *s, size_t row)
{
	struct pubs_priv *p = v->priv;

	return &s->pubs[p->platform]->items[p->idx[row]];
}

/*
 * A keyless signer is a workflow URL; what tells builds apart is the repository and the
 * ref: "https://git.example.com/ops/images/.gitea/workflows/x.yml@refs/heads/main" →
 * "ops/images@main". The detail view shows the whole identity.
 */
static const char *
signer_short(char *buf, size_t len, const char *identity)
{
	const char *path = strstr(identity, "://"), *at, *ref, *end;
	size_t n;

	if (!path || !(path = strchr(path + 3, '/')))
		return identity;
	path++;
	/* owner/repo: the first two segments */
	end = strchr(path, '/');
	end = end ? strchr(end + 1, '/') : NULL;
	n = end ? (size_t)(end - path) : strcspn(path, "@");
	at = strrchr(identity, '@');
	ref = at ? at + 1 : "";
	if (strncmp(ref, "refs/heads/", 11) == 0)
		ref += 11;
	else if (strncmp(ref, "refs/tags/", 10) == 0)
		ref += 10;
	snprintf(buf, len, "%.*s%s%s", (int)n, path, *ref ? "@" : "", ref);
	return buf;
}

/* "✓ keyless ops/images@main": whether it verified, how it was signed, and by whom. */
static void
signature_cell(struct cell *c, const dk_publication *p)
{
	const char *kind = p->signature_kind ? p->signature_kind : "none";
	char buf[CELL_BYTES];
	const char *who = p->cosign_identity ? signer_short(buf, sizeof(buf), p->cosign_identity) : "";

	if (strcmp(kind, "none") == 0)
		cell_set(c, ST_DIM, "unsigned");
	else if (p->cosign_verified)
		cell_set(c, ST_GOOD, "%s %s %s", term_glyph(G_CHECK), kind, who);
	else if (p->status == DK_PUB_FAILED)
		cell_set(c, ST_BAD, "%s %s %s", term_glyph(G_CROSS), kind, who);
	else
		cell_set(c, ST_WARN, "? %s %s", kind, who);
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_publication *p = pub_at(v, s, row);
	char buf[32];

	cell_set(&out->cell[0], ST_GOOD, "%s", p->is_default ? term_glyph(G_DEFAULT) : "");
	cell_set(&out->cell[1], ST_NORMAL, "%.8s", p->id);
	cell_set(&out->cell[2], style_for_status(dk_pub_status_name(p->status)), "%s",
		 dk_pub_status_name(p->status));
	signature_cell(&out->cell[3], p);
	cell_set(&out->cell[4], ST_NORMAL, "%s", human_size(buf, sizeof(buf), p->size_bytes));
	cell_set(&out->cell[5], ST_NORMAL, "%.7s", p->git_sha);
	cell_set(&out->cell[6], ST_NORMAL, "%s", dk_clock_age(buf, p->built_at ? p->built_at : p->created_at));
	cell_set(&out->cell[7], ST_NORMAL, "%s", dk_clock_age(buf, p->published_at));
	if (p->status == DK_PUB_RETIRED || p->status == DK_PUB_PURGED)
		out->style = ST_DIM;
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	return pub_at(v, s, row)->id;
}

/* The digest pins the image; the id is all a row without an upload has. */
static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	const dk_publication *p = pub_at(v, s, row);

	return p->oci_digest ? p->oci_digest : p->id;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	struct pubs_priv *p = v->priv;

	if (p && p->platform >= 0)
		snprintf(buf, len, "%s %s publications%s", s->platforms->items[p->platform].name,
			 term_glyph(G_ARROW), v->show_all ? " (all)" : "");
	else
		snprintf(buf, len, "publications (platform gone)");
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	const struct console_snapshot *s = console_snapshot(c);

	(void)arg;
	switch (a) {
	case ACT_ENTER:
		if (!v->nrows)
			return R_PASS;
		console_push(c, &publication_view, pub_at(v, s, v->cur)->id);
		return R_REDRAW;
	case ACT_SHOW_ALL:
		v->show_all = !v->show_all;
		console_message(c, ST_NORMAL, v->show_all ? "showing retired and purged publications"
							   : "hiding retired and purged publications");
		return R_ROWS | R_REDRAW;
	case ACT_ROLLBACK:
	case ACT_PROMOTE:
		if (!v->nrows)
			return R_PASS;
		return console_rollback_dialog(c, a == ACT_PROMOTE ? DK_PROMOTE_PROMOTE
								   : DK_PROMOTE_ROLLBACK,
					       s->platforms->items[priv(v)->platform].id,
					       pub_at(v, s, v->cur)->id);
	default:
		return R_PASS;
	}
}

static void
done(struct view *v)
{
	struct pubs_priv *p = v->priv;

	if (p)
		free(p->idx);
	free(p);
	v->priv = NULL;
}

const struct view_ops publications_view = {
	.name = "publications",
	.bit = VB_PUBLICATIONS,
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
