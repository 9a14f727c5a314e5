#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/uuid.h"
#include "store_internal.h"

#define PLATFORM_COLUMNS \
	"np.id, np.account_id, np.name, np.arch, np.disk_image_oci_ref," \
	" np.default_publication_id, np.disk_image_publication_status," \
	" np.disk_image_publication_error, np.disk_image_retention_count," \
	" np.cosign_identity_regexp, np.cosign_issuer_regexp, np.trusted_keys, np.tlog_policy," \
	" np.trusted_root, np.build_repo, np.workflow_file, np.created_at, np.updated_at," \
	" d.git_sha, d.published_at" \
	" FROM node_platform np LEFT JOIN disk_image_publication d" \
	" ON d.id = np.default_publication_id"

static void
read_platform(sqlite3_stmt *st, void *row)
{
	dk_platform *p = row;

	p->id = dk_store__text(st, 0);
	p->account_id = dk_store__text(st, 1);
	p->name = dk_store__text(st, 2);
	p->arch = dk_store__text(st, 3);
	p->disk_image_oci_ref = dk_store__text(st, 4);
	p->default_publication_id = dk_store__text(st, 5);
	p->publication_status = dk_store__text(st, 6);
	p->publication_error = dk_store__text(st, 7);
	p->retention_count = sqlite3_column_int(st, 8);
	p->cosign_identity_regexp = dk_store__text(st, 9);
	p->cosign_issuer_regexp = dk_store__text(st, 10);
	p->trusted_keys = dk_store__text(st, 11);
	p->tlog_policy = dk_store__text(st, 12);
	p->trusted_root = dk_store__text(st, 13);
	p->build_repo = dk_store__text(st, 14);
	p->workflow_file = dk_store__text(st, 15);
	p->created_at = sqlite3_column_int64(st, 16);
	p->updated_at = sqlite3_column_int64(st, 17);
	p->default_git_sha = dk_store__text(st, 18);
	p->default_published_at = sqlite3_column_int64(st, 19);
}

int
dk_store_platform_find(dk_store *store, dk_platform **out, const char *account_id,
		       const char *name_or_id)
{
	sqlite3_stmt *st = NULL;
	dk_platform *p;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " PLATFORM_COLUMNS
				    " WHERE np.account_id = ?1 AND (np.name = ?2 OR np.id = ?2)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, name_or_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!(p = calloc(1, sizeof(*p)))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		read_platform(st, p);
		*out = p;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = dk_error_set(DK_ENOTFOUND, "platform \"%s\" not found", name_or_id);
	} else {
		rc = dk_store__fail(store, rc, "reading platforms");
	}
done:
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_platform_list(dk_store *store, dk_platform_list **out, const char *account_id)
{
	sqlite3_stmt *st = NULL;
	dk_platform_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT " PLATFORM_COLUMNS
				    " WHERE np.account_id = ? ORDER BY np.name")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_platform, "listing platforms");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_platform_list_free(l);
	return rc;
}

/* "" clears a nullable text column. */
static const char *
nullable(const char *v)
{
	return v && *v ? v : NULL;
}

int
dk_store_platform_create(dk_store *store, dk_platform **out, const char *account_id,
			 const dk_platform_spec *spec)
{
	char id[DK_UUID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int64_t now = dk_clock_now();
	int rc;

	*out = NULL;
	dk_uuid_v4(id);
	rc = dk_store__prepare(store, &st,
		"INSERT INTO node_platform (id, account_id, name, arch, disk_image_retention_count,"
		" cosign_identity_regexp, cosign_issuer_regexp, trusted_keys, tlog_policy,"
		" build_repo, workflow_file, trusted_root, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, coalesce(?5, 3), ?6, ?7, ?8, coalesce(?9, 'required'),"
		" ?10, coalesce(?11, '.gitea/workflows/build-disk-image.yml'), ?12, ?13, ?13)");
	if (rc < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, spec->name);
	dk_store__bind_text(st, 4, spec->arch);
	if (spec->set & DK_PLATFORM_RETENTION)
		sqlite3_bind_int(st, 5, spec->retention_count);
	if (spec->set & DK_PLATFORM_IDENTITY_RE)
		dk_store__bind_text(st, 6, nullable(spec->identity_regexp));
	if (spec->set & DK_PLATFORM_ISSUER_RE)
		dk_store__bind_text(st, 7, nullable(spec->issuer_regexp));
	if (spec->set & DK_PLATFORM_TRUSTED_KEYS)
		dk_store__bind_text(st, 8, nullable(spec->trusted_keys));
	if (spec->set & DK_PLATFORM_TLOG)
		dk_store__bind_text(st, 9, spec->tlog_policy);
	if (spec->set & DK_PLATFORM_BUILD_REPO)
		dk_store__bind_text(st, 10, nullable(spec->build_repo));
	if (spec->set & DK_PLATFORM_WORKFLOW)
		dk_store__bind_text(st, 11, nullable(spec->workflow_file));
	if (spec->set & DK_PLATFORM_TRUSTED_ROOT)
		dk_store__bind_text(st, 12, nullable(spec->trusted_root));
	sqlite3_bind_int64(st, 13, now);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "creating the platform");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "platform \"%s\" already exists in this account",
				     spec->name);
		return rc;
	}
	return dk_store_platform_find(store, out, account_id, id);
}

