/*
 * Interop with the real Sigstore JS tools (issue 4 "Interop"): tests/interop/gen.js
 * mints fresh keyless material with a loopback Fulcio/Rekor/CT/TSA (@sigstore/mock)
 * and @sigstore/sign, plus one mutation per failure mode; every case is one test here.
 * The other direction: @sigstore/verify must accept the bundles diskops signs.
 * Needs `npm ci` in tests/interop (make test does it).
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

static char *dir;
static json_t *cases;

static char *
read_in(const char *name, size_t *len)
{
	char *p = tu_path(dir, name), *d = tu_read_file(p, len);

	free(p);
	assert_non_null(d);
	return d;
}

static const char *
str(const json_t *c, const char *k)
{
	return json_string_value(json_object_get(c, k));
}

static void
run_case(void **state)
{
	const json_t *c = *state;
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_root *root = NULL;
	dk_sigstore_verifier *v = NULL;
	dk_sigstore_result *r = NULL;
	size_t len, rlen, alen = 0;
	char *file = read_in(str(c, "file"), &len), *rj = read_in(str(c, "root"), &rlen), *art = NULL;
	int expect = json_is_true(json_object_get(c, "expect")), rc;

	assert_int_equal(dk_sigstore_root_parse(&root, rj, rlen), 0);
	o.root = root;
	o.identity = str(c, "identity");
	o.issuer = str(c, "issuer");
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	if (strcmp(str(c, "kind"), "bundle") == 0) {
		dk_sigstore_artifact a = { 0 };

		if (str(c, "artifact")) {
			art = read_in(str(c, "artifact"), &alen);
			a.data = (unsigned char *)art;
			a.len = alen;
		} else {
			a.digest = str(c, "digest");
		}
		rc = dk_sigstore_verify_bundle(&r, v, file, len, &a);
	} else {
		json_t *l = json_loads(file, 0, NULL);
		dk_sigstore_legacy sig = { 0 };

		assert_non_null(l);
		sig.payload = (const unsigned char *)str(l, "payload");
		sig.payload_len = strlen(str(l, "payload"));
		sig.signature = str(l, "signature");
		sig.certificate = str(l, "certificate");
		sig.chain = str(l, "chain");
		sig.rekor_bundle = str(l, "bundle");
		rc = dk_sigstore_verify_legacy(&r, v, &sig, str(c, "manifest"));
		json_decref(l);
	}
	assert_non_null(r);
	if (r->verified != expect)
		print_message("%s: %s\n", str(c, "name"), r->reason ? r->reason : "verified");
	else if (!expect)
		print_message("  rejected: %s\n", r->reason);
	assert_int_equal(r->verified, expect);
	assert_int_equal(rc == 0, expect);
	if (expect) {
		assert_string_equal(r->identity, str(c, "identity"));
		assert_true(r->integrated_time > 0);
		assert_true(r->log_index >= 0);
	}
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	free(file);
	free(rj);
	free(art);
}

/* diskops signs with a key; the JS verifier must agree, and must refuse a changed blob. */
static void
sigstore_js_verifies_diskops_key_bundles(void **state)
{
	char *key = tu_path(dir, "dk.key"), *pub = tu_path(dir, "dk.key.pub"), *bpath = tu_path(dir, "dk.bundle.json");
	char *apath = tu_path(dir, "dk.artifact"), *bpath2 = tu_path(dir, "dk.artifact2");
	const char *blob = "disk image bytes\n";
	dk_sigstore_signer *s = NULL;
	char *bundle = NULL;
	tu_run_result rr;

	(void)state;
	assert_int_equal(dk_sigstore_keygen(key), 0);
	assert_int_equal(dk_sigstore_signer_load(&s, key), 0);
	assert_int_equal(dk_sigstore_sign_blob(&bundle, s, (const unsigned char *)blob, strlen(blob)), 0);
	assert_int_equal(tu_write_file(bpath, bundle, 0644), 0);
	assert_int_equal(tu_write_file(apath, blob, 0644), 0);
	assert_int_equal(tu_write_file(bpath2, "disk image bytes?\n", 0644), 0);
	{
		const char *argv[] = { "node", "tests/interop/verify-key.js", bpath, apath, pub, NULL };

		tu_run(&rr, argv, NULL, NULL);
		if (rr.status != 0)
			print_message("%s%s", rr.out, rr.err);
		assert_int_equal(rr.status, 0);
		tu_run_result_free(&rr);
	}
	{
		const char *argv[] = { "node", "tests/interop/verify-key.js", bpath, bpath2, pub, NULL };

		tu_run(&rr, argv, NULL, NULL);
		assert_int_equal(rr.status, 4);
		assert_non_null(strstr(rr.err, "SIGNATURE_ERROR"));
		tu_run_result_free(&rr);
	}
	dk_sigstore_signer_free(s);
	free(bundle);
	free(key);
	free(pub);
	free(bpath);
	free(apath);
	free(bpath2);
}

int
main(void)
{
	const char *argv[] = { "node", "tests/interop/gen.js", NULL, NULL };
	struct CMUnitTest *tests;
	tu_run_result rr;
	char *path;
	size_t n;
	int rc;

	dir = tu_mkdtemp();
	argv[2] = dir;
	if (tu_run(&rr, argv, NULL, NULL) != 0) {
		fprintf(stderr, "interop: node tests/interop/gen.js failed (run `npm ci` in tests/interop):\n%s%s",
			rr.out, rr.err);
		tu_run_result_free(&rr);
		tu_rmrf(dir);
		return 1;
	}
	tu_run_result_free(&rr);
	path = tu_path(dir, "cases.json");
	cases = json_load_file(path, 0, NULL);
	free(path);
	n = json_array_size(cases);
	tests = calloc(n + 1, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(cases, i);

		tests[i] = (struct CMUnitTest){ str(c, "name"), run_case, NULL, NULL, c };
	}
	tests[n] = (struct CMUnitTest){ "sigstore_js_verifies_diskops_key_bundles",
		sigstore_js_verifies_diskops_key_bundles, NULL, NULL, NULL };
	rc = _cmocka_run_group_tests("sigstore_interop", tests, n + 1, NULL, NULL);
	free(tests);
	json_decref(cases);
	tu_rmrf(dir);
	free(dir);
	return rc;
}
