/*
 * The publication processor against a real docker-registry: a key-signed boot set is
 * published and becomes the default; every refusal (no trust policy, another key, no
 * signature, a webhook sha256 that does not match) ends failed with the old default
 * still serving.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/process.h"
#include "diskops/sigstore.h"
#include "diskops/store.h"
#include "registry.h"
#include "storeutil.h"
#include "testutil.h"

typedef struct {
	tr_registry *reg;
	char *dir;
	char *key, *other_key;
	dk_store *store;
	dk_account *acct;
	dk_oci_client *c;
	int seq;
} fixture;

static fixture *F;

static char *
read_pub(const char *key)
{
	char *path = NULL, *pem;

	assert_true(asprintf(&path, "%s.pub", key) > 0);
	pem = tu_read_file(path, NULL);
	assert_non_null(pem);
	free(path);
	return pem;
}

static int
setup(void **state)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	char *db;

	(void)state;
	F = calloc(1, sizeof(*F));
	F->reg = tr_start(TR_AUTH_NONE);
	F->dir = tu_mkdtemp();
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
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dk_oci_client_free(F->c);
	dk_account_free(F->acct);
	dk_store_free(F->store);
	tr_stop(F->reg);
	tu_rmrf(F->dir);
	free(F->dir);
	free(F->key);
	free(F->other_key);
	free(F);
	return 0;
}

static json_t *
layer(const char *repo, const char *media_type, const char *title, const char *data)
{
	char *digest = NULL;
	json_t *j;

	assert_int_equal(dk_oci_blob_push_mem(&digest, F->c, repo, data, strlen(data)), 0);
	j = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", digest, "size",
		      (json_int_t)strlen(data), "annotations", "org.opencontainers.image.title", title);
	free(digest);
	return j;
}

/* Three small blobs and an OCI manifest; *digest gets the manifest digest, *size the sum. */
static void
push_boot_set(char **digest, int64_t *size, const char *repo, const char *tag)
{
	char k[64], i[64], r[64], *cfg_digest = NULL, *bytes;
	const char *cfg = "{}";
	json_t *m;

	F->seq++;
	snprintf(k, sizeof(k), "kernel %d", F->seq);
	snprintf(i, sizeof(i), "initramfs bytes %d", F->seq);
	snprintf(r, sizeof(r), "rootfs erofs bytes %d!", F->seq);
	*size = (int64_t)(strlen(k) + strlen(i) + strlen(r));
	assert_int_equal(dk_oci_blob_push_mem(&cfg_digest, F->c, repo, cfg, strlen(cfg)), 0);
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[o, o, o]}", "schemaVersion", 2, "mediaType",
		      DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType", DK_OCI_MEDIA_EMPTY, "digest",
		      cfg_digest, "size", 2, "layers",
		      layer(repo, "application/vnd.acct.disk-image.kernel.v1", "vmlinuz", k),
		      layer(repo, "application/vnd.acct.disk-image.initramfs.v1", "initramfs.cpio.gz", i),
		      layer(repo, "application/vnd.acct.disk-image.rootfs.v1", "rootfs.erofs", r));
	bytes = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (dk_oci_manifest_put(digest, F->c, repo, tag, DK_OCI_MEDIA_OCI_MANIFEST, bytes,
				strlen(bytes)) != 0)
		fail_msg("manifest put: %s", dk_error_last()->message);
	free(bytes);
	free(cfg_digest);
}

/* A legacy cosign signature image at sha256-<hex>.sig, as `cosign sign --key` pushes it. */
static void
push_signature(const char *repo, const char *digest, const char *key)
{
	dk_sigstore_signer *s = NULL;
	dk_sigstore_layer *l = NULL;
	char tag[80], *cfg_digest = NULL, *pd = NULL, *bytes;
	const char *cfg = "{}";
	json_t *m;

	assert_int_equal(dk_sigstore_signer_load(&s, key), 0);
	assert_int_equal(dk_sigstore_sign_legacy(&l, s, digest, NULL), 0);
	assert_int_equal(dk_oci_blob_push_mem(&pd, F->c, repo, l->payload, l->payload_len), 0);
	assert_string_equal(pd, l->payload_digest);
	assert_int_equal(dk_oci_blob_push_mem(&cfg_digest, F->c, repo, cfg, strlen(cfg)), 0);
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion",
		      2, "mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType",
		      DK_OCI_MEDIA_EMPTY, "digest", cfg_digest, "size", 2, "layers", "mediaType",
		      "application/vnd.dev.cosign.simplesigning.v1+json", "digest", pd, "size",
		      (json_int_t)l->payload_len, "annotations", "dev.cosignproject.cosign/signature",
		      l->signature);
	bytes = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	assert_int_equal(dk_oci_digest_tag(tag, digest), 0);
	strcat(tag, ".sig");
	if (dk_oci_manifest_put(NULL, F->c, repo, tag, DK_OCI_MEDIA_OCI_MANIFEST, bytes,
				strlen(bytes)) != 0)
		fail_msg("signature put: %s", dk_error_last()->message);
	free(bytes);
	free(cfg_digest);
	free(pd);
	dk_sigstore_layer_free(l);
	dk_sigstore_signer_free(s);
}