struct column_change {
	unsigned bit;
	const char *column;
};

static const struct column_change changes_table[] = {
	{ DK_PLATFORM_NAME, "name" },
	{ DK_PLATFORM_ARCH, "arch" },
	{ DK_PLATFORM_RETENTION, "disk_image_retention_count" },
	{ DK_PLATFORM_IDENTITY_RE, "cosign_identity_regexp" },
	{ DK_PLATFORM_ISSUER_RE, "cosign_issuer_regexp" },
	{ DK_PLATFORM_TRUSTED_KEYS, "trusted_keys" },
	{ DK_PLATFORM_TLOG, "tlog_policy" },
	{ DK_PLATFORM_BUILD_REPO, "build_repo" },
	{ DK_PLATFORM_WORKFLOW, "workflow_file" },
	{ DK_PLATFORM_TRUSTED_ROOT, "trusted_root" },
};

static void
bind_change(sqlite3_stmt *st, int idx, unsigned bit, const dk_platform_spec *c)
{
	switch (bit) {
	case DK_PLATFORM_NAME: dk_store__bind_text(st, idx, c->name); break;
	case DK_PLATFORM_ARCH: dk_store__bind_text(st, idx, c->arch); break;
	case DK_PLATFORM_RETENTION: sqlite3_bind_int(st, idx, c->retention_count); break;
	case DK_PLATFORM_IDENTITY_RE: dk_store__bind_text(st, idx, nullable(c->identity_regexp)); break;
	case DK_PLATFORM_ISSUER_RE: dk_store__bind_text(st, idx, nullable(c->issuer_regexp)); break;
	case DK_PLATFORM_TRUSTED_KEYS: dk_store__bind_text(st, idx, nullable(c->trusted_keys)); break;
	case DK_PLATFORM_TLOG: dk_store__bind_text(st, idx, c->tlog_policy); break;
	case DK_PLATFORM_BUILD_REPO: dk_store__bind_text(st, idx, nullable(c->build_repo)); break;
	case DK_PLATFORM_WORKFLOW: dk_store__bind_text(st, idx, c->workflow_file); break;
	case DK_PLATFORM_TRUSTED_ROOT: dk_store__bind_text(st, idx, nullable(c->trusted_root)); break;
	}
}

int
dk_store_platform_update(dk_store *store, dk_platform **out, const char *account_id,
			 const char *platform_id, const dk_platform_spec *changes)
{
	char sql[1024] = "UPDATE node_platform SET updated_at = ?1";
	size_t n = sizeof(changes_table) / sizeof(changes_table[0]);
	sqlite3_stmt *st = NULL;
	int rc, idx = 3;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (changes->set & changes_table[i].bit) {
			size_t len = strlen(sql);

			snprintf(sql + len, sizeof(sql) - len, ", %s = ?%d", changes_table[i].column, idx++);
		}
	}
	strncat(sql, " WHERE account_id = ?2 AND id = ?", sizeof(sql) - strlen(sql) - 1);
	{
		size_t len = strlen(sql);

		snprintf(sql + len, sizeof(sql) - len, "%d", idx);
	}
	if ((rc = dk_store__prepare(store, &st, sql)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, dk_clock_now());
	dk_store__bind_text(st, 2, account_id);
	idx = 3;
	for (size_t i = 0; i < n; i++) {
		if (changes->set & changes_table[i].bit)
			bind_change(st, idx++, changes_table[i].bit, changes);
	}
	dk_store__bind_text(st, idx, platform_id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "updating the platform");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "platform \"%s\" already exists in this account",
				     changes->name ? changes->name : platform_id);
		return rc;
	}
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "platform \"%s\" not found", platform_id);
	return dk_store_platform_find(store, out, account_id, platform_id);
}

int
dk_store_platform_set_default(dk_store *store, const char *account_id, const char *platform_id,
			      const char *publication_id, const char *pinned_ref)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE node_platform SET default_publication_id = ?,"
				    " disk_image_oci_ref = ?, disk_image_publication_status = 'published',"
				    " disk_image_publication_error = NULL, updated_at = ?"
				    " WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, publication_id);
	dk_store__bind_text(st, 2, pinned_ref);
	sqlite3_bind_int64(st, 3, dk_clock_now());
	dk_store__bind_text(st, 4, account_id);
	dk_store__bind_text(st, 5, platform_id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "moving the platform default");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "platform %s not found", platform_id);
	return 0;
}
