#ifndef DISKOPS_INGEST_FIXTURE_H
#define DISKOPS_INGEST_FIXTURE_H

/*
 * Shared by the ingest layout and fault tests: a real registry, a store, signing keys,
 * the tests/interop keyless material, platforms with an old default, queued rows, and
 * the assertions every refusal must pass (row and platform failed, old default still
 * serving, one failure event, no temp files).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/process.h"
#include "diskops/sigstore.h"
#include "diskops/store.h"
#include "ociutil.h"
#include "registry.h"
#include "storeutil.h"
#include "testutil.h"

/* tests/interop/gen.js's keyless identity and issuer. */
#define KEYLESS_ID "https://ci.example/acct/disk-images/.gitea/workflows/build.yml@refs/heads/main"
#define KEYLESS_ISSUER "https://token.ci.example"

typedef struct {
	tr_registry *reg;
	char *dir;
	char *tmp;              /* $TMPDIR while ingest runs: must stay empty */
	char *gen;              /* gen.js output, or NULL when not asked for */
	char *key, *other_key;
	dk_store *store;
	dk_account *acct;
	dk_oci_client *c;
	int seq;
} ingest_fixture;

static ingest_fixture *F;

static inline char *
fx_gen_path(const char *name)
{
	return tu_path(F->gen, name);
}

static inline int
fx_setup(bool keyless)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	char *db;

	F = calloc(1, sizeof(*F));
	F->reg = tr_start(TR_AUTH_NONE);
	F->dir = tu_mkdtemp();
	if (keyless) {
		const char *argv[] = { "node", "tests/interop/gen.js", NULL, NULL };
		tu_run_result rr;

		F->gen = tu_path(F->dir, "gen");
		argv[2] = F->gen;
		if (tu_run(&rr, argv, NULL, NULL) != 0)
			fail_msg("node tests/interop/gen.js failed (run `make interop-deps`):\n%s%s",
				 rr.out, rr.err);
		tu_run_result_free(&rr);
	}
	F->tmp = tu_path(F->dir, "tmp");
	assert_int_equal(mkdir(F->tmp, 0700), 0);
	F->key = tu_path(F->dir, "ci.key");
	F->other_key = tu_path(F->dir, "other.key");
	assert_int_equal(dk_sigstore_keygen(F->key), 0);
	assert_int_equal(dk_sigstore_keygen(F->other_key), 0);
	db = tu_path(F->dir, "diskops.db");
	if (dk_store_open(&F->store, db, NULL) < 0)
		fail_msg("store: %s", dk_error_last()->message);
	free(db);
	assert_int_equal(dk_store_account_create(F->store, &F->acct, "alpha"), 0);
	o.docker_config = "/nonexistent/config.json";
	assert_int_equal(dk_oci_client_new(&F->c, F->reg->host, &o), 0);
	/* Whatever ingest might stage goes here, where the tests can see it. */
	setenv("TMPDIR", F->tmp, 1);
	dk_log_set_level(DK_LOG_ERROR);
	return 0;
}

static inline int
fx_teardown(void **state)
{
	(void)state;
	unsetenv("TMPDIR");
	dk_oci_client_free(F->c);
	dk_account_free(F->acct);
	dk_store_free(F->store);
	tr_stop(F->reg);
	tu_rmrf(F->dir);
	free(F->dir);
	free(F->tmp);
	free(F->gen);
	free(F->key);
	free(F->other_key);
	free(F);
	return 0;
}

static inline char *
fx_read_pub(const char *key)
{
	char *path = NULL, *pem;

	assert_true(asprintf(&path, "%s.pub", key) > 0);
	pem = tu_read_file(path, NULL);
	assert_non_null(pem);
	free(path);
	return pem;
}

/*
 * A platform (amd64) with an old published default. trusted_key: key mode, tlog
 * optional; "keyless": gen.js's identity, issuer and trusted root; NULL: no policy.
 */
static inline dk_platform *
fx_platform(const char *name, const char *trusted_key, dk_publication **old_default)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_TLOG,
				  .name = name, .arch = "amd64", .tlog_policy = "optional" };
	dk_platform *p = NULL, *again = NULL;
	char *pem = NULL, *root = NULL, pinned[128];

	if (trusted_key && strcmp(trusted_key, "keyless") == 0) {
		root = fx_gen_path("trusted_root.json");
		spec.set |= DK_PLATFORM_IDENTITY_RE | DK_PLATFORM_ISSUER_RE | DK_PLATFORM_TRUSTED_ROOT;
		spec.identity_regexp = "^https://ci\\.example/acct/disk-images/";
		spec.issuer_regexp = "^https://token\\.ci\\.example$";
		spec.trusted_root = root;
		spec.tlog_policy = "required";
	} else if (trusted_key) {
		pem = fx_read_pub(trusted_key);
		spec.set |= DK_PLATFORM_TRUSTED_KEYS;
		spec.trusted_keys = pem;
	}
	if (dk_store_platform_create(F->store, &p, F->acct->id, &spec) < 0)
		fail_msg("platform: %s", dk_error_last()->message);
	free(pem);
	free(root);
	*old_default = su_publication(F->store, p, "0ld0ld0ld", DK_PUB_PUBLISHED);
	snprintf(pinned, sizeof(pinned), "%s/old@sha256:%s", F->reg->host, su_hex64(7));
	assert_int_equal(dk_store_platform_set_default(F->store, F->acct->id, p->id,
						       (*old_default)->id, pinned), 0);
	assert_int_equal(dk_store_platform_find(F->store, &again, F->acct->id, p->id), 0);
	dk_platform_free(p);
	return again;
}