/* A platform trusting `key` (NULL: no policy at all), tlog optional, with an old default. */
static dk_platform *
platform(const char *name, const char *key, dk_publication **old_default)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_TLOG,
				  .name = name, .arch = "amd64", .tlog_policy = "optional" };
	dk_platform *p = NULL, *again = NULL;
	char *pem = key ? read_pub(key) : NULL, pinned[128];

	if (pem) {
		spec.set |= DK_PLATFORM_TRUSTED_KEYS;
		spec.trusted_keys = pem;
	}
	if (dk_store_platform_create(F->store, &p, F->acct->id, &spec) < 0)
		fail_msg("platform: %s", dk_error_last()->message);
	free(pem);
	*old_default = su_publication(F->store, p, "0ld0ld0ld", DK_PUB_PUBLISHED);
	snprintf(pinned, sizeof(pinned), "%s/old@sha256:%s", F->reg->host, su_hex64(7));
	assert_int_equal(dk_store_platform_set_default(F->store, F->acct->id, p->id,
						       (*old_default)->id, pinned), 0);
	assert_int_equal(dk_store_platform_find(F->store, &again, F->acct->id, p->id), 0);
	dk_platform_free(p);
	return again;
}

static dk_publication *
queued(const dk_platform *plat, const char *git_sha, const char *oci_ref, const char *payload)
{
	dk_publication row = { 0 }, *out = NULL;

	row.account_id = plat->account_id;
	row.node_platform_id = plat->id;
	row.git_sha = (char *)git_sha;
	row.arch = plat->arch;
	row.oci_ref = (char *)oci_ref;
	row.payload = (char *)payload;
	row.status = DK_PUB_QUEUED;
	if (dk_store_publication_insert(F->store, &out, &row) < 0)
		fail_msg("insert: %s", dk_error_last()->message);
	return out;
}

static size_t
count_events(const char *kind, const char *subject)
{
	dk_event_filter f = { .account_id = F->acct->id, .kind_prefix = kind, .limit = 500 };
	dk_event_list *l = NULL;
	size_t n = 0;

	assert_int_equal(dk_store_event_list(F->store, &l, &f), 0);
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i].kind, kind) == 0 && strcmp(l->items[i].subject_id, subject) == 0)
			n++;
	dk_event_list_free(l);
	return n;
}

