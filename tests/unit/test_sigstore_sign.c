/*
 * Key generation and key signing (issue 4 §6): what `diskops keygen` writes and what
 * the signing functions produce must verify with the key, and only with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

#define DIGEST "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"

typedef struct {
	char *dir, *key, *pub, *pub_pem;
	dk_sigstore_signer *signer;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp();
	f->key = tu_path(f->dir, "cosign.key");
	f->pub = tu_path(f->dir, "cosign.key.pub");
	if (dk_sigstore_keygen(f->key) != 0 || dk_sigstore_signer_load(&f->signer, f->key) != 0)
		return -1;
	f->pub_pem = tu_read_file(f->pub, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	dk_sigstore_signer_free(f->signer);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->key);
	free(f->pub);
	free(f->pub_pem);
	free(f);
	return 0;
}

static dk_sigstore_verifier *
key_verifier(const char *pem, dk_sigstore_tlog tlog)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;

	o.trusted_keys = pem;
	o.tlog = tlog;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	return v;
}

static void
keygen_writes_private_0600_and_public(void **state)
{
	fixture *f = *state;
	struct stat st;
	char *priv = tu_read_file(f->key, NULL);

	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->pub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_non_null(strstr(priv, "-----BEGIN PRIVATE KEY-----"));
	assert_non_null(strstr(f->pub_pem, "-----BEGIN PUBLIC KEY-----"));
	assert_string_equal(dk_sigstore_signer_public_pem(f->signer), f->pub_pem);
	free(priv);
	/* A directory that does not exist is an I/O error with the path in it. */
	assert_int_equal(dk_sigstore_keygen("/nonexistent-dir/k"), DK_EIO);
	assert_non_null(strstr(dk_error_last()->message, "/nonexistent-dir/k"));
}

static void
legacy_layer_round_trip(void **state)
{
	fixture *f = *state;
	dk_sigstore_layer *l = NULL;
	dk_sigstore_verifier *v = key_verifier(f->pub_pem, DK_SIGSTORE_TLOG_OPTIONAL);
	dk_sigstore_result *r = NULL;
	dk_sigstore_legacy sig = { 0 };
	json_t *j;

	assert_int_equal(dk_sigstore_sign_legacy(&l, f->signer, DIGEST, "registry.local/acct/img"), 0);
	j = json_loadb(l->payload, l->payload_len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(j, "critical"),
		"image"), "docker-manifest-digest")), DIGEST);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "critical"), "type")),
		"cosign container image signature");
	json_decref(j);
	assert_int_equal(strncmp(l->payload_digest, "sha256:", 7), 0);
	sig.payload = (unsigned char *)l->payload;
	sig.payload_len = l->payload_len;
	sig.layer_digest = l->payload_digest;
	sig.signature = l->signature;
	assert_int_equal(dk_sigstore_verify_legacy(&r, v, &sig, DIGEST), 0);
	assert_true(r->verified);
	assert_int_equal(r->kind, DK_SIGSTORE_KIND_KEY);
	assert_int_equal(r->log_index, -1);
	assert_int_equal(strlen(r->key_id), 64);
	dk_sigstore_result_free(r);
	/* Another image's digest: the payload binds this one only. */
	assert_int_equal(dk_sigstore_verify_legacy(&r, v,
		&sig, "sha256:1489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"), DK_EVERIFY);
	assert_string_equal(r->reason, "payload digest " DIGEST
		" != manifest sha256:1489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a");
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	/* No transparency log entry: refused when the policy requires one. */
	v = key_verifier(f->pub_pem, DK_SIGSTORE_TLOG_REQUIRED);
	assert_int_equal(dk_sigstore_verify_legacy(&r, v, &sig, DIGEST), DK_EVERIFY);
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	dk_sigstore_layer_free(l);
}

static void
blob_bundle_round_trip(void **state)
{
	fixture *f = *state;
	const char *blob = "kernel+initramfs+composefs";
	dk_sigstore_artifact a = { (const unsigned char *)blob, strlen(blob), NULL };
	dk_sigstore_verifier *v = key_verifier(f->pub_pem, DK_SIGSTORE_TLOG_OPTIONAL);
	dk_sigstore_result *r = NULL;
	char *bundle = NULL, other[] = "kernel+initramfs+composefX", digest[72];
	unsigned char h[32];
	json_t *j;

	assert_int_equal(dk_sigstore_sign_blob(&bundle, f->signer, a.data, a.len), 0);
	j = json_loads(bundle, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "mediaType")),
		"application/vnd.dev.sigstore.bundle.v0.3+json");
	json_decref(j);
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), 0);
	assert_true(r->verified);
	dk_sigstore_result_free(r);
	/* Digest mode verifies the same signature from the SHA-256 alone. */
	EVP_Digest(blob, strlen(blob), h, NULL, EVP_sha256(), NULL);
	strcpy(digest, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(digest + 7 + 2 * i, "%02x", h[i]);
	a.data = NULL;
	a.digest = digest;
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), 0);
	dk_sigstore_result_free(r);
	digest[8] = digest[8] == '0' ? '1' : '0';
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), DK_EVERIFY);
	assert_non_null(strstr(r->reason, "bundle message digest sha256:"));
	dk_sigstore_result_free(r);
	a.digest = NULL;
	a.data = (const unsigned char *)other;
	a.len = strlen(other);
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), DK_EVERIFY);
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	free(bundle);
}

