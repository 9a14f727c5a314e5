/*
 * cosign's pre-bundle formats: the `sha256-<hex>.sig` layer (simplesigning payload +
 * annotations) and the `sign-blob --bundle` JSON. Both carry the Rekor "SET bundle"
 * (cosign-verify.md §1a).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sigstore_int.h"

static int
hex_decode(unsigned char *out, size_t cap, size_t *out_len, const char *hex)
{
	size_t n = hex ? strlen(hex) : 0;

	if (n == 0 || n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = isxdigit((unsigned char)hex[2 * i]), lo = isxdigit((unsigned char)hex[2 * i + 1]);
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };

		if (!hi || !lo)
			return -1;
		out[i] = (unsigned char)strtoul(b, NULL, 16);
	}
	*out_len = n / 2;
	return 0;
}

/* {"SignedEntryTimestamp": b64, "Payload": {body, integratedTime, logIndex, logID}} */
static int
set_bundle_from_json(sg_tlog_entry *e, const json_t *j)
{
	const json_t *p = json_object_get(j, "Payload");
	const char *set = sg_json_str(j, "SignedEntryTimestamp"), *body = sg_json_str(p, "body");
	int rc;

	memset(e, 0, sizeof(*e));
	if (!set || !body)
		return dk_error_set(DK_EINVALID, "rekor bundle: missing SignedEntryTimestamp or Payload.body");
	if ((rc = sg_json_int64(&e->integrated_time, p, "integratedTime", 1, "rekor bundle")) < 0 ||
	    (rc = sg_json_int64(&e->log_index, p, "logIndex", 1, "rekor bundle")) < 0)
		return rc;
	if (hex_decode(e->log_id, sizeof(e->log_id), &e->log_id_len, sg_json_str(p, "logID")) < 0)
		return dk_error_set(DK_EINVALID, "rekor bundle: logID is not hex");
	if ((rc = sg_b64_decode(&e->set, set, strlen(set), "rekor bundle SET")) < 0 ||
	    (rc = sg_b64_decode(&e->body, body, strlen(body), "rekor bundle body")) < 0)
		return rc;
	return 0;
}

int
sg_set_bundle_parse(sg_tlog_entry *e, const char *text, size_t len)
{
	json_t *j = NULL;
	int rc;

	if ((rc = sg_json_load(&j, text, len, "rekor bundle")) < 0) {
		memset(e, 0, sizeof(*e));
		return rc;
	}
	rc = set_bundle_from_json(e, j);
	json_decref(j);
	return rc;
}

static int
one_entry(sg_material *m)
{
	m->entries = calloc(1, sizeof(*m->entries));
	if (!m->entries)
		return dk_error_set(DK_ENOMEM, "out of memory");
	m->n_entries = 1;
	return 0;
}

