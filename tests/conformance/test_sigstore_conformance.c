/*
 * The sigstore-conformance bundle-verify suite (shared/reference/sigstore/README.md §1):
 * a case whose name ends in _fail must be rejected, every other case must verify.
 * Each case runs twice, with the artifact's bytes and with only "sha256:<hex>",
 * as the upstream harness does; both modes must give the same verdict.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

#define BEACON "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/" \
	".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define GHA "https://token.actions.githubusercontent.com"

static const char *const cases[] = {
	"bundle-empty-certificate-chain_fail",
	"bundle-from-wrong-instance_fail",
	"bundle-invalid-base64-signature_fail",
	"bundle-malformed-json_fail",
	"bundle-negative-log-index_fail",
	"bundle-unknown-version_fail",
	"checkpoint-bad-keyhint_fail",
	"dsse-invalid-sig_fail",
	"dsse-mismatch-envelope_fail",
	"happy-path-intoto-in-dsse-v3",
	"happy-path-v0.1",
	"happy-path-v0.3",
	"happy-path-v0.3-new-mediaType",
	"inclusion-proof-corrupted-hash_fail",
	"incorrect-public-key_fail",
	"intoto-log-entry-mismatch_fail",
	"intoto-missing-inclusion-proof_fail",
	"intoto-set-outside-signing-cert-validity_fail",
	"intoto-tsa-timestamp-outside-cert-validity_fail",
	"invalid-checkpoint-signature_fail",
	"invalid-inclusion-proof_fail",
	"managed-key-happy-path",
	"managed-key-no-key_fail",
	"message-digest-mismatch_fail",
	"rekor2-checkpoint-cosigned",
	"rekor2-checkpoint-missing-log-signature_fail",
	"rekor2-checkpoint-missing-root-hash_fail",
	"rekor2-checkpoint-missing-size_fail",
	"rekor2-checkpoint-multiple-cosigs",
	"rekor2-checkpoint-no-matching-signature_fail",
	"rekor2-checkpoint-origin-not-first",
	"rekor2-checkpoint-two-sigs-cosigned",
	"rekor2-checkpoint-two-sigs-from-origin",
	"rekor2-dsse-happy-path",
	"rekor2-dsse-invalid-sig_fail",
	"rekor2-dsse-mismatch-sig_fail",
	"rekor2-no-inclusion-proof_fail",
	"rekor2-no-timestamp_fail",
	"rekor2-timestamp-outside-trust-root-tsa-validity_fail",
	"rekor2-timestamp-payload-mismatch_fail",
	"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
	"rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
	"rekor2-timestamp-with-expired-cert-chain",
	"rekor2-timestamp-with-incorrect-time_fail",
	"rekor2-timestamp-without-embedded-cert",
	"signature-mismatch_fail",
	"trust-root-tlog-missing-validity-start_fail",
	"trust-root-tlog-validity-end-inclusive",
	"wrong-hashedrekord-artifact_fail",
	"wrong-hashedrekord-cert-and-sig_fail",
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static char *
case_file(const char *name, const char *file, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "sigstore-conformance/test/assets/bundle-verify/%s/%s", name, file);
	return tu_sigstore_read(rel, len);
}

static void
run_case(const char *name, int digest_mode)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_artifact art = { 0 };
	dk_sigstore_verifier *v = NULL;
	dk_sigstore_result *r = NULL;
	dk_sigstore_root *root = NULL;
	size_t blen = 0, alen = 0, rlen = 0;
	char *bundle = case_file(name, "bundle.sigstore.json", &blen);
	char *artifact = case_file(name, "artifact", &alen);
	char *root_json = case_file(name, "trusted_root.json", &rlen);
	char *key = case_file(name, "key.pub", NULL);
	char digest[72];
	unsigned char h[32];
	int expect_ok = strstr(name, "_fail") == NULL, rc, root_rc = 0;

	assert_non_null(bundle);
	if (!artifact)
		artifact = tu_sigstore_read("sigstore-conformance/test/assets/bundle-verify/a.txt", &alen);
	assert_non_null(artifact);
	if (root_json) {
		root_rc = dk_sigstore_root_parse(&root, root_json, rlen);
		/* A malformed trust root is itself a rejection (trust-root-*-missing-*_fail). */
		if (root_rc < 0) {
			print_message("%s: trusted root rejected: %s\n", name, dk_error_last()->message);
			assert_false(expect_ok);
			goto done;
		}
		o.root = root;
	}
	if (key) {
		o.trusted_keys = key;
	} else {
		o.identity = BEACON;
		o.issuer = GHA;
	}
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	if (digest_mode) {
		EVP_Digest(artifact, alen, h, NULL, EVP_sha256(), NULL);
		strcpy(digest, "sha256:");
		for (int i = 0; i < 32; i++)
			sprintf(digest + 7 + 2 * i, "%02x", h[i]);
		art.digest = digest;
	} else {
		art.data = (const unsigned char *)artifact;
		art.len = alen;
	}
	rc = dk_sigstore_verify_bundle(&r, v, bundle, blen, &art);
	assert_non_null(r);
	if (!r->verified)
		print_message("%s%s: %s\n", name, digest_mode ? " [digest]" : "", r->reason);
	if (expect_ok) {
		assert_int_equal(rc, 0);
		assert_true(r->verified);
		assert_null(r->reason);
		assert_int_not_equal(r->kind, DK_SIGSTORE_KIND_NONE);
		if (!key) {
			assert_string_equal(r->identity, BEACON);
			assert_string_equal(r->issuer, GHA);
		}
	} else {
		assert_true(rc < 0);
		assert_false(r->verified);
		assert_non_null(r->reason);
		assert_true(strlen(r->reason) > 0);
	}
done:
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	free(bundle);
	free(artifact);
	free(root_json);
	free(key);
}

static void
artifact_mode(void **state)
{
	run_case(*state, 0);
}

static void
digest_mode(void **state)
{
	run_case(*state, 1);
}

int
main(void)
{
	struct CMUnitTest tests[2 * N_CASES];
	static char names[2 * N_CASES][160];

	for (size_t i = 0; i < N_CASES; i++) {
		snprintf(names[2 * i], sizeof(names[0]), "%s", cases[i]);
		snprintf(names[2 * i + 1], sizeof(names[0]), "%s [digest]", cases[i]);
		tests[2 * i] = (struct CMUnitTest){ names[2 * i], artifact_mode, NULL, NULL, (void *)cases[i] };
		tests[2 * i + 1] = (struct CMUnitTest){ names[2 * i + 1], digest_mode, NULL, NULL,
			(void *)cases[i] };
	}
	return _cmocka_run_group_tests("sigstore_conformance", tests, 2 * N_CASES, NULL, NULL);
}
