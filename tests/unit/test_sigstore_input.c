/*
 * Hostile and malformed input (issue 4 "Bad input"): each must give one clear reason,
 * never a crash. Certificates are minted here so each defect is isolated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

#define NOW 1790000000
#define ID "https://ci.example/workflows/build.yml@refs/heads/main"
#define ISS "https://issuer.example"
#define DIGEST "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a"
#define HAPPY "sigstore-conformance/test/assets/bundle-verify/happy-path-v0.3/bundle.sigstore.json"

typedef struct {
	X509 *cert;
	EVP_PKEY *key;
} cred;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static void
add_raw_ext(X509 *x, const char *oid, int critical, const unsigned char *der, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	ASN1_OCTET_STRING_set(v, der, len);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, critical, v);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
}

/* kind: 0 leaf, 1 CA. flags select the defect under test. */
enum { F_NONE = 0, F_CRITICAL = 1, F_SERVER_EKU = 2, F_CA_LEAF = 4 };

static cred
mint(const char *cn, const cred *issuer, int ca, int flags)
{
	cred c = { X509_new(), EVP_EC_gen("P-256") };
	X509_NAME *n = X509_NAME_new();
	static long serial = 1;

	X509_set_version(c.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c.cert), serial++);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c.cert, n);
	X509_set_issuer_name(c.cert, issuer ? X509_get_subject_name(issuer->cert) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(c.cert), NOW - 3600);
	ASN1_TIME_set(X509_getm_notAfter(c.cert), NOW + 3600);
	X509_set_pubkey(c.cert, c.key);
	if (ca || (flags & F_CA_LEAF)) {
		add_ext(c.cert, NULL, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c.cert, NULL, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
			"critical,digitalSignature,keyCertSign");
	}
	if (!ca) {
		static const unsigned char iss[] = { 0x0c, sizeof(ISS) - 1, 'h', 't', 't', 'p', 's', ':', '/', '/',
			'i', 's', 's', 'u', 'e', 'r', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e' };

		if (!(flags & F_CA_LEAF))
			add_ext(c.cert, NULL, NID_key_usage, "critical,digitalSignature");
		add_ext(c.cert, NULL, NID_ext_key_usage, flags & F_SERVER_EKU ? "serverAuth" : "codeSigning");
		add_ext(c.cert, NULL, NID_subject_alt_name, "critical,URI:" ID);
		add_raw_ext(c.cert, "1.3.6.1.4.1.57264.1.8", 0, iss, sizeof(iss));
		if (flags & F_CRITICAL)
			add_raw_ext(c.cert, "1.2.3.4.5.6.7", 1, (const unsigned char *)"\x05\x00", 2);
	}
	assert_true(X509_sign(c.cert, issuer ? issuer->key : c.key, EVP_sha256()) > 0);
	return c;
}

static void
cred_free(cred *c)
{
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

static char *
pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *mem, *out;
	long n;

	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &mem);
	out = strndup(mem, (size_t)n);
	BIO_free(b);
	return out;
}

static dk_sigstore_root *
root_of(X509 *anchor)
{
	unsigned char *der = NULL;
	int n = i2d_X509(anchor, &der);
	char *b64 = malloc((size_t)n * 2), *text;
	dk_sigstore_root *r = NULL;

	EVP_EncodeBlock((unsigned char *)b64, der, n);
	assert_true(asprintf(&text, "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\","
		"\"certificateAuthorities\":[{\"certChain\":{\"certificates\":[{\"rawBytes\":\"%s\"}]},"
		"\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}]}", b64) > 0);
	assert_int_equal(dk_sigstore_root_parse(&r, text, strlen(text)), 0);
	free(text);
	free(b64);
	OPENSSL_free(der);
	return r;
}