static inline dk_publication *
fx_queued(const dk_platform *plat, const char *git_sha, const char *oci_ref, const char *payload)
{
	dk_publication row = { 0 }, *out = NULL;

	row.account_id = plat->account_id;
	row.node_platform_id = plat->id;
	row.git_sha = (char *)git_sha;
	row.arch = plat->arch;
	row.oci_ref = (char *)oci_ref;
	row.payload = (char *)payload;
	row.firmware_ref = "fw-2026.11";
	row.status = DK_PUB_QUEUED;
	if (dk_store_publication_insert(F->store, &out, &row) < 0)
		fail_msg("insert: %s", dk_error_last()->message);
	return out;
}

/* "<registry>/<repo>:<tag>"; caller frees. */
static inline char *
fx_ref(const char *host, const char *repo, const char *tag)
{
	char *ref = NULL;

	assert_true(asprintf(&ref, "%s/%s%s%s", host, repo, tag[0] == '@' ? "" : ":", tag) > 0);
	return ref;
}

/* The events of `kind` about `subject`; the newest one's payload in *payload (may be NULL). */
static inline size_t
fx_events(const char *kind, const char *subject, json_t **payload)
{
	dk_event_filter f = { .account_id = F->acct->id, .kind_prefix = kind, .limit = 500 };
	dk_event_list *l = NULL;
	size_t n = 0;

	if (payload)
		*payload = NULL;
	assert_int_equal(dk_store_event_list(F->store, &l, &f), 0);
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].kind, kind) != 0 || strcmp(l->items[i].subject_id, subject) != 0)
			continue;
		if (n++ == 0 && payload)
			*payload = json_loads(l->items[i].payload, 0, NULL);
	}
	dk_event_list_free(l);
	return n;
}

static inline void
fx_assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in: %s", needle, haystack ? haystack : "(null)");
}

/* Runs the processor and asserts the refusal as every failure must look. */
static inline void
fx_expect_failed(const dk_platform *plat, const dk_publication *old, const dk_publication *pub,
		 const char *needle)
{
	dk_process_result r;
	dk_publication *row = NULL;
	dk_platform *after = NULL;

	if (dk_process_publication(F->store, &r, F->acct->id, pub->id, "test") != 0)
		fail_msg("process: %s", dk_error_last()->message);
	if (r.status != DK_PUB_FAILED)
		fail_msg("expected failed, got %s", dk_pub_status_name(r.status));
	fx_assert_contains(r.error_message, needle);
	if (getenv("FX_VERBOSE"))
		print_message("  failed: %s\n", r.error_message);
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	assert_int_equal(row->status, DK_PUB_FAILED);
	assert_string_equal(row->error_message, r.error_message);
	assert_false(row->cosign_verified);
	assert_int_equal(dk_store_platform_find(F->store, &after, F->acct->id, plat->id), 0);
	assert_string_equal(after->default_publication_id, old->id);
	assert_string_equal(after->publication_status, "failed");
	assert_string_equal(after->publication_error, r.error_message);
	assert_int_equal(fx_events("system.disk_image_publish_failed", pub->id, NULL), 1);
	assert_int_equal(fx_events("system.disk_image_published", pub->id, NULL), 0);
	assert_int_equal(ou_count_entries(F->tmp), 0);
	dk_process_result_clear(&r);
	dk_publication_free(row);
	dk_platform_free(after);
}

/* Runs the processor and asserts the publish: row published and the platform's default. */
static inline dk_publication *
fx_expect_published(const dk_platform *plat, const dk_publication *pub)
{
	dk_process_result r;
	dk_publication *row = NULL;
	dk_platform *after = NULL;

	if (dk_process_publication(F->store, &r, F->acct->id, pub->id, "test") != 0)
		fail_msg("process: %s", dk_error_last()->message);
	if (r.status != DK_PUB_PUBLISHED)
		fail_msg("not published: %s", r.error_message ? r.error_message : "");
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	assert_int_equal(row->status, DK_PUB_PUBLISHED);
	assert_true(row->cosign_verified);
	assert_int_equal(dk_store_platform_find(F->store, &after, F->acct->id, plat->id), 0);
	assert_string_equal(after->default_publication_id, pub->id);
	assert_string_equal(after->publication_status, "published");
	assert_int_equal(fx_events("system.disk_image_published", pub->id, NULL), 1);
	assert_int_equal(ou_count_entries(F->tmp), 0);
	dk_process_result_clear(&r);
	dk_platform_free(after);
	return row;
}

#endif
