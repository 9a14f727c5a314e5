/*
 * Issue 5's "Bad input and faults", each against the real docker-registry (a fault
 * proxy in front of it for what a registry cannot be made to do, the storage dir
 * tampered with for bytes that lie): the publication ends failed with a clear message,
 * or is retried where the trouble is the network's; the platform's previous default
 * still stands; no temp files are left.
 */
#include <time.h>
#include <unistd.h>

#include "diskops/jobs.h"
#include "diskops/store_serve.h"
#include "ingest_fixture.h"

static int
setup(void **state)
{
	(void)state;
	/* No ~/.docker/config.json of the developer's may lend credentials. */
	setenv("DOCKER_CONFIG", "/nonexistent", 1);
	return fx_setup(false);
}

/* A key-signed boot set at acct/<name>:v1; returns the manifest digest. */
static char *
signed_boot_set(const char *name, int64_t *size)
{
	char repo[64], *digest;

	snprintf(repo, sizeof(repo), "acct/%s", name);
	digest = ou_boot_set(F->c, repo, "v1", ++F->seq, size);
	ou_sign_legacy(F->c, repo, digest, F->key);
	return digest;
}

/* A key-signed .img at acct/<name>:v1 (bundle layer over the image bytes). */
static char *
signed_img(const char *name, const char *img, const char *signer)
{
	char repo[64], *bundle = signer ? ou_key_bundle(signer, img, strlen(img)) : NULL, *digest;

	snprintf(repo, sizeof(repo), "acct/%s", name);
	digest = ou_img(F->c, repo, "v1", "disk.img", img, strlen(img), bundle, NULL);
	free(bundle);
	return digest;
}

/* One refusal end to end: platform trusting F->key, a row for `ref`, the assertions. */
static void
expect_failed_ref(const char *name, const char *ref, const char *payload, const char *needle)
{
	dk_publication *old = NULL, *pub;
	dk_platform *plat = fx_platform(name, F->key, &old);

	pub = fx_queued(plat, "f00df00d", ref, payload);
	fx_expect_failed(plat, old, pub, needle);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
}

static void
expect_failed_repo(const char *name, const char *tag, const char *payload, const char *needle)
{
	char repo[64], *ref;

	snprintf(repo, sizeof(repo), "acct/%s", name);
	ref = fx_ref(F->reg->host, repo, tag);
	expect_failed_ref(name, ref, payload, needle);
	free(ref);
}

/* Replaces a blob's bytes in the registry's storage, behind the registry's back. */
static void
tamper_blob(const char *digest, const char *bytes)
{
	char *path = tr_blob_path(F->reg, digest);

	assert_int_equal(tu_write_file(path, bytes, 0644), 0);
	free(path);
}

/* The descriptor digest of layer `i` of repo@digest. */
static char *
layer_digest(const char *repo, const char *digest, size_t i)
{
	dk_oci_manifest *m = NULL;
	char *out;

	assert_int_equal(dk_oci_manifest_get(&m, F->c, repo, digest), 0);
	assert_true(i < m->n_layers);
	out = strdup(m->layers[i].digest);
	dk_oci_manifest_free(m);
	return out;
}

static void
test_registry_down_is_retried_not_failed(void **state)
{
	dk_publication *old = NULL, *pub, *row = NULL;
	dk_platform *plat = fx_platform("down", F->key, &old), *after = NULL;
	dk_job *job = NULL;
	int64_t job_id;
	char ref[96];

	(void)state;
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/acct/down:v1", tr_free_port());
	pub = fx_queued(plat, "d0d0d0d0", ref, NULL);
	assert_int_equal(dk_store_job_enqueue(F->store, &job_id, "ingest", pub->id, F->acct->id, 0), 0);
	assert_int_equal(dk_jobs_run_one(F->store, "ingest", "w1", dk_jobs_ingest, NULL), 0);
	assert_int_equal(dk_store_job_get(F->store, &job, job_id), 0);
	assert_string_equal(job->state, "ready");
	assert_int_equal(job->attempts, 1);
	fx_assert_contains(job->last_error, "127.0.0.1");
	assert_int_equal(dk_store_publication_get(F->store, &row, F->acct->id, pub->id), 0);
	assert_int_not_equal(row->status, DK_PUB_FAILED);
	assert_null(row->error_message);
	assert_int_equal(dk_store_platform_find(F->store, &after, F->acct->id, plat->id), 0);
	assert_string_equal(after->default_publication_id, old->id);
	assert_int_equal(fx_events("system.disk_image_publish_failed", pub->id, NULL), 0);
	assert_int_equal(ou_count_entries(F->tmp), 0);
	dk_job_free(job);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(after);
	dk_platform_free(plat);
}