/* Runs the processor on a fresh boot set; checks a refusal left the old default serving. */
static void
expect_failure(const char *name, const char *trusted, const char *signer, const char *payload,
	       const char *needle)
{
	dk_publication *old = NULL, *row = NULL, *pub;
	dk_platform *plat = platform(name, trusted, &old), *after = NULL;
	dk_process_result r;
	char repo[64], *ref = NULL, *digest = NULL;
	int64_t size;

	snprintf(repo, sizeof(repo), "acct/%s", name);
	push_boot_set(&digest, &size, repo, "v1");
	if (signer)
		push_signature(repo, digest, signer);
	assert_true(asprintf(&ref, "%s/%s:v1", F->reg->host, repo) > 0);
	pub = queued(plat, "bad1bad1", ref, payload);
	assert_int_equal(dk_process_publication(F->store, &r, F->acct->id, pub->id, "test"), 0);
	assert_int_equal(r.status, DK_PUB_FAILED);
	if (!r.error_message || !strstr(r.error_message, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, r.error_message ? r.error_message : "");
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	assert_int_equal(row->status, DK_PUB_FAILED);
	assert_string_equal(row->error_message, r.error_message);
	assert_int_equal(dk_store_platform_find(F->store, &after, F->acct->id, plat->id), 0);
	assert_string_equal(after->default_publication_id, old->id);
	assert_string_equal(after->publication_status, "failed");
	assert_string_equal(after->publication_error, r.error_message);
	assert_int_equal(count_events("system.disk_image_publish_failed", pub->id), 1);
	assert_int_equal(count_events("system.disk_image_published", pub->id), 0);
	dk_process_result_clear(&r);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(after);
	dk_platform_free(plat);
	free(ref);
	free(digest);
}

static void
test_publishes_key_signed_boot_set(void **state)
{
	dk_publication *old = NULL, *pub, *row = NULL, *old_after = NULL;
	dk_platform *plat = platform("edge", F->key, &old), *after = NULL;
	dk_process_result r;
	char *ref = NULL, *digest = NULL, *pinned = NULL, payload[256];
	int64_t size;

	(void)state;
	push_boot_set(&digest, &size, "acct/edge", "v1");
	push_signature("acct/edge", digest, F->key);
	assert_true(asprintf(&ref, "%s/acct/edge:v1", F->reg->host) > 0);
	/* The webhook's sha256 for a boot set is the manifest digest's hex. */
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\",\"size_bytes\":%lld}", digest + 7,
		 (long long)size);
	pub = queued(plat, "abc123", ref, payload);
	if (dk_process_publication(F->store, &r, F->acct->id, pub->id, "test") != 0)
		fail_msg("process: %s", dk_error_last()->message);
	if (r.status != DK_PUB_PUBLISHED)
		fail_msg("not published: %s", r.error_message ? r.error_message : "");
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	assert_int_equal(row->status, DK_PUB_PUBLISHED);
	assert_string_equal(row->oci_digest, digest);
	assert_string_equal(row->artifact_sha256, digest + 7);
	assert_int_equal(row->size_bytes, size);
	assert_string_equal(row->signature_kind, "key");
	assert_true(row->cosign_verified);
	assert_true(row->is_default);
	assert_int_equal(dk_store_platform_find(F->store, &after, F->acct->id, plat->id), 0);
	assert_string_equal(after->default_publication_id, pub->id);
	assert_true(asprintf(&pinned, "%s/acct/edge@%s", F->reg->host, digest) > 0);
	assert_string_equal(after->disk_image_oci_ref, pinned);
	assert_string_equal(after->publication_status, "published");
	assert_int_equal(dk_store_publication_get(F->store, &old_after, F->acct->id, old->id), 0);
	/* The previous default stays published: keep-N (3 here) decides when it retires. */
	assert_int_equal(old_after->status, DK_PUB_PUBLISHED);
	assert_false(old_after->is_default);
	assert_int_equal(count_events("system.disk_image_published", pub->id), 1);
	dk_process_result_clear(&r);

	/* Again: already published, nothing done. */
	assert_int_equal(dk_process_publication(F->store, &r, F->acct->id, pub->id, "test"), 0);
	assert_true(r.idempotent_hit);
	assert_int_equal(count_events("system.disk_image_published", pub->id), 1);
	dk_process_result_clear(&r);
	dk_publication_free(old_after);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(after);
	dk_platform_free(plat);
	free(pinned);
	free(ref);
	free(digest);
}

static void
test_no_trust_policy_fails_closed(void **state)
{
	(void)state;
	expect_failure("nopolicy", NULL, F->key, NULL,
		       "platform 'nopolicy' has no cosign trust policy configured (set "
		       "cosign_identity_regexp + cosign_issuer_regexp");
}

static void
test_signature_by_other_key_fails(void **state)
{
	(void)state;
	expect_failure("otherkey", F->key, F->other_key, NULL, "cosign verify failed");
}

static void
test_missing_signature_fails(void **state)
{
	(void)state;
	expect_failure("unsigned", F->key, NULL, NULL, "no signature found at acct/unsigned:sha256-");
}

static void
test_webhook_sha256_mismatch_fails(void **state)
{
	char payload[128];

	(void)state;
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\"}", su_hex64(3));
	expect_failure("wrongsha", F->key, F->key, payload, "sha256 mismatch: expected=");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publishes_key_signed_boot_set),
		cmocka_unit_test(test_no_trust_policy_fails_closed),
		cmocka_unit_test(test_signature_by_other_key_fails),
		cmocka_unit_test(test_missing_signature_fails),
		cmocka_unit_test(test_webhook_sha256_mismatch_fails),
	};

	dk_log_set_level(DK_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
