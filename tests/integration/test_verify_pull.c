/*
 * `diskops verify` and `diskops pull` as a user runs them, against a real
 * docker-registry: verify decides exactly as ingest would and writes nothing; pull
 * writes a published image's files byte for byte with a SHA256SUMS that sha256sum -c
 * accepts, refuses what is not published, and leaves nothing behind when the registry's
 * bytes no longer match what was published.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>
#include <time.h>

#include "cliutil.h"
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

#define RUN(r, ...) cli_run(E, (r), __VA_ARGS__, NULL)

static tr_registry *REG;
static cli_env *E;
static dk_store *S;
static dk_account *A;
static dk_oci_client *C;
static char *KEY, *OTHER;

static int
setup(void **state)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	tu_run_result r;
	char *pub, *db;

	(void)state;
	REG = tr_start(TR_AUTH_NONE);
	E = cli_env_new();
	E->extra_env[0] = "DOCKER_CONFIG=/nonexistent";
	KEY = tu_path(E->dir, "ci.key");
	OTHER = tu_path(E->dir, "other.key");
	assert_int_equal(dk_sigstore_keygen(KEY), 0);
	assert_int_equal(dk_sigstore_keygen(OTHER), 0);
	assert_int_equal(RUN(&r, "init"), 0);
	tu_run_result_free(&r);
	assert_true(asprintf(&pub, "%s.pub", KEY) > 0);
	assert_int_equal(RUN(&r, "platform", "create", "edge", "--arch", "amd64", "--trusted-key",
			     pub, "--tlog", "optional"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(&r, "platform", "create", "bare", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	free(pub);
	db = tu_path(E->state_dir, "diskops.db");
	if (dk_store_open(&S, db, NULL) < 0)
		fail_msg("store: %s", dk_error_last()->message);
	free(db);
	assert_int_equal(dk_store_account_find(S, &A, "default"), 0);
	o.docker_config = "/nonexistent/config.json";
	assert_int_equal(dk_oci_client_new(&C, REG->host, &o), 0);
	dk_log_set_level(DK_LOG_ERROR);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	dk_oci_client_free(C);
	dk_account_free(A);
	dk_store_free(S);
	cli_env_free(E);
	tr_stop(REG);
	free(KEY);
	free(OTHER);
	return 0;
}

static char *
ref_of(const char *repo, const char *tag)
{
	char *ref = NULL;

	assert_true(asprintf(&ref, "%s/%s:%s", REG->host, repo, tag) > 0);
	return ref;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in: %s", needle, haystack ? haystack : "(null)");
}

/* What verify must not touch: publication, event and job rows, the platform's state. */
static char *
store_fingerprint(void)
{
	char *db = tu_path(E->state_dir, "diskops.db"), *out = NULL;

	assert_true(asprintf(&out, "%lld/%lld/%lld/%lld",
			     (long long)su_sql_int(db, "SELECT count(*) FROM disk_image_publication"),
			     (long long)su_sql_int(db, "SELECT count(*) FROM event"),
			     (long long)su_sql_int(db, "SELECT count(*) FROM job"),
			     (long long)su_sql_int(db, "SELECT max(updated_at) FROM node_platform")) > 0);
	free(db);
	return out;
}

/* Pushes a key-signed boot set, queues it for platform P and publishes it in-process. */
static dk_publication *
publish_boot_set(const char *platform, const char *repo, const char *git_sha, int seq)
{
	dk_platform *plat = NULL;
	dk_publication row = { 0 }, *pub = NULL;
	dk_process_result r;
	char *digest, *ref;
	int64_t size;

	digest = ou_boot_set(C, repo, git_sha, seq, &size);
	ou_sign_legacy(C, repo, digest, KEY);
	ref = ref_of(repo, git_sha);
	assert_int_equal(dk_store_platform_find(S, &plat, A->id, platform), 0);
	row.account_id = A->id;
	row.node_platform_id = plat->id;
	row.git_sha = (char *)git_sha;
	row.arch = "amd64";
	row.oci_ref = ref;
	row.status = DK_PUB_QUEUED;
	assert_int_equal(dk_store_publication_insert(S, &pub, &row), 0);
	if (dk_process_publication(S, &r, A->id, pub->id, "test") != 0 || r.status != DK_PUB_PUBLISHED)
		fail_msg("not published: %s", r.error_message ? r.error_message : dk_error_last()->message);
	dk_process_result_clear(&r);
	dk_platform_free(plat);
	free(digest);
	free(ref);
	return pub;
}

