/* One publication, every field: what an operator checks before trusting an image. */
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "diskops/clock.h"

static const struct column columns[] = {
	{ "FIELD", 16, 0 },
	{ "VALUE", 40, COL_FLEX },
};

enum field {
	F_ID, F_PLATFORM, F_STATUS, F_DEFAULT, F_GIT_SHA, F_OCI_REF, F_DIGEST, F_ARTIFACT,
	F_SIZE, F_ARCH, F_SIGNATURE, F_VERIFIED, F_IDENTITY, F_ISSUER, F_TLOG, F_ATTEMPTS,
	F_ERROR, F_FIRMWARE, F_SBOM, F_BUILT, F_VERIFIED_AT, F_PUBLISHED, F_RETIRED, F_PURGED,
	F_CREATED, F__COUNT
};

static const char *const names[F__COUNT] = {
	"id", "platform", "status", "default", "git sha", "oci ref", "digest", "artifact sha256",
	"size", "arch", "signature", "verified", "signer", "issuer", "tlog index", "attempts",
	"error", "firmware", "sbom", "built", "verified at", "published", "retired", "purged",
	"created",
};

static const dk_publication *
pub(struct view *v, const struct console_snapshot *s)
{
	return snapshot_publication(s, v->arg, NULL);
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	return pub(v, s) ? F__COUNT : 0;
}

static void
time_cell(struct cell *c, int64_t t)
{
	char iso[32], age[24];

	if (t <= 0)
		cell_set(c, ST_DIM, "-");
	else
		cell_set(c, ST_NORMAL, "%s (%s ago)", dk_clock_iso(iso, t), dk_clock_age(age, t));
}

static void
text_cell(struct cell *c, const char *s)
{
	cell_set(c, s ? ST_NORMAL : ST_DIM, "%s", s ? s : "-");
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	const dk_publication *p = pub(v, s);
	struct cell *c = &out->cell[1];
	char buf[32];

	cell_set(&out->cell[0], ST_DIM, "%s", names[row]);
	switch ((enum field)row) {
	case F_ID: text_cell(c, p->id); break;
	case F_PLATFORM: text_cell(c, p->platform_name); break;
	case F_STATUS:
		cell_set(c, style_for_status(dk_pub_status_name(p->status)), "%s",
			 dk_pub_status_name(p->status));
		break;
	case F_DEFAULT:
		cell_set(c, p->is_default ? ST_GOOD : ST_NORMAL, "%s",
			 p->is_default ? "yes: nodes boot this image" : "no");
		break;
	case F_GIT_SHA: text_cell(c, p->git_sha); break;
	case F_OCI_REF: text_cell(c, p->oci_ref); break;
	case F_DIGEST: text_cell(c, p->oci_digest); break;
	case F_ARTIFACT: text_cell(c, p->artifact_sha256); break;
	case F_SIZE:
		cell_set(c, ST_NORMAL, "%s (%lld bytes)", human_size(buf, sizeof(buf), p->size_bytes),
			 (long long)p->size_bytes);
		break;
	case F_ARCH: text_cell(c, p->arch); break;
	case F_SIGNATURE: text_cell(c, p->signature_kind); break;
	case F_VERIFIED:
		cell_set(c, p->cosign_verified ? ST_GOOD : ST_WARN, "%s",
			 p->cosign_verified ? "yes" : "no");
		break;
	case F_IDENTITY: text_cell(c, p->cosign_identity); break;
	case F_ISSUER: text_cell(c, p->cosign_issuer); break;
	case F_TLOG:
		if (p->tlog_index >= 0)
			cell_set(c, ST_NORMAL, "%lld", (long long)p->tlog_index);
		else
			cell_set(c, ST_DIM, "-");
		break;
	case F_ATTEMPTS: cell_set(c, ST_NORMAL, "%d", p->attempt_count); break;
	case F_ERROR:
		cell_set(c, p->error_message ? ST_BAD : ST_DIM, "%s",
			 p->error_message ? p->error_message : "-");
		break;
	case F_FIRMWARE: text_cell(c, p->firmware_ref); break;
	case F_SBOM: text_cell(c, p->sbom_url); break;
	case F_BUILT: time_cell(c, p->built_at); break;
	case F_VERIFIED_AT: time_cell(c, p->verified_at); break;
	case F_PUBLISHED: time_cell(c, p->published_at); break;
	case F_RETIRED: time_cell(c, p->retired_at); break;
	case F_PURGED: time_cell(c, p->purged_at); break;
	case F_CREATED: time_cell(c, p->created_at); break;
	case F__COUNT: break;
	}
}

static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	(void)s;
	return names[row];
}

/* The selected field's value: the digest, the ref, the sha. */
static const char *
yank(struct view *v, const struct console_snapshot *s, size_t row)
{
	static struct row r;

	memset(&r, 0, sizeof(r));
	cells(v, s, row, &r);
	return strcmp(r.cell[1].text, "-") == 0 ? NULL : r.cell[1].text;
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%.8s", v->arg);
}

const struct view_ops publication_view = {
	.name = "publication",
	.bit = VB_PUBLICATION,
	.columns = columns,
	.ncolumns = sizeof(columns) / sizeof(columns[0]),
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.yank = yank,
	.title = title,
};
