/*
 * Embedded SCT (RFC 6962 §3.2) against the trusted root's CT logs. Done by hand over
 * OpenSSL's SCT parser because OpenSSL 3.0's CTLOG_STORE only loads keys from a file,
 * and its policy check uses "now" where we need the log key's validity window.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sigstore_int.h"

static void
put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* The precertificate TBS: the leaf without its SCT list (and poison, if any). */
static int
precert_tbs(sg_buf *out, X509 *leaf)
{
	X509 *dup = X509_dup(leaf);
	unsigned char *p = NULL;
	int idx, n;

	out->data = NULL;
	if (!dup)
		return -1;
	while ((idx = X509_get_ext_by_NID(dup, NID_ct_precert_scts, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(dup, idx));
	while ((idx = X509_get_ext_by_NID(dup, NID_ct_precert_poison, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(dup, idx));
	n = i2d_re_X509_tbs(dup, &p);
	X509_free(dup);
	if (n <= 0)
		return -1;
	out->data = malloc((size_t)n);
	if (out->data)
		memcpy(out->data, p, (size_t)n);
	out->len = (size_t)n;
	OPENSSL_free(p);
	return out->data ? 0 : -1;
}

static int
verify_one(SCT *sct, const sg_log *log, const sg_buf *tbs, const unsigned char issuer_hash[32])
{
	unsigned char *ext = NULL, *sig = NULL, *msg, *p;
	size_t ext_len = SCT_get0_extensions(sct, &ext), sig_len = SCT_get0_signature(sct, &sig);
	size_t len = 1 + 1 + 8 + 2 + 32 + 3 + tbs->len + 2 + ext_len;
	int ok;

	if (SCT_get_version(sct) != SCT_VERSION_V1 || tbs->len > 0xffffff || ext_len > 0xffff)
		return 0;
	msg = malloc(len);
	if (!msg)
		return 0;
	p = msg;
	*p++ = 0;                      /* version v1 */
	*p++ = 0;                      /* signature_type certificate_timestamp */
	put_be(p, SCT_get_timestamp(sct), 8);
	p += 8;
	put_be(p, 1, 2);               /* entry_type precert_entry */
	p += 2;
	memcpy(p, issuer_hash, 32);
	p += 32;
	put_be(p, tbs->len, 3);
	p += 3;
	memcpy(p, tbs->data, tbs->len);
	p += tbs->len;
	put_be(p, ext_len, 2);
	p += 2;
	if (ext_len)
		memcpy(p, ext, ext_len);
	ok = sg_verify_sig(log->key, msg, len, sig, sig_len);
	free(msg);
	return ok;
}

/* An SCT is a fact about (leaf, issuer key, log key): memoised like a certificate
 * signature. The log's validity window is still checked every time. */
static void
sct_memo_key(unsigned char out[32], X509 *leaf, const unsigned char issuer_hash[32], const sg_log *log)
{
	unsigned char *der = NULL;
	int n = i2d_X509(leaf, &der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	memset(out, 0, 32);
	if (md && n > 0 && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, "sct", 3);
		EVP_DigestUpdate(md, issuer_hash, 32);
		EVP_DigestUpdate(md, log->log_id, log->log_id_len);
		EVP_DigestUpdate(md, der, (size_t)n);
		EVP_DigestFinal_ex(md, out, NULL);
	}
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
}

int
sg_verify_sct(sg_ctx *c, X509 *issuer)
{
	STACK_OF(SCT) *scts = NULL;
	sg_buf tbs = { 0 };
	unsigned char issuer_hash[32], memo[32];
	const char *why = "signing certificate has no embedded SCT";
	int rc = 0, good = 0;

	if (c->v->ignore_sct)
		return 0;
	scts = X509_get_ext_d2i(c->m->leaf, NID_ct_precert_scts, NULL, NULL);
	if (!scts || sk_SCT_num(scts) == 0)
		goto done;
	if (!issuer) {
		why = "no issuer certificate to check the SCT against";
		goto done;
	}
	{
		unsigned char *p = NULL;
		int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &p);

		if (n <= 0) {
			why = "cannot encode the issuer key for the SCT";
			goto done;
		}
		sg_sha256(issuer_hash, p, (size_t)n);
		OPENSSL_free(p);
	}
	why = "no SCT from a CT log in the trusted root";
	for (int i = 0; i < sk_SCT_num(scts) && !good; i++) {
		SCT *sct = sk_SCT_value(scts, i);
		unsigned char *id = NULL;
		size_t id_len = SCT_get0_log_id(sct, &id);
		const sg_log *log = sg_root_ctlog(c->v->root, id, id_len);
		int64_t t = (int64_t)(SCT_get_timestamp(sct) / 1000);

		if (!log)
			continue;
		if (!sg_window_has(&log->valid, t)) {
			why = "SCT timestamp is outside the CT log key's validity";
			continue;
		}
		sct_memo_key(memo, c->m->leaf, issuer_hash, log);
		if (sg_memo_has(memo)) {
			good = 1;
			break;
		}
		/* The precertificate is rebuilt once, only when some SCT needs checking. */
		if (!tbs.data && precert_tbs(&tbs, c->m->leaf) < 0) {
			why = "cannot rebuild the precertificate for the SCT";
			goto done;
		}
		if (verify_one(sct, log, &tbs, issuer_hash)) {
			good = 1;
			sg_memo_put(memo);
		} else {
			why = "SCT signature invalid";
		}
	}
done:
	if (!good)
		rc = sg_fail(c, DK_EVERIFY, "%s", why);
	SCT_LIST_free(scts);
	sg_buf_free(&tbs);
	ERR_clear_error();
	return rc;
}