static void
test_registry_401_fails(void **state)
{
	tr_registry *basic;
	char *ref;

	(void)state;
	/* Its own temp dir goes beside the fixture's, not into the watched $TMPDIR. */
	unsetenv("TMPDIR");
	basic = tr_start(TR_AUTH_BASIC);
	setenv("TMPDIR", F->tmp, 1);
	ref = fx_ref(basic->host, "acct/locked", "v1");
	expect_failed_ref("locked", ref, NULL, "401");
	free(ref);
	tr_stop(basic);
}

static void
test_registry_403_fails(void **state)
{
	tr_proxy *px = tr_proxy_start(F->reg->url);
	char *digest, *ref;
	int64_t size;

	(void)state;
	digest = signed_boot_set("forbidden", &size);
	tr_proxy_fault(px, "GET", "/manifests/", TR_FAULT_STATUS, 403, NULL, 0, 100);
	ref = fx_ref(tr_proxy_host(px), "acct/forbidden", "v1");
	expect_failed_ref("forbidden", ref, NULL, "403");
	free(ref);
	free(digest);
	tr_proxy_stop(px);
}

static void
test_manifest_404_fails(void **state)
{
	(void)state;
	expect_failed_repo("nomanifest", "v9", NULL, "oras pull failed: ");
}

static void
test_blob_404_fails(void **state)
{
	tr_proxy *px = tr_proxy_start(F->reg->url);
	char *digest, *layer, *ref, path[128];
	int64_t size;

	(void)state;
	digest = signed_boot_set("noblob", &size);
	layer = layer_digest("acct/noblob", digest, 1);
	/* The registry caches blob links, so a 404 for a listed layer comes from the proxy. */
	snprintf(path, sizeof(path), "/blobs/%s", layer);
	tr_proxy_fault(px, "GET", path, TR_FAULT_STATUS, 404, NULL, 0, 100);
	ref = fx_ref(tr_proxy_host(px), "acct/noblob", "v1");
	expect_failed_ref("noblob", ref, NULL, "(404 ");
	free(ref);
	free(layer);
	free(digest);
	tr_proxy_stop(px);
}

static void
test_500_then_success_is_retried_and_published(void **state)
{
	tr_proxy *px = tr_proxy_start(F->reg->url);
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("flaky", F->key, &old);
	char *digest, *ref;
	int64_t size;

	(void)state;
	digest = signed_boot_set("flaky", &size);
	tr_proxy_fault(px, "GET", "/manifests/v1", TR_FAULT_STATUS, 500, NULL, 0, 1);
	ref = fx_ref(tr_proxy_host(px), "acct/flaky", "v1");
	pub = fx_queued(plat, "fa11fa11", ref, NULL);
	row = fx_expect_published(plat, pub);
	assert_string_equal(row->oci_digest, digest);
	assert_int_equal(tr_proxy_count(px, "GET /v2/acct/flaky/manifests/v1"), 2);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(ref);
	free(digest);
	tr_proxy_stop(px);
}