static void
test_verify_signed_boot_set_writes_nothing(void **state)
{
	tu_run_result r;
	char *digest, *ref, *before, *after;
	int64_t size;
	json_t *j;

	(void)state;
	digest = ou_boot_set(C, "acct/verify", "v1", 1, &size);
	ou_sign_legacy(C, "acct/verify", digest, KEY);
	ref = ref_of("acct/verify", "v1");
	before = store_fingerprint();
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "edge", "--json"), 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_string_equal(json_string_value(json_object_get(j, "digest")), digest);
	assert_string_equal(json_string_value(json_object_get(j, "layout")), "boot-set");
	assert_string_equal(json_string_value(json_object_get(j, "signature_kind")), "key");
	assert_string_equal(json_string_value(json_object_get(j, "signature_source")), "legacy");
	assert_int_equal(json_integer_value(json_object_get(j, "size_bytes")), size);
	assert_int_equal(json_array_size(json_object_get(j, "files")), 3);
	json_decref(j);
	tu_run_result_free(&r);
	/* The human form says the same. */
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "edge"), 0);
	if (getenv("VP_VERBOSE"))
		print_message("%s", r.out);
	assert_contains(r.out, "verified: ");
	assert_contains(r.out, digest);
	tu_run_result_free(&r);
	after = store_fingerprint();
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(digest);
	free(ref);
}

static void
test_verify_refusals_exit_4_with_the_reason(void **state)
{
	tu_run_result r;
	char *digest, *ref, *before, *after;
	int64_t size;
	json_t *j;

	(void)state;
	digest = ou_boot_set(C, "acct/unsigned", "v1", 2, &size);
	ref = ref_of("acct/unsigned", "v1");
	before = store_fingerprint();
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "edge", "--json"), 4);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_false(json_object_get(j, "verified")));
	assert_contains(json_string_value(json_object_get(j, "reason")),
			"no signature found at acct/unsigned:sha256-");
	assert_contains(r.err, "not verified: cosign verify failed: no signature found");
	json_decref(j);
	tu_run_result_free(&r);

	/* Signed by a key edge does not trust. */
	ou_sign_legacy(C, "acct/unsigned", digest, OTHER);
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "edge"), 4);
	assert_contains(r.err, "cosign verify failed: ");
	tu_run_result_free(&r);

	/* A platform without a trust policy verifies nothing (§7.2, fail closed). */
	ou_sign_legacy(C, "acct/unsigned", digest, KEY);
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "bare"), 4);
	assert_contains(r.err, "platform 'bare' has no cosign trust policy configured");
	tu_run_result_free(&r);
	after = store_fingerprint();
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(digest);
	free(ref);
}

static void
test_verify_network_error_is_not_a_verdict(void **state)
{
	tu_run_result r;
	char ref[96];

	(void)state;
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/acct/x:v1", tr_free_port());
	assert_int_equal(RUN(&r, "verify", ref, "--platform", "edge"), 1);
	assert_contains(r.err, "127.0.0.1");
	tu_run_result_free(&r);
}

static void
test_pull_published_boot_set(void **state)
{
	dk_publication *pub;
	tu_run_result r;
	char *out = tu_path(E->dir, "boot"), *path, cmd[1200];
	char *data;
	json_t *j;

	(void)state;
	pub = publish_boot_set("edge", "acct/edge", "aaaa1111", 3);
	assert_int_equal(RUN(&r, "pull", "edge", "--out", out, "--json"), 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "publication_id")), pub->id);
	json_decref(j);
	tu_run_result_free(&r);
	/* Byte for byte what was pushed (ou_boot_set's contents for seq 3). */
	path = tu_path(out, "vmlinuz");
	data = tu_read_file(path, NULL);
	assert_string_equal(data, "kernel 3");
	free(data);
	free(path);
	path = tu_path(out, "initramfs.cpio.gz");
	data = tu_read_file(path, NULL);
	assert_string_equal(data, "initramfs bytes 3");
	free(data);
	free(path);
	path = tu_path(out, "rootfs.erofs");
	data = tu_read_file(path, NULL);
	assert_string_equal(data, "rootfs erofs bytes 3!");
	free(data);
	free(path);
	/* Three files and SHA256SUMS, no temp names. */
	assert_int_equal(ou_count_entries(out), 4);
	snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum -c SHA256SUMS", out);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };

		assert_int_equal(tu_run(&r, argv, NULL, NULL), 0);
		assert_contains(r.out, "vmlinuz: OK");
		assert_contains(r.out, "rootfs.erofs: OK");
		tu_run_result_free(&r);
	}
	/* Again, by publication id, into the same directory: replaced, still four files. */
	assert_int_equal(RUN(&r, "pull", pub->id, "--out", out), 0);
	if (getenv("VP_VERBOSE"))
		print_message("%s", r.out);
	assert_contains(r.out, "SHA256SUMS");
	tu_run_result_free(&r);
	assert_int_equal(ou_count_entries(out), 4);
	dk_publication_free(pub);
	free(out);
}