static void
other_key_and_keyless_policy_reject(void **state)
{
	fixture *f = *state;
	char *k2 = tu_path(f->dir, "other.key"), *p2 = tu_path(f->dir, "other.key.pub"), *pem2, *both, *bundle;
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_artifact a = { (const unsigned char *)"x", 1, NULL };
	dk_sigstore_verifier *v;
	dk_sigstore_result *r;

	assert_int_equal(dk_sigstore_keygen(k2), 0);
	pem2 = tu_read_file(p2, NULL);
	assert_int_equal(dk_sigstore_sign_blob(&bundle, f->signer, a.data, a.len), 0);
	v = key_verifier(pem2, DK_SIGSTORE_TLOG_OPTIONAL);
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), DK_EVERIFY);
	assert_string_equal(r->reason, "signature does not verify with any of the 1 trusted key(s)");
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	/* Any one of several trusted keys may match. */
	assert_true(asprintf(&both, "%s%s", pem2, f->pub_pem) > 0);
	v = key_verifier(both, DK_SIGSTORE_TLOG_OPTIONAL);
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), 0);
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	/* A key-signed bundle under a keyless policy (managed-key-no-key_fail). */
	o.identity = "ci@example.com";
	o.issuer = "https://issuer.example";
	o.tlog = DK_SIGSTORE_TLOG_OPTIONAL;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	assert_int_equal(dk_sigstore_verify_bundle(&r, v, bundle, strlen(bundle), &a), DK_EVERIFY);
	assert_string_equal(r->reason, "signed with a key, but no trusted key was given");
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	free(k2);
	free(p2);
	free(pem2);
	free(both);
	free(bundle);
}

static char *
pub_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *out;
	long n;

	assert_non_null(k);
	assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	n = BIO_get_mem_data(b, &mem);
	out = strndup(mem, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}

static void
trusted_key_types(void **state)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;
	char *rsa1024 = pub_pem(EVP_RSA_gen(1024)), *ed25519 = pub_pem(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	char *p384 = pub_pem(EVP_EC_gen("P-384")), *k1 = pub_pem(EVP_EC_gen("secp256k1"));

	(void)state;
	o.trusted_keys = rsa1024;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), DK_EINVALID);
	assert_null(v);
	assert_non_null(strstr(dk_error_last()->message, "minimum 2048"));
	o.trusted_keys = ed25519;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	dk_sigstore_verifier_free(v);
	o.trusted_keys = p384;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	dk_sigstore_verifier_free(v);
	o.trusted_keys = k1;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "secp256k1"));
	o.trusted_keys = "not a key";
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), DK_EINVALID);
	free(rsa1024);
	free(ed25519);
	free(p384);
	free(k1);
}

static void
tlog_names(void **state)
{
	dk_sigstore_tlog t;

	(void)state;
	assert_int_equal(dk_sigstore_tlog_parse(&t, "optional"), 0);
	assert_int_equal(t, DK_SIGSTORE_TLOG_OPTIONAL);
	assert_string_equal(dk_sigstore_tlog_name(t), "optional");
	assert_int_equal(dk_sigstore_tlog_parse(&t, "ignore"), 0);
	assert_string_equal(dk_sigstore_tlog_name(t), "ignore");
	assert_int_equal(dk_sigstore_tlog_parse(&t, "sometimes"), DK_EINVALID);
	assert_string_equal(dk_sigstore_kind_name(DK_SIGSTORE_KIND_KEYLESS), "keyless");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(keygen_writes_private_0600_and_public, setup, teardown),
		cmocka_unit_test_setup_teardown(legacy_layer_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(blob_bundle_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(other_key_and_keyless_policy_reject, setup, teardown),
		cmocka_unit_test(trusted_key_types),
		cmocka_unit_test(tlog_names),
	};

	return cmocka_run_group_tests_name("sigstore_sign", tests, NULL, NULL);
}
