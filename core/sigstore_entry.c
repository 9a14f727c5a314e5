/*
 * Tying a transparency-log entry to the signature under verification
 * (cosign-verify.md §2 step 1.4). Without this a valid SET for some other signature
 * would vouch for this one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigstore_int.h"

static int __attribute__((format(printf, 3, 4)))
why_set(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

#define WHY(...) why_set(why, why_len, __VA_ARGS__)

/* base64(PEM) or base64(DER) of a certificate or key, compared by DER. */
static int
signer_matches_b64(const sg_ctx *c, const char *b64, int pem)
{
	sg_buf raw = { 0 }, der = { 0 };
	int ok = 0;

	if (!b64 || sg_b64_decode(&raw, b64, strlen(b64), "tlog entry key") < 0)
		return 0;
	if (pem) {
		if (sg_pem_any_der(&der, raw.data, raw.len) == 0)
			ok = der.len == c->signer_der.len && memcmp(der.data, c->signer_der.data, der.len) == 0;
	} else {
		ok = raw.len == c->signer_der.len && memcmp(raw.data, c->signer_der.data, raw.len) == 0;
	}
	sg_buf_free(&raw);
	sg_buf_free(&der);
	return ok;
}

/* Some Rekor kinds (intoto 0.0.2) store the signature base64 twice. */
static int
sig_matches_b64(const sg_ctx *c, const char *b64)
{
	sg_buf once = { 0 }, twice = { 0 };
	int ok = 0;

	if (!b64 || sg_b64_decode(&once, b64, strlen(b64), "tlog entry signature") < 0)
		return 0;
	if (once.len == c->m->sig.len && memcmp(once.data, c->m->sig.data, once.len) == 0)
		ok = 1;
	else if (sg_b64_decode(&twice, (char *)once.data, once.len, "tlog entry signature") == 0)
		ok = twice.len == c->m->sig.len && memcmp(twice.data, c->m->sig.data, twice.len) == 0;
	sg_buf_free(&once);
	sg_buf_free(&twice);
	dk_error_clear();
	return ok;
}

static int
hex_hash_matches(const json_t *h, const unsigned char want[32])
{
	const char *alg = sg_json_str(h, "algorithm"), *value = sg_json_str(h, "value");
	char hex[65];

	if (!alg || !value || strcmp(alg, "sha256") != 0)
		return 0;
	sg_hex(hex, want, 32);
	return strcmp(hex, value) == 0;
}

/* DSSE pre-authentication encoding: the bytes a DSSE signature covers. */
int
sg_dsse_pae(sg_buf *out, const char *type, const sg_buf *payload)
{
	char head[64];
	size_t tl = strlen(type);
	int hn = snprintf(head, sizeof(head), "DSSEv1 %zu ", tl);
	char mid[32];
	int mn = snprintf(mid, sizeof(mid), " %zu ", payload->len);

	out->len = (size_t)hn + tl + (size_t)mn + payload->len;
	out->data = malloc(out->len + 1);
	if (!out->data)
		return dk_error_set(DK_ENOMEM, "out of memory");
	memcpy(out->data, head, (size_t)hn);
	memcpy(out->data + hn, type, tl);
	memcpy(out->data + hn + tl, mid, (size_t)mn);
	memcpy(out->data + hn + tl + mn, payload->data, payload->len);
	return 0;
}

static int
match_hashedrekord_v1(const sg_ctx *c, const json_t *spec, char *why, size_t why_len)
{
	const json_t *sig = json_object_get(spec, "signature");

	if (c->m->content == SG_CONTENT_DSSE)
		return WHY("tlog entry is a hashedrekord but the bundle holds a DSSE envelope");
	if (!sig_matches_b64(c, sg_json_str(sig, "content")))
		return WHY("tlog entry signature does not match the bundle signature");
	if (!signer_matches_b64(c, sg_json_str(json_object_get(sig, "publicKey"), "content"), 1))
		return WHY("tlog entry public key does not match the signing certificate or key");
	if (!c->have_artifact_hash ||
	    !hex_hash_matches(json_object_get(json_object_get(spec, "data"), "hash"), c->artifact_hash))
		return WHY("tlog entry digest does not match the signed artifact");
	return 0;
}