/* Concatenated PEM certificates; a root among them is dropped later, never trusted. */
static int
parse_chain(sg_material *m, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;
	int rc = 0;

	m->chain = sk_X509_new_null();
	if (!b || !m->chain) {
		BIO_free(b);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(m->chain) >= SG_MAX_CHAIN) {
			X509_free(x);
			rc = dk_error_set(DK_EINVALID, "certificate chain longer than %d", SG_MAX_CHAIN);
			break;
		}
		sk_X509_push(m->chain, x);
	}
	if (rc == 0 && sk_X509_num(m->chain) == 0)
		rc = dk_error_set(DK_EINVALID, "chain annotation holds no PEM certificate");
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int
sg_legacy_material(sg_material *m, const dk_sigstore_legacy *sig)
{
	unsigned char want[32], got[32];
	int rc;

	memset(m, 0, sizeof(*m));
	m->content = SG_CONTENT_PAYLOAD;
	if (!sig->payload || sig->payload_len == 0 || sig->payload_len > SG_MAX_INPUT)
		return dk_error_set(DK_EINVALID, "signature layer: empty or oversized payload");
	/* The registry is not trusted: the blob must hash to its descriptor digest. */
	if (sig->layer_digest) {
		char gh[65];

		if ((rc = sg_digest_parse(want, sig->layer_digest)) < 0)
			return rc;
		sg_sha256(got, sig->payload, sig->payload_len);
		if (memcmp(want, got, 32) != 0) {
			sg_hex(gh, got, 32);
			return dk_error_set(DK_EVERIFY, "payload digest sha256:%s != layer %.80s", gh, sig->layer_digest);
		}
	}
	m->payload.data = malloc(sig->payload_len);
	if (!m->payload.data)
		return dk_error_set(DK_ENOMEM, "out of memory");
	memcpy(m->payload.data, sig->payload, sig->payload_len);
	m->payload.len = sig->payload_len;
	if (!sig->signature || !*sig->signature)
		return dk_error_set(DK_EINVALID, "signature layer: no signature annotation");
	if ((rc = sg_b64_decode(&m->sig, sig->signature, strlen(sig->signature), "signature annotation")) < 0)
		return rc;
	if (m->sig.len == 0)
		return dk_error_set(DK_EINVALID, "signature layer: empty signature");
	if (sig->certificate && *sig->certificate &&
	    (rc = sg_pem_to_der_cert(&m->leaf, sig->certificate, strlen(sig->certificate))) < 0)
		return dk_error_prefix("certificate annotation");
	if (sig->chain && *sig->chain && (rc = parse_chain(m, sig->chain)) < 0)
		return rc;
	if (sig->rekor_bundle && *sig->rekor_bundle) {
		if ((rc = one_entry(m)) < 0 ||
		    (rc = sg_set_bundle_parse(&m->entries[0], sig->rekor_bundle, strlen(sig->rekor_bundle))) < 0)
			return rc;
	}
	if (sig->rfc3161_timestamp && *sig->rfc3161_timestamp) {
		json_t *j = NULL;
		const char *ts;

		if ((rc = sg_json_load(&j, sig->rfc3161_timestamp, strlen(sig->rfc3161_timestamp),
				"rfc3161timestamp annotation")) < 0)
			return rc;
		ts = sg_json_str(j, "SignedRFC3161Timestamp");
		m->timestamps = calloc(1, sizeof(*m->timestamps));
		if (!ts || !m->timestamps) {
			json_decref(j);
			return dk_error_set(DK_EINVALID, "rfc3161timestamp annotation lacks SignedRFC3161Timestamp");
		}
		m->n_timestamps = 1;
		rc = sg_b64_decode(&m->timestamps[0], ts, strlen(ts), "rfc3161 timestamp");
		json_decref(j);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* {"base64Signature": b64, "cert": b64(PEM), "rekorBundle": {SET bundle}} */
int
sg_cosign_blob_parse(sg_material *m, const char *text, size_t len)
{
	json_t *j = NULL;
	const char *sig, *cert;
	const json_t *rb;
	sg_buf pem = { 0 };
	int rc;

	memset(m, 0, sizeof(*m));
	m->content = SG_CONTENT_MESSAGE;
	if ((rc = sg_json_load(&j, text, len, "cosign bundle")) < 0)
		return rc;
	sig = sg_json_str(j, "base64Signature");
	cert = sg_json_str(j, "cert");
	rb = json_object_get(j, "rekorBundle");
	if (!sig) {
		rc = dk_error_set(DK_EINVALID, "cosign bundle: missing base64Signature");
		goto done;
	}
	if ((rc = sg_b64_decode(&m->sig, sig, strlen(sig), "cosign bundle signature")) < 0)
		goto done;
	if (cert && *cert) {
		if ((rc = sg_b64_decode(&pem, cert, strlen(cert), "cosign bundle cert")) < 0)
			goto done;
		if ((rc = sg_pem_to_der_cert(&m->leaf, (char *)pem.data, pem.len)) < 0)
			goto done;
	}
	if (json_is_object(rb)) {
		if ((rc = one_entry(m)) < 0 || (rc = set_bundle_from_json(&m->entries[0], rb)) < 0)
			goto done;
	}
done:
	sg_buf_free(&pem);
	json_decref(j);
	return rc;
}