static void
test_429_with_retry_after_is_honoured(void **state)
{
	tr_proxy *px = tr_proxy_start(F->reg->url);
	dk_publication *old = NULL, *pub, *row;
	dk_platform *plat = fx_platform("busy", F->key, &old);
	char *digest, *layer, *ref, path[128];
	struct timespec t0, t1;
	int64_t size;
	double waited;

	(void)state;
	digest = signed_boot_set("busy", &size);
	layer = layer_digest("acct/busy", digest, 2);
	snprintf(path, sizeof(path), "/blobs/%s", layer);
	tr_proxy_fault(px, "GET", path, TR_FAULT_STATUS, 429, "1", 0, 1);
	ref = fx_ref(tr_proxy_host(px), "acct/busy", "v1");
	pub = fx_queued(plat, "b0b0b0b0", ref, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	row = fx_expect_published(plat, pub);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Retry-After: 1 was waited out, not the 250 ms first backoff. */
	if (waited < 0.95)
		fail_msg("published after %.3f s: Retry-After: 1 not honoured", waited);
	snprintf(path, sizeof(path), "GET /v2/acct/busy/blobs/%s", layer);
	assert_int_equal(tr_proxy_count(px, path), 2);
	dk_publication_free(row);
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(ref);
	free(layer);
	free(digest);
	tr_proxy_stop(px);
}

static void
test_blob_bytes_not_matching_digest_fail(void **state)
{
	char *digest, *layer;
	int64_t size;

	(void)state;
	digest = signed_boot_set("liar", &size);
	layer = layer_digest("acct/liar", digest, 0);
	tamper_blob(layer, "kernel X");   /* same length as "kernel N", other bytes */
	expect_failed_repo("liar", "v1", NULL, "digest mismatch");
	free(layer);
	free(digest);
}

static void
test_truncated_blob_fails(void **state)
{
	char *digest, *layer;
	int64_t size;

	(void)state;
	digest = signed_boot_set("short", &size);
	layer = layer_digest("acct/short", digest, 2);
	tamper_blob(layer, "rootfs");
	expect_failed_repo("short", "v1", NULL, "oras pull failed: ");
	free(layer);
	free(digest);
}

static void
test_manifest_bytes_not_matching_digest_fail(void **state)
{
	dk_oci_manifest *m = NULL;
	char *digest, *bytes, tag[80];
	int64_t size;

	(void)state;
	digest = signed_boot_set("forged", &size);
	assert_int_equal(dk_oci_manifest_get(&m, F->c, "acct/forged", digest), 0);
	/* Still a valid manifest, one byte longer: the registry serves it as it is. */
	bytes = calloc(1, m->size + 2);
	memcpy(bytes, m->data, m->size);
	bytes[m->size] = ' ';
	tamper_blob(digest, bytes);
	snprintf(tag, sizeof(tag), "@%s", digest);
	expect_failed_repo("forged", tag, NULL, "digest mismatch");
	dk_oci_manifest_free(m);
	free(bytes);
	free(digest);
}

static void
test_index_without_platform_arch_fails(void **state)
{
	char *digest, *bytes;
	int64_t size;
	json_t *idx;
	dk_oci_descriptor *d = NULL;

	(void)state;
	digest = signed_boot_set("armonly", &size);
	assert_int_equal(dk_oci_manifest_head(&d, F->c, "acct/armonly", digest), 0);
	idx = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s, s:s}}]}", "schemaVersion", 2,
			"mediaType", DK_OCI_MEDIA_OCI_INDEX, "manifests", "mediaType",
			DK_OCI_MEDIA_OCI_MANIFEST, "digest", digest, "size", (json_int_t)d->size,
			"platform", "os", "linux", "architecture", "arm64");
	bytes = json_dumps(idx, JSON_COMPACT);
	assert_int_equal(dk_oci_manifest_put(NULL, F->c, "acct/armonly", "multi",
					     DK_OCI_MEDIA_OCI_INDEX, bytes, strlen(bytes)), 0);
	expect_failed_repo("armonly", "multi", NULL, "arm64");
	json_decref(idx);
	dk_oci_descriptor_free(d);
	free(bytes);
	free(digest);
}

static void
test_img_missing_fails(void **state)
{
	static const char readme[] = "nothing to boot here\n";

	(void)state;
	free(ou_manifest(F->c, "acct/noimg", "v1",
			 json_pack("[o]", ou_layer(F->c, "acct/noimg", "text/markdown", "README.md",
						   readme, strlen(readme))),
			 NULL, NULL));
	expect_failed_repo("noimg", "v1", NULL, "no .img layer in OCI artifact");
}