static int
match_hashedrekord_v2(const sg_ctx *c, const json_t *spec, char *why, size_t why_len)
{
	const json_t *hr = json_object_get(spec, "hashedRekordV002");
	const json_t *data = json_object_get(hr, "data"), *sig = json_object_get(hr, "signature");
	const json_t *ver = json_object_get(sig, "verifier");
	const char *alg = sg_json_str(data, "algorithm"), *dig = sg_json_str(data, "digest");
	const char *cert = sg_json_str(json_object_get(ver, "x509Certificate"), "rawBytes");
	const char *key = sg_json_str(json_object_get(ver, "publicKey"), "rawBytes");
	unsigned char want[32];
	sg_buf d = { 0 }, pae = { 0 };
	int ok;

	if (!sig_matches_b64(c, sg_json_str(sig, "content")))
		return WHY("tlog entry signature does not match the bundle signature");
	if (!signer_matches_b64(c, cert ? cert : key, 0))
		return WHY("tlog entry verifier does not match the signing certificate or key");
	/* Rekor v2 logs a DSSE envelope as a hashedrekord over SHA-256(PAE). */
	if (c->m->content == SG_CONTENT_DSSE) {
		if (sg_dsse_pae(&pae, c->m->payload_type, &c->m->payload) < 0)
			return WHY("out of memory");
		sg_sha256(want, pae.data, pae.len);
		sg_buf_free(&pae);
	} else if (c->have_artifact_hash) {
		memcpy(want, c->artifact_hash, 32);
	} else {
		return WHY("tlog entry digest cannot be checked without the artifact");
	}
	if (!alg || strcmp(alg, "SHA2_256") != 0 || !dig || sg_b64_decode(&d, dig, strlen(dig), "digest") < 0)
		return WHY("tlog entry digest is not SHA2_256");
	ok = d.len == 32 && memcmp(d.data, want, 32) == 0;
	sg_buf_free(&d);
	if (!ok)
		return WHY("tlog entry digest does not match the signed artifact");
	return 0;
}

static int
match_dsse(const sg_ctx *c, const json_t *spec, int intoto, char *why, size_t why_len)
{
	const json_t *sigs, *ph;
	unsigned char want[32];
	size_t n;

	if (c->m->content != SG_CONTENT_DSSE)
		return WHY("tlog entry is a DSSE/in-toto record but the bundle holds no DSSE envelope");
	if (intoto) {
		const json_t *content = json_object_get(spec, "content");

		sigs = json_object_get(json_object_get(content, "envelope"), "signatures");
		ph = json_object_get(content, "payloadHash");
	} else {
		sigs = json_object_get(spec, "signatures");
		ph = json_object_get(spec, "payloadHash");
	}
	sg_sha256(want, c->m->payload.data, c->m->payload.len);
	if (!hex_hash_matches(ph, want))
		return WHY("tlog entry payload hash does not match the DSSE payload");
	n = json_array_size(sigs);
	if (n != 1)
		return WHY("tlog entry has %zu DSSE signatures, expected 1", n);
	if (!sig_matches_b64(c, sg_json_str(json_array_get(sigs, 0), intoto ? "sig" : "signature")))
		return WHY("tlog entry signature does not match the DSSE envelope");
	if (!signer_matches_b64(c, sg_json_str(json_array_get(sigs, 0), intoto ? "publicKey" : "verifier"), 1))
		return WHY("tlog entry verifier does not match the signing certificate or key");
	return 0;
}

int
sg_verify_entry_body(sg_ctx *c, const sg_tlog_entry *e, char *why, size_t why_len)
{
	json_t *body = NULL;
	const json_t *spec;
	const char *kind, *version;
	int rc = -1;

	if (sg_json_load(&body, (const char *)e->body.data, e->body.len, "tlog entry body") < 0) {
		dk_error_clear();
		return WHY("tlog entry %lld: body is not a JSON object", (long long)e->log_index);
	}
	kind = sg_json_str(body, "kind");
	version = sg_json_str(body, "apiVersion");
	spec = json_object_get(body, "spec");
	if (!kind || !version || !json_is_object(spec)) {
		WHY("tlog entry %lld: body lacks kind/apiVersion/spec", (long long)e->log_index);
		goto done;
	}
	/* The bundle's kindVersion is a hint; the logged body is what the log signed. */
	if (c->m->bundle_version && (strcmp(kind, e->kind) != 0 || strcmp(version, e->version) != 0)) {
		WHY("tlog entry %lld: kindVersion %s/%s does not match the body (%s/%s)",
			(long long)e->log_index, e->kind, e->version, kind, version);
		goto done;
	}
	if ((strcmp(kind, "hashedrekord") == 0 || strcmp(kind, "rekord") == 0) &&
	    strcmp(version, "0.0.1") == 0)
		rc = match_hashedrekord_v1(c, spec, why, why_len);
	else if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.2") == 0)
		rc = match_hashedrekord_v2(c, spec, why, why_len);
	else if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.1") == 0)
		rc = match_dsse(c, spec, 0, why, why_len);
	else if (strcmp(kind, "intoto") == 0 && strcmp(version, "0.0.2") == 0)
		rc = match_dsse(c, spec, 1, why, why_len);
	else
		WHY("tlog entry %lld: unsupported kind %s %s", (long long)e->log_index, kind, version);
done:
	json_decref(body);
	return rc;
}
