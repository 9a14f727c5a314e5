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

/* The precertificate TBS: the leaf without its SCT list (and poison, if any), by
 * OpenSSL: a full copy of the certificate, re-encoded. The fallback for what the DER
 * walk below does not take. */
int
sg_precert_tbs_x509(sg_buf *out, X509 *leaf)
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

/* One DER TLV at p: header length, or -1 (not minimal DER, or past the end). */
static int
der_tlv(const unsigned char *p, size_t avail, unsigned char *tag, size_t *clen)
{
	size_t len = 0, n;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		len = p[1];
		n = 0;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 3 || avail < 2 + n || p[2] == 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		if (len < 0x80)
			return -1;
	}
	if (len > avail - 2 - n)
		return -1;
	*clen = len;
	return (int)(2 + n);
}

static size_t
der_hdr_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : 5;
}

static unsigned char *
der_put_hdr(unsigned char *o, unsigned char tag, size_t len)
{
	size_t n = der_hdr_len(len) - 2;

	*o++ = tag;
	if (n == 0) {
		*o++ = (unsigned char)len;
		return o;
	}
	*o++ = (unsigned char)(0x80 | n);
	for (size_t i = n; i > 0; i--)
		*o++ = (unsigned char)(len >> (8 * (i - 1)));
	return o;
}

/*
 * The same from the certificate's own DER, without parsing it again: copy the
 * TBSCertificate, dropping the Extension elements whose OID is the SCT list
 * (1.3.6.1.4.1.11129.2.4.2) or the poison (.4.3), and re-write the three lengths that
 * change ([3] extensions, its SEQUENCE, the TBS). This is what RFC 6962 §3.2 signs and
 * what Go's x509.RemoveSCTList computes. -1 when the DER is not the plain shape
 * (the caller then falls back to OpenSSL).
 */
int
sg_precert_tbs_der(sg_buf *out, const unsigned char *der, size_t len)
{
	static const unsigned char sct_oid[] = { 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04 };
	const unsigned char *tbs, *body, *end, *ext = NULL, *p;
	size_t clen, tbs_len, ext_len = 0, exts_len, kept = 0, new_exts, new_tbs, before, after;
	unsigned char tag, *keep = NULL, *w;
	int h, tbs_h;

	out->data = NULL;
	out->len = 0;
	if ((h = der_tlv(der, len, &tag, &clen)) < 0 || tag != 0x30)
		return -1;
	tbs = der + h;
	if ((tbs_h = der_tlv(tbs, clen, &tag, &tbs_len)) < 0 || tag != 0x30)
		return -1;
	body = tbs + tbs_h;
	end = body + tbs_len;
	/* Find [3] (the extensions) among the TBS elements. */
	for (p = body; p < end; p += (size_t)h + clen) {
		if ((h = der_tlv(p, (size_t)(end - p), &tag, &clen)) < 0)
			return -1;
		if (tag == 0xa3) {
			if (ext)
				return -1;
			ext = p;
			ext_len = (size_t)h + clen;
		}
	}
	if (!ext)
		return -1;
	/* [3] { SEQUENCE OF Extension } exactly. */
	h = der_tlv(ext, ext_len, &tag, &clen);
	p = ext + h;
	if ((h = der_tlv(p, clen, &tag, &exts_len)) < 0 || tag != 0x30 || (size_t)h + exts_len != clen)
		return -1;
	p += h;
	if (!(keep = malloc(exts_len ? exts_len : 1)))
		return -1;
	for (const unsigned char *e = p; e < p + exts_len;) {
		size_t el, ol;
		int eh = der_tlv(e, (size_t)(p + exts_len - e), &tag, &el), oh;

		if (eh < 0 || tag != 0x30 || (oh = der_tlv(e + eh, el, &tag, &ol)) < 0 || tag != 0x06)
			goto bad;
		/* Keep all but the SCT list (...2.4.2) and the poison (...2.4.3). */
		if (!((size_t)oh + ol == sizeof(sct_oid) + 1 && memcmp(e + eh, sct_oid, sizeof(sct_oid)) == 0 &&
		      (e[eh + sizeof(sct_oid)] == 0x02 || e[eh + sizeof(sct_oid)] == 0x03))) {
			memcpy(keep + kept, e, (size_t)eh + el);
			kept += (size_t)eh + el;
		}
		e += (size_t)eh + el;
	}
	/* Nothing to drop, or nothing left: leave those to OpenSSL. */
	if (kept == 0 || kept == exts_len)
		goto bad;
	new_exts = der_hdr_len(kept) + kept;
	new_tbs = tbs_len - ext_len + der_hdr_len(new_exts) + new_exts;
	before = (size_t)(ext - body);
	after = tbs_len - before - ext_len;
	if (!(out->data = malloc(der_hdr_len(new_tbs) + new_tbs)))
		goto bad;
	w = der_put_hdr(out->data, 0x30, new_tbs);
	memcpy(w, body, before);
	w = der_put_hdr(w + before, 0xa3, new_exts);
	w = der_put_hdr(w, 0x30, kept);
	memcpy(w, keep, kept);
	memcpy(w + kept, ext + ext_len, after);
	out->len = (size_t)(w + kept + after - out->data);
	free(keep);
	return 0;
bad:
	free(keep);
	sg_buf_free(out);
	return -1;
}

static int
precert_tbs(sg_buf *out, const sg_buf *der, X509 *leaf)
{
	if (der->data && sg_precert_tbs_der(out, der->data, der->len) == 0)
		return 0;
	return sg_precert_tbs_x509(out, leaf);
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

int
sg_verify_sct(sg_ctx *c, X509 *issuer)
{
	STACK_OF(SCT) *scts = NULL;
	sg_buf tbs = { 0 };
	unsigned char issuer_hash[32];
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
		/* The precertificate is rebuilt once, only when some SCT needs checking. */
		if (!tbs.data && precert_tbs(&tbs, &c->signer_der, c->m->leaf) < 0) {
			why = "cannot rebuild the precertificate for the SCT";
			goto done;
		}
		if (verify_one(sct, log, &tbs, issuer_hash)) {
			good = 1;
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
