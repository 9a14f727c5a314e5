/*
 * Certificate chain to a trusted Fulcio CA, validated at each trusted time
 * (cosign-verify.md §2 steps 3 and 7).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sigstore_int.h"

/*
 * Certificate signatures are memoised: the issuer's key, the certificate bytes and the
 * verdict never change, and a Fulcio leaf is checked under a P-384 intermediate whose
 * verify costs ~13 P-256 verifies. Re-verifying the same signature (retries,
 * promotion, the console re-checking a row) then costs a hash. Only successes are kept.
 */
#define CACHE_SLOTS 1024

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char cache_keys[CACHE_SLOTS][32];
static unsigned char cache_used[CACHE_SLOTS];

static void
cache_key(unsigned char out[32], X509 *cert, X509 *issuer)
{
	unsigned char *der = NULL, *spki = NULL;
	int n = i2d_X509(cert, &der), k = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	memset(out, 0, 32);
	if (md && n > 0 && k > 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, spki, (size_t)k);
		EVP_DigestUpdate(md, der, (size_t)n);
		EVP_DigestFinal_ex(md, out, NULL);
	}
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	OPENSSL_free(spki);
	out[31] ^= 0x01; /* domain: certificate signatures */
}

int
sg_memo_has(const unsigned char key[32])
{
	size_t slot = ((size_t)key[0] << 8 | key[1]) % CACHE_SLOTS;
	int hit;

	pthread_mutex_lock(&cache_lock);
	hit = cache_used[slot] && memcmp(cache_keys[slot], key, 32) == 0;
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

void
sg_memo_put(const unsigned char key[32])
{
	size_t slot = ((size_t)key[0] << 8 | key[1]) % CACHE_SLOTS;

	pthread_mutex_lock(&cache_lock);
	memcpy(cache_keys[slot], key, 32);
	cache_used[slot] = 1;
	pthread_mutex_unlock(&cache_lock);
}

int
sg_chain_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	memset(cache_used, 0, sizeof(cache_used));
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/* Replaces OpenSSL's internal_verify: the same signature and validity checks over the
 * built chain, with the memo above. The root's self-signature is not checked, as
 * OpenSSL does not by default. */
int
sg_verify_built_chain(X509_STORE_CTX *ctx)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	time_t at = X509_VERIFY_PARAM_get_time(param);
	int n = sk_X509_num(chain);

	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		X509 *issuer = i + 1 < n ? sk_X509_value(chain, i + 1) : x;
		unsigned char key[32];

		if (i + 1 < n || !(X509_get_extension_flags(x) & EXFLAG_SS)) {
			EVP_PKEY *pk = X509_get0_pubkey(issuer);

			cache_key(key, x, issuer);
			if (!sg_memo_has(key)) {
				if (!pk || X509_verify(x, pk) <= 0) {
					X509_STORE_CTX_set_current_cert(ctx, x);
					X509_STORE_CTX_set_error_depth(ctx, i);
					X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_SIGNATURE_FAILURE);
					return 0;
				}
				sg_memo_put(key);
			}
		}
		if (X509_cmp_time(X509_get0_notBefore(x), &at) > 0) {
			X509_STORE_CTX_set_current_cert(ctx, x);
			X509_STORE_CTX_set_error_depth(ctx, i);
			X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_NOT_YET_VALID);
			return 0;
		}
		if (X509_cmp_time(X509_get0_notAfter(x), &at) < 0) {
			X509_STORE_CTX_set_current_cert(ctx, x);
			X509_STORE_CTX_set_error_depth(ctx, i);
			X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_HAS_EXPIRED);
			return 0;
		}
	}
	return 1;
}

static void
fmt_time(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Verifies the leaf under one CA at time t; 1 ok, 0 not, with *err the OpenSSL reason. */
static int
verify_under(const sg_ca *ca, X509 *leaf, STACK_OF(X509) *extra, int64_t t, X509 **issuer_out,
	const char **err)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(ca->intermediates);
	X509_VERIFY_PARAM *param;
	int ok = 0;

	*err = "out of memory";
	if (!ctx || !untrusted)
		goto done;
	for (int i = 0; extra && i < sk_X509_num(extra); i++) {
		if (!(X509_get_extension_flags(sk_X509_value(extra, i)) & EXFLAG_SS))
			sk_X509_push(untrusted, sk_X509_value(extra, i));
	}
	if (X509_STORE_CTX_init(ctx, ca->store, leaf, untrusted) != 1)
		goto done;
	X509_STORE_CTX_set_verify(ctx, sg_verify_built_chain);
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)t);
	X509_VERIFY_PARAM_set_depth(param, SG_MAX_CHAIN);
	if (X509_verify_cert(ctx) == 1) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);

		ok = 1;
		if (issuer_out && sk_X509_num(chain) > 1) {
			*issuer_out = sk_X509_value(chain, 1);
			X509_up_ref(*issuer_out);
		}
	} else {
		*err = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
	}
done:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	ERR_clear_error();
	return ok;
}

static int
leaf_checks(sg_ctx *c, X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	if (flags & EXFLAG_INVALID)
		return sg_fail(c, DK_EVERIFY, "signing certificate has invalid extensions");
	if (flags & EXFLAG_CRITICAL)
		return sg_fail(c, DK_EVERIFY, "signing certificate has an unsupported critical extension");
	/* Go's x509 (cosign) reads an absent EKU as unrestricted; Fulcio always sets it. */
	if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(leaf) & (XKU_CODE_SIGN | XKU_ANYEKU)))
		return sg_fail(c, DK_EVERIFY, "signing certificate lacks the code-signing extended key usage");
	if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
		return sg_fail(c, DK_EVERIFY, "signing certificate key usage lacks digitalSignature");
	if (flags & EXFLAG_CA)
		return sg_fail(c, DK_EVERIFY, "signing certificate is a CA certificate");
	return 0;
}

int
sg_verify_chain(sg_ctx *c, X509 **issuer_out)
{
	const dk_sigstore_root *root = c->v->root;
	X509 *leaf = c->m->leaf;
	const char *err = "no certificate authority in the trusted root";
	char when[32];
	int rc;

	*issuer_out = NULL;
	if ((rc = leaf_checks(c, leaf)) < 0)
		return rc;
	for (int i = 0; c->m->chain && i < sk_X509_num(c->m->chain); i++) {
		X509 *x = sk_X509_value(c->m->chain, i);

		/* Anchors come only from the trusted root (bundle-with-root-cert_fail). */
		if (X509_get_extension_flags(x) & EXFLAG_SS) {
			if (c->legacy)
				continue;
			return sg_fail(c, DK_EVERIFY, "bundle certificate chain contains a root certificate");
		}
	}
	if (c->n_times == 0)
		return sg_fail(c, DK_EVERIFY, "no trusted time (SET or RFC 3161 timestamp) to check the certificate at");
	for (size_t t = 0; t < c->n_times; t++) {
		int ok = 0;

		for (size_t i = 0; i < root->n_cas && !ok; i++) {
			X509 *issuer = NULL;

			if (!sg_window_has(&root->cas[i].valid, c->times[t])) {
				err = "no certificate authority in the trusted root is valid at that time";
				continue;
			}
			ok = verify_under(&root->cas[i], leaf, c->m->chain, c->times[t], &issuer, &err);
			if (ok && !*issuer_out)
				*issuer_out = issuer;
			else
				X509_free(issuer);
		}
		if (!ok) {
			fmt_time(when, sizeof(when), c->times[t]);
			return sg_fail(c, DK_EVERIFY, "certificate chain does not verify at %s: %s", when, err);
		}
	}
	return 0;
}