/* Signs a simplesigning payload with `leaf` and verifies it under `anchor`. */
static dk_sigstore_result *
verify_leaf(const cred *leaf, X509 *anchor, const char *chain_pem, const char *payload)
{
	dk_sigstore_root *root = root_of(anchor);
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;
	dk_sigstore_result *r = NULL;
	dk_sigstore_legacy l = { 0 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[128];
	char b64[200], *cert = pem(leaf->cert);
	size_t n = sizeof(sig);

	if (!payload)
		payload = "{\"critical\":{\"identity\":{\"docker-reference\":\"r\"},\"image\":"
			"{\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":\"cosign container image signature\"},"
			"\"optional\":null}";
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, leaf->key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &n, (const unsigned char *)payload, strlen(payload)), 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)n);
	o.root = root;
	o.identity = ID;
	o.issuer = ISS;
	o.tlog = DK_SIGSTORE_TLOG_IGNORE;
	o.ignore_sct = 1;
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	l.payload = (const unsigned char *)payload;
	l.payload_len = strlen(payload);
	l.signature = b64;
	l.certificate = cert;
	l.chain = chain_pem;
	dk_clock_set(NOW);
	dk_sigstore_verify_legacy(&r, v, &l, DIGEST);
	dk_clock_set(0);
	assert_non_null(r);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	EVP_MD_CTX_free(md);
	free(cert);
	return r;
}

static void
minted_chain_verifies(void **state)
{
	cred ca = mint("root", NULL, 1, 0), leaf = mint("leaf", &ca, 0, 0);
	dk_sigstore_result *r = verify_leaf(&leaf, ca.cert, NULL, NULL);

	(void)state;
	assert_null(r->reason);
	assert_true(r->verified);
	assert_string_equal(r->identity, ID);
	assert_string_equal(r->issuer, ISS);
	dk_sigstore_result_free(r);
	cred_free(&leaf);
	cred_free(&ca);
}

static void
leaf_defects_rejected(void **state)
{
	static const struct { int flags; const char *reason; } cases[] = {
		{ F_CRITICAL, "signing certificate has an unsupported critical extension" },
		{ F_SERVER_EKU, "signing certificate lacks the code-signing extended key usage" },
		{ F_CA_LEAF, "signing certificate is a CA certificate" },
	};
	cred ca = mint("root", NULL, 1, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cred leaf = mint("leaf", &ca, 0, cases[i].flags);
		dk_sigstore_result *r = verify_leaf(&leaf, ca.cert, NULL, NULL);

		assert_false(r->verified);
		assert_string_equal(r->reason, cases[i].reason);
		dk_sigstore_result_free(r);
		cred_free(&leaf);
	}
	cred_free(&ca);
}

static void
looping_chain_is_a_clean_failure(void **state)
{
	/* A and B certify each other under the same names; neither reaches the anchor. */
	cred anchor = mint("anchor", NULL, 1, 0), a = mint("loop-a", NULL, 1, 0), b = mint("loop-b", &a, 1, 0);
	cred a2, leaf;
	char *chain, *pa, *pb;
	dk_sigstore_result *r;

	(void)state;
	a2 = mint("loop-a", &b, 1, 0);
	leaf = mint("leaf", &a2, 0, 0);
	pa = pem(a2.cert);
	pb = pem(b.cert);
	assert_true(asprintf(&chain, "%s%s", pa, pb) > 0);
	r = verify_leaf(&leaf, anchor.cert, chain, NULL);
	assert_false(r->verified);
	assert_non_null(strstr(r->reason, "certificate chain does not verify"));
	dk_sigstore_result_free(r);
	free(chain);
	free(pa);
	free(pb);
	cred_free(&leaf);
	cred_free(&a2);
	cred_free(&b);
	cred_free(&a);
	cred_free(&anchor);
}

static void
duplicate_keys_in_payload_rejected(void **state)
{
	cred ca = mint("root", NULL, 1, 0), leaf = mint("leaf", &ca, 0, 0);
	/* Go would take the last "image"; we refuse to guess. */
	const char *payload = "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:"
		"1111111111111111111111111111111111111111111111111111111111111111\"},\"image\":"
		"{\"docker-manifest-digest\":\"" DIGEST "\"},\"type\":\"cosign container image signature\"}}";
	dk_sigstore_result *r = verify_leaf(&leaf, ca.cert, NULL, payload);

	(void)state;
	assert_false(r->verified);
	assert_non_null(strstr(r->reason, "duplicate"));
	dk_sigstore_result_free(r);
	cred_free(&leaf);
	cred_free(&ca);
}

