/* `diskops verify-blob` and `diskops keygen` as a script sees them: exit codes 0/2/4,
 * the reason on stderr, --json fields. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cliutil.h"
#include "diskops/sigstore.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)
#define CASES "sigstore-conformance/test/assets/bundle-verify/"
#define BEACON "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/" \
	".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define GHA "https://token.actions.githubusercontent.com"

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, haystack);
}

static void
verify_blob_keyless_vector(void **state)
{
	cli_env *e = cli_env_new();
	char *art = tu_sigstore_path(CASES "a.txt"), *b = tu_sigstore_path(CASES "happy-path-v0.3/bundle.sigstore.json");
	char *bad = tu_sigstore_path(CASES "signature-mismatch_fail/bundle.sigstore.json");
	tu_run_result r;
	json_t *j;

	(void)state;
	assert_int_equal(RUN(e, &r, "verify-blob", art, "--bundle", b, "--certificate-identity", BEACON,
		"--certificate-oidc-issuer", GHA), 0);
	assert_contains(r.out, "verified: ");
	assert_contains(r.out, "tlog index");
	tu_run_result_free(&r);
	/* Digest mode: same verdict from sha256:<hex>. */
	assert_int_equal(RUN(e, &r, "verify-blob",
		"sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf", "--bundle", b,
		"--certificate-identity", BEACON, "--certificate-oidc-issuer", GHA), 0);
	tu_run_result_free(&r);
	/* Wrong identity: exit 4 and the one reason on stderr. */
	assert_int_equal(RUN(e, &r, "verify-blob", art, "--bundle", b, "--certificate-identity",
		"https://github.com/evil", "--certificate-oidc-issuer", GHA), 4);
	assert_contains(r.err, "certificate identity \"" BEACON "\" does not match \"https://github.com/evil\"");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "verify-blob", art, "--bundle", bad, "--certificate-identity", BEACON,
		"--certificate-oidc-issuer", GHA), 4);
	assert_contains(r.err, "signature invalid");
	tu_run_result_free(&r);
	j = JSON(e, "verify-blob", art, "--bundle", b, "--certificate-identity-regexp", "^https://github\\.com/",
		"--certificate-oidc-issuer-regexp", "githubusercontent", "--json");
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_string_equal(json_string_value(json_object_get(j, "signature_kind")), "keyless");
	assert_string_equal(json_string_value(json_object_get(j, "identity")), BEACON);
	assert_int_equal(json_integer_value(json_object_get(j, "tlog_index")), 79571823);
	assert_true(json_is_null(json_object_get(j, "reason")));
	json_decref(j);
	/* Usage: no policy, or no bundle, is exit 2. */
	assert_int_equal(RUN(e, &r, "verify-blob", art, "--bundle", b), 2);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "verify-blob", art, "--certificate-identity", BEACON,
		"--certificate-oidc-issuer", GHA), 2);
	tu_run_result_free(&r);
	free(art);
	free(b);
	free(bad);
	cli_env_free(e);
}

static void
keygen_then_verify_with_key(void **state)
{
	cli_env *e = cli_env_new();
	char *key = tu_path(e->dir, "cosign.key"), *pub = tu_path(e->dir, "cosign.key.pub");
	char *blob = tu_path(e->dir, "image.img"), *bpath = tu_path(e->dir, "image.img.sigstore.json");
	dk_sigstore_signer *s = NULL;
	char *bundle = NULL;
	tu_run_result r;
	struct stat st;
	json_t *j;

	(void)state;
	assert_int_equal(RUN(e, &r, "keygen", "--out", key), 0);
	assert_contains(r.out, "mode 0600");
	tu_run_result_free(&r);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pub, &st), 0);
	assert_int_equal(RUN(e, &r, "keygen"), 2);
	tu_run_result_free(&r);
	/* Sign with the same core function `diskops upload` will use. */
	assert_int_equal(tu_write_file(blob, "raw disk image\n", 0644), 0);
	assert_int_equal(dk_sigstore_signer_load(&s, key), 0);
	assert_int_equal(dk_sigstore_sign_blob(&bundle, s, (const unsigned char *)"raw disk image\n", 15), 0);
	assert_int_equal(tu_write_file(bpath, bundle, 0644), 0);
	j = JSON(e, "verify-blob", blob, "--bundle", bpath, "--key", pub, "--tlog", "optional", "--json");
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_string_equal(json_string_value(json_object_get(j, "signature_kind")), "key");
	assert_int_equal(strlen(json_string_value(json_object_get(j, "key_id"))), 64);
	json_decref(j);
	/* Default policy requires a transparency log entry; a key bundle has none. */
	assert_int_equal(RUN(e, &r, "verify-blob", blob, "--bundle", bpath, "--key", pub), 4);
	assert_contains(r.err, "no transparency log entry");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "verify-blob", blob, "--bundle", bpath, "--key", pub, "--tlog", "sometimes"), 2);
	tu_run_result_free(&r);
	assert_int_equal(tu_write_file(blob, "raw disk imagE\n", 0644), 0);
	assert_int_equal(RUN(e, &r, "verify-blob", blob, "--bundle", bpath, "--key", pub, "--tlog", "optional"), 4);
	tu_run_result_free(&r);
	dk_sigstore_signer_free(s);
	free(bundle);
	free(key);
	free(pub);
	free(blob);
	free(bpath);
	cli_env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verify_blob_keyless_vector),
		cmocka_unit_test(keygen_then_verify_with_key),
	};

	return cmocka_run_group_tests_name("cli_sigstore", tests, NULL, NULL);
}