static void
test_pull_refuses_unpublished(void **state)
{
	dk_platform *plat = NULL;
	dk_publication *failed, *retired;
	tu_run_result r;
	char *out = tu_path(E->dir, "refused");

	(void)state;
	assert_int_equal(dk_store_platform_find(S, &plat, A->id, "edge"), 0);
	failed = su_publication(S, plat, "fa11ed00", DK_PUB_FAILED);
	retired = su_publication(S, plat, "0e7143d0", DK_PUB_RETIRED);
	assert_int_equal(RUN(&r, "pull", failed->id, "--out", out), 6);
	assert_contains(r.err, "is failed, not published");
	tu_run_result_free(&r);
	assert_int_equal(RUN(&r, "pull", retired->id, "--out", out), 6);
	assert_contains(r.err, "is retired, not published");
	tu_run_result_free(&r);
	/* A platform with nothing published yet. */
	assert_int_equal(RUN(&r, "pull", "bare", "--out", out), 3);
	assert_contains(r.err, "platform 'bare' has no published image yet");
	tu_run_result_free(&r);
	assert_int_equal(ou_count_entries(out), 0);
	dk_publication_free(failed);
	dk_publication_free(retired);
	dk_platform_free(plat);
	free(out);
}

static void
test_pull_refuses_tampered_blob_and_leaves_nothing(void **state)
{
	dk_publication *pub;
	dk_oci_manifest *m = NULL;
	tu_run_result r;
	char *out = tu_path(E->dir, "tampered"), *blob;

	(void)state;
	pub = publish_boot_set("edge", "acct/tamper", "bbbb2222", 4);
	/* The last layer changes in the registry's storage after publish (same length). */
	assert_int_equal(dk_oci_manifest_get(&m, C, "acct/tamper", pub->git_sha), 0);
	blob = tr_blob_path(REG, m->layers[2].digest);
	assert_int_equal(tu_write_file(blob, "rootfs erofs bytes 4?", 0644), 0);
	assert_int_equal(RUN(&r, "pull", pub->id, "--out", out), 4);
	assert_contains(r.err, "digest mismatch");
	tu_run_result_free(&r);
	/* The kernel and initramfs streamed in fine before: their temp files are gone too. */
	assert_int_equal(ou_count_entries(out), 0);
	dk_oci_manifest_free(m);
	dk_publication_free(pub);
	free(blob);
	free(out);
}

/* Publishes a key-signed .img (bundle layer) titled `title` on a new platform. */
static dk_publication *
publish_img(const char *platform, const char *repo, const char *title, const char *img)
{
	dk_platform *plat = NULL;
	dk_publication row = { 0 }, *pub = NULL;
	dk_process_result r;
	tu_run_result rr;
	char *bundle = ou_key_bundle(KEY, img, strlen(img)), *digest, *ref, *pub_key;

	assert_true(asprintf(&pub_key, "%s.pub", KEY) > 0);
	assert_int_equal(RUN(&rr, "platform", "create", platform, "--arch", "amd64", "--trusted-key",
			     pub_key, "--tlog", "optional"), 0);
	tu_run_result_free(&rr);
	digest = ou_img(C, repo, "v1", title, img, strlen(img), bundle, NULL);
	ref = ref_of(repo, "v1");
	assert_int_equal(dk_store_platform_find(S, &plat, A->id, platform), 0);
	row.account_id = A->id;
	row.node_platform_id = plat->id;
	row.git_sha = "dddd4444";
	row.arch = "amd64";
	row.oci_ref = ref;
	row.status = DK_PUB_QUEUED;
	assert_int_equal(dk_store_publication_insert(S, &pub, &row), 0);
	if (dk_process_publication(S, &r, A->id, pub->id, "test") != 0 || r.status != DK_PUB_PUBLISHED)
		fail_msg("not published: %s", r.error_message ? r.error_message : dk_error_last()->message);
	dk_process_result_clear(&r);
	dk_platform_free(plat);
	free(bundle);
	free(digest);
	free(ref);
	free(pub_key);
	return pub;
}

/* The original CI's layout: the .img alone comes out, not its bundle layers. */
static void
test_pull_img_layout(void **state)
{
	static const char img[] = "a raw disk image for rpi4\n";
	dk_publication *pub = publish_img("rpi4", "acct/rpi4", "powernode-rpi4.img", img);
	tu_run_result r;
	char *out = tu_path(E->dir, "rpi4"), *path = tu_path(out, "powernode-rpi4.img"), *data;
	char *sums_path = tu_path(out, "SHA256SUMS"), *sums, want[72], line[160];

	(void)state;
	assert_int_equal(RUN(&r, "pull", "rpi4", "--out", out), 0);
	tu_run_result_free(&r);
	data = tu_read_file(path, NULL);
	assert_string_equal(data, img);
	dk_oci_digest_of(want, img, strlen(img));
	snprintf(line, sizeof(line), "%s  powernode-rpi4.img\n", want + 7);
	sums = tu_read_file(sums_path, NULL);
	assert_string_equal(sums, line);
	assert_int_equal(ou_count_entries(out), 2);
	dk_publication_free(pub);
	free(data);
	free(sums);
	free(sums_path);
	free(path);
	free(out);
}