static dk_sigstore_result *
happy_variant(const char *text, size_t len)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;
	dk_sigstore_result *r = NULL;
	dk_sigstore_artifact a = { .digest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf" };

	o.identity_regexp = ".";
	o.issuer_regexp = ".";
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	dk_sigstore_verify_bundle(&r, v, text, len, &a);
	assert_non_null(r);
	dk_sigstore_verifier_free(v);
	return r;
}

/* Replaces the first occurrence of `from` in the happy-path bundle. */
static char *
mutate(const char *from, const char *to)
{
	size_t len;
	char *b = tu_sigstore_read(HAPPY, &len), *at, *out;

	assert_non_null(b);
	at = strstr(b, from);
	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - b), b, to, at + strlen(from)) > 0);
	free(b);
	return out;
}

static void
malformed_bundles_give_one_reason(void **state)
{
	static const struct { const char *from, *to, *reason; } cases[] = {
		{ "\"signature\": \"", "\"signature\": \"!!", "messageSignature.signature: invalid base64" },
		{ "\"logIndex\": \"79571823\"", "\"logIndex\": \"-5\"", "tlog entry: negative logIndex -5" },
		{ "\"logIndex\": \"79571823\"", "\"logIndex\": \"12abc\"", "tlog entry: logIndex is not an integer" },
		{ "\"mediaType\"", "\"mediaType\": 1, \"mediaType\"", "bundle: malformed JSON: duplicate object key" },
		{ "\"certificate\": {", "\"publicKey\": {}, \"certificate\": {",
			"bundle: verificationMaterial needs exactly one of certificate, x509CertificateChain, publicKey" },
		{ "\"kindVersion\"", "\"kindVersion\": {\"kind\": 5}, \"x\"", "bundle: bad or missing kindVersion.kind" },
	};
	dk_sigstore_result *r;
	size_t len;
	char *good = tu_sigstore_read(HAPPY, &len);

	(void)state;
	/* The unmutated bundle verifies, so each failure below is the mutation's. */
	r = happy_variant(good, len);
	assert_true(r->verified);
	dk_sigstore_result_free(r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = mutate(cases[i].from, cases[i].to);

		r = happy_variant(m, strlen(m));
		assert_false(r->verified);
		if (strncmp(r->reason, cases[i].reason, strlen(cases[i].reason)) != 0)
			print_message("case %zu: %s\n", i, r->reason);
		assert_int_equal(strncmp(r->reason, cases[i].reason, strlen(cases[i].reason)), 0);
		dk_sigstore_result_free(r);
		free(m);
	}
	/* Truncated at every 97th byte: always a reason, never a crash. */
	for (size_t cut = 0; cut < len; cut += 97) {
		r = happy_variant(good, cut);
		assert_false(r->verified);
		assert_non_null(r->reason);
		dk_sigstore_result_free(r);
	}
	free(good);
}

static void
truncated_base64_and_oversized(void **state)
{
	char *m = mutate("\"rawBytes\": \"MIII", "\"rawBytes\": \"MIIIx");
	dk_sigstore_result *r = happy_variant(m, strlen(m));
	size_t big = (4u << 20) + 16;
	char *huge = malloc(big);

	(void)state;
	assert_string_equal(r->reason, "certificate: truncated base64");
	dk_sigstore_result_free(r);
	free(m);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	r = happy_variant(huge, big);
	assert_non_null(strstr(r->reason, "larger than"));
	dk_sigstore_result_free(r);
	free(huge);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minted_chain_verifies),
		cmocka_unit_test(leaf_defects_rejected),
		cmocka_unit_test(looping_chain_is_a_clean_failure),
		cmocka_unit_test(duplicate_keys_in_payload_rejected),
		cmocka_unit_test(malformed_bundles_give_one_reason),
		cmocka_unit_test(truncated_base64_and_oversized),
	};

	return cmocka_run_group_tests_name("sigstore_input", tests, NULL, NULL);
}