static void
test_img_signature_missing_fails(void **state)
{
	(void)state;
	free(signed_img("imgunsigned", "an unsigned disk image\n", NULL));
	expect_failed_repo("imgunsigned", "v1", NULL,
			   "cosign verify-blob failed: missing .cosign-bundle layer");
}

static void
test_img_signed_by_wrong_key_fails(void **state)
{
	(void)state;
	free(signed_img("imgotherkey", "a disk image signed by someone else\n", F->other_key));
	expect_failed_repo("imgotherkey", "v1", NULL, "cosign verify-blob failed: ");
}

/* A signed .img whose title is a path: pull could never write it, so ingest refuses it. */
static void
test_img_titled_like_a_path_fails(void **state)
{
	static const char img[] = "a disk image with a hostile title\n";
	char *bundle = ou_key_bundle(F->key, img, strlen(img));

	(void)state;
	free(ou_img(F->c, "acct/imgpath", "v1", "../../etc/disk.img", img, strlen(img), bundle,
		    NULL));
	free(bundle);
	expect_failed_repo("imgpath", "v1", NULL,
			   "layer title \"../../etc/disk.img\" is not a plain file name");
}

static void
test_webhook_sha256_disagreeing_fails(void **state)
{
	char payload[128];

	(void)state;
	free(signed_img("imgsha", "image whose sha256 the webhook gets wrong\n", F->key));
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\"}", su_hex64(11));
	expect_failed_repo("imgsha", "v1", payload, "sha256 mismatch: expected=");
}

static void
test_webhook_size_disagreeing_fails(void **state)
{
	static const char img[] = "image whose size the webhook gets wrong\n";
	char payload[160], want[72];

	(void)state;
	free(signed_img("imgsize", img, F->key));
	dk_oci_digest_of(want, img, strlen(img));
	snprintf(payload, sizeof(payload), "{\"sha256\":\"%s\",\"size_bytes\":%zu}", want + 7,
		 strlen(img) + 1);
	expect_failed_repo("imgsize", "v1", payload, "size mismatch: expected=");
}

static void
test_platform_without_trust_policy_fails_closed(void **state)
{
	dk_publication *old = NULL, *pub;
	dk_platform *plat = fx_platform("nopolicy", NULL, &old);
	char *ref;

	(void)state;
	free(signed_img("nopolicy", "image for a platform that trusts nobody\n", F->key));
	ref = fx_ref(F->reg->host, "acct/nopolicy", "v1");
	pub = fx_queued(plat, "0p0p0p0p", ref, NULL);
	fx_expect_failed(plat, old, pub, "platform 'nopolicy' has no cosign trust policy configured "
			 "(set cosign_identity_regexp + cosign_issuer_regexp");
	dk_publication_free(pub);
	dk_publication_free(old);
	dk_platform_free(plat);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_down_is_retried_not_failed),
		cmocka_unit_test(test_registry_401_fails),
		cmocka_unit_test(test_registry_403_fails),
		cmocka_unit_test(test_manifest_404_fails),
		cmocka_unit_test(test_blob_404_fails),
		cmocka_unit_test(test_500_then_success_is_retried_and_published),
		cmocka_unit_test(test_429_with_retry_after_is_honoured),
		cmocka_unit_test(test_blob_bytes_not_matching_digest_fail),
		cmocka_unit_test(test_truncated_blob_fails),
		cmocka_unit_test(test_manifest_bytes_not_matching_digest_fail),
		cmocka_unit_test(test_index_without_platform_arch_fails),
		cmocka_unit_test(test_img_missing_fails),
		cmocka_unit_test(test_img_signature_missing_fails),
		cmocka_unit_test(test_img_signed_by_wrong_key_fails),
		cmocka_unit_test(test_img_titled_like_a_path_fails),
		cmocka_unit_test(test_webhook_sha256_disagreeing_fails),
		cmocka_unit_test(test_webhook_size_disagreeing_fails),
		cmocka_unit_test(test_platform_without_trust_policy_fails_closed),
	};

	return cmocka_run_group_tests(tests, setup, fx_teardown);
}