/* A layer title is not a path: "../x.img" would write outside DIR. */
static void
test_pull_refuses_path_in_title(void **state)
{
	static const char img[] = "an image with a hostile title\n";
	unsigned char md[SHA256_DIGEST_LENGTH];
	char sha[65], *bundle = ou_key_bundle(KEY, img, strlen(img)), *digest, *ref, *pub_key;
	char *out = tu_path(E->dir, "hostile"), *outside = tu_path(E->dir, "escape.img");
	dk_publication row = { 0 }, *pub = NULL;
	dk_platform *plat = NULL;
	tu_run_result r;

	(void)state;
	/* Ingest refuses such a title now (test_ingest_faults); a row published before it
	 * did is what pull must still guard against, so the row is written directly. */
	assert_true(asprintf(&pub_key, "%s.pub", KEY) > 0);
	assert_int_equal(RUN(&r, "platform", "create", "hostile", "--arch", "amd64",
			     "--trusted-key", pub_key, "--tlog", "optional"), 0);
	tu_run_result_free(&r);
	digest = ou_img(C, "acct/hostile", "v1", "../escape.img", img, strlen(img), bundle, NULL);
	ref = ref_of("acct/hostile", "v1");
	SHA256((const unsigned char *)img, strlen(img), md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	assert_int_equal(dk_store_platform_find(S, &plat, A->id, "hostile"), 0);
	row.account_id = A->id;
	row.node_platform_id = plat->id;
	row.git_sha = "eeee5555";
	row.arch = "amd64";
	row.oci_ref = ref;
	row.oci_digest = digest;
	row.artifact_sha256 = sha;
	row.size_bytes = (int64_t)strlen(img);
	row.status = DK_PUB_PUBLISHED;
	row.published_at = time(NULL);
	row.cosign_verified = true;
	row.signature_kind = "key";
	assert_int_equal(dk_store_publication_insert(S, &pub, &row), 0);

	assert_int_equal(RUN(&r, "pull", pub->id, "--out", out), 4);
	assert_contains(r.err, "layer title \"../escape.img\" is not a plain file name");
	tu_run_result_free(&r);
	assert_int_equal(ou_count_entries(out), 0);
	assert_null(tu_read_file(outside, NULL));
	dk_publication_free(pub);
	dk_platform_free(plat);
	free(bundle);
	free(digest);
	free(ref);
	free(pub_key);
	free(outside);
	free(out);
}

/* The trust policy as it is now decides: a key no longer trusted fails the pull. */
static void
test_pull_reverifies_against_current_policy(void **state)
{
	dk_publication *pub;
	tu_run_result r;
	char *out = tu_path(E->dir, "rekeyed"), *other_pub, *pub_key;

	(void)state;
	pub = publish_boot_set("edge", "acct/rekey", "cccc3333", 5);
	assert_true(asprintf(&other_pub, "%s.pub", OTHER) > 0);
	assert_true(asprintf(&pub_key, "%s.pub", KEY) > 0);
	assert_int_equal(RUN(&r, "platform", "set", "edge", "--trusted-key", other_pub, "--yes"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(&r, "pull", "edge", "--out", out), 4);
	assert_contains(r.err, "cosign verify failed: ");
	tu_run_result_free(&r);
	assert_int_equal(ou_count_entries(out), 0);
	assert_int_equal(RUN(&r, "platform", "set", "edge", "--trusted-key", pub_key, "--yes"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(&r, "pull", "edge", "--out", out), 0);
	assert_contains(r.out, pub->id);
	tu_run_result_free(&r);
	assert_int_equal(ou_count_entries(out), 4);
	dk_publication_free(pub);
	free(other_pub);
	free(pub_key);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_signed_boot_set_writes_nothing),
		cmocka_unit_test(test_verify_refusals_exit_4_with_the_reason),
		cmocka_unit_test(test_verify_network_error_is_not_a_verdict),
		cmocka_unit_test(test_pull_published_boot_set),
		cmocka_unit_test(test_pull_refuses_unpublished),
		cmocka_unit_test(test_pull_refuses_tampered_blob_and_leaves_nothing),
		cmocka_unit_test(test_pull_reverifies_against_current_policy),
		cmocka_unit_test(test_pull_img_layout),
		cmocka_unit_test(test_pull_refuses_path_in_title),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
