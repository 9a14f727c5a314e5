#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "sigstore_int.h"

static void
entry_clear(sg_tlog_entry *e)
{
	sg_buf_free(&e->set);
	sg_buf_free(&e->body);
	free(e->hashes);
	free(e->checkpoint);
}

void
sg_material_clear(sg_material *m)
{
	X509_free(m->leaf);
	sk_X509_pop_free(m->chain, X509_free);
	sg_buf_free(&m->sig);
	sg_buf_free(&m->payload);
	free(m->payload_type);
	for (size_t i = 0; i < m->n_entries; i++)
		entry_clear(&m->entries[i]);
	free(m->entries);
	for (size_t i = 0; i < m->n_timestamps; i++)
		sg_buf_free(&m->timestamps[i]);
	free(m->timestamps);
	memset(m, 0, sizeof(*m));
}

static int
b64_field(sg_buf *out, const json_t *obj, const char *key, const char *what)
{
	const char *s = sg_json_str(obj, key);

	if (!s)
		return dk_error_set(DK_EINVALID, "bundle: missing %s", what);
	return sg_b64_decode(out, s, strlen(s), what);
}

static int
parse_der_cert(X509 **out, const json_t *obj, const char *what)
{
	sg_buf der = { 0 };
	const unsigned char *p;
	int rc;

	if ((rc = b64_field(&der, obj, "rawBytes", what)) < 0)
		return rc;
	p = der.data;
	*out = d2i_X509(NULL, &p, (long)der.len);
	if (!*out || p != der.data + der.len) {
		X509_free(*out);
		*out = NULL;
		rc = dk_error_set(DK_EINVALID, "bundle: %s is not a DER certificate", what);
	}
	sg_buf_free(&der);
	ERR_clear_error();
	return rc;
}

static int
parse_proof(sg_tlog_entry *e, const json_t *p)
{
	const json_t *hashes = json_object_get(p, "hashes");
	const char *cp = sg_json_str(json_object_get(p, "checkpoint"), "envelope");
	sg_buf root = { 0 };
	int rc;

	if ((rc = sg_json_int64(&e->proof_index, p, "logIndex", 0, "inclusion proof")) < 0 ||
	    (rc = sg_json_int64(&e->tree_size, p, "treeSize", 1, "inclusion proof")) < 0 ||
	    (rc = b64_field(&root, p, "rootHash", "inclusion proof rootHash")) < 0)
		return rc;
	if (root.len != 32) {
		sg_buf_free(&root);
		return dk_error_set(DK_EINVALID, "bundle: inclusion proof root hash has %zu bytes", root.len);
	}
	memcpy(e->root_hash, root.data, 32);
	sg_buf_free(&root);
	if (hashes && !json_is_array(hashes))
		return dk_error_set(DK_EINVALID, "bundle: inclusion proof hashes is not a list");
	e->n_hashes = json_array_size(hashes);
	if (e->n_hashes > SG_MAX_PROOF)
		return dk_error_set(DK_EINVALID, "bundle: inclusion proof has %zu hashes", e->n_hashes);
	e->hashes = calloc(e->n_hashes + 1, 32);
	if (!e->hashes)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < e->n_hashes; i++) {
		const char *s = json_string_value(json_array_get(hashes, i));
		sg_buf h = { 0 };

		if (!s)
			return dk_error_set(DK_EINVALID, "bundle: inclusion proof hash is not a string");
		if ((rc = sg_b64_decode(&h, s, strlen(s), "inclusion proof hash")) < 0)
			return rc;
		if (h.len != 32) {
			sg_buf_free(&h);
			return dk_error_set(DK_EINVALID, "bundle: inclusion proof hash has %zu bytes", h.len);
		}
		memcpy(e->hashes[i], h.data, 32);
		sg_buf_free(&h);
	}
	if (cp && strlen(cp) > 64 * 1024)
		return dk_error_set(DK_EINVALID, "bundle: checkpoint too large");
	if (cp && !(e->checkpoint = strdup(cp)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	e->has_proof = 1;
	return 0;
}

static int
copy_str(char *dst, size_t cap, const char *src, const char *what)
{
	if (!src || strlen(src) >= cap)
		return dk_error_set(DK_EINVALID, "bundle: bad or missing %s", what);
	strcpy(dst, src);
	return 0;
}

static int
parse_entry(sg_tlog_entry *e, const json_t *j, int version)
{
	const json_t *kv = json_object_get(j, "kindVersion");
	/* JSON null is how some writers spell "absent". */
	const json_t *promise = json_object_get(j, "inclusionPromise");
	const json_t *proof = json_object_get(j, "inclusionProof");

	if (json_is_null(promise))
		promise = NULL;
	if (json_is_null(proof))
		proof = NULL;
	sg_buf id = { 0 };
	int rc;

	if (!json_is_object(j))
		return dk_error_set(DK_EINVALID, "bundle: tlog entry is not an object");
	/* protobuf-JSON omits zero values: an absent index is index 0. */
	if ((rc = sg_json_int64(&e->log_index, j, "logIndex", 0, "tlog entry")) < 0 ||
	    (rc = sg_json_int64(&e->integrated_time, j, "integratedTime", 0, "tlog entry")) < 0 ||
	    (rc = copy_str(e->kind, sizeof(e->kind), sg_json_str(kv, "kind"), "kindVersion.kind")) < 0 ||
	    (rc = copy_str(e->version, sizeof(e->version), sg_json_str(kv, "version"),
			"kindVersion.version")) < 0 ||
	    (rc = b64_field(&id, json_object_get(j, "logId"), "keyId", "tlog logId")) < 0)
		return rc;
	if (id.len == 0 || id.len > sizeof(e->log_id)) {
		sg_buf_free(&id);
		return dk_error_set(DK_EINVALID, "bundle: tlog logId has %zu bytes", id.len);
	}
	memcpy(e->log_id, id.data, id.len);
	e->log_id_len = id.len;
	sg_buf_free(&id);
	if ((rc = b64_field(&e->body, j, "canonicalizedBody", "tlog canonicalizedBody")) < 0)
		return rc;
	if (promise && (rc = b64_field(&e->set, promise, "signedEntryTimestamp",
			"tlog signedEntryTimestamp")) < 0)
		return rc;
	if (proof && (rc = parse_proof(e, proof)) < 0)
		return rc;
	/* Version rules (cosign-verify.md §1b): v0.1 needs the SET, v0.2+ a proof with a
	 * checkpoint. */
	if (version == 1 && e->set.len == 0)
		return dk_error_set(DK_EINVALID, "bundle v0.1: tlog entry has no inclusion promise");
	if (version >= 2 && (!e->has_proof || !e->checkpoint))
		return dk_error_set(DK_EINVALID, "bundle v0.%d: tlog entry has no inclusion proof with a checkpoint",
			version);
	return 0;
}

static int
parse_material(sg_material *m, const json_t *vm)
{
	const json_t *chain = json_object_get(vm, "x509CertificateChain");
	const json_t *cert = json_object_get(vm, "certificate");
	const json_t *pk = json_object_get(vm, "publicKey");
	const json_t *entries = json_object_get(vm, "tlogEntries");
	const json_t *ts = json_object_get(json_object_get(vm, "timestampVerificationData"),
		"rfc3161Timestamps");
	int kinds = !!chain + !!cert + !!pk, rc;

	if (!json_is_object(vm))
		return dk_error_set(DK_EINVALID, "bundle: missing verificationMaterial");
	if (kinds != 1)
		return dk_error_set(DK_EINVALID, "bundle: verificationMaterial needs exactly one of "
			"certificate, x509CertificateChain, publicKey");
	if (chain) {
		const json_t *certs = json_object_get(chain, "certificates");
		size_t n = json_array_size(certs);

		if (m->bundle_version >= 3)
			return dk_error_set(DK_EINVALID, "bundle v0.3: x509CertificateChain is not allowed");
		if (n == 0)
			return dk_error_set(DK_EINVALID, "bundle: empty certificate chain");
		if (n > SG_MAX_CHAIN)
			return dk_error_set(DK_EINVALID, "bundle: certificate chain of %zu", n);
		if ((rc = parse_der_cert(&m->leaf, json_array_get(certs, 0), "leaf certificate")) < 0)
			return rc;
		m->chain = sk_X509_new_null();
		if (!m->chain)
			return dk_error_set(DK_ENOMEM, "out of memory");
		for (size_t i = 1; i < n; i++) {
			X509 *x;

			if ((rc = parse_der_cert(&x, json_array_get(certs, i), "chain certificate")) < 0)
				return rc;
			sk_X509_push(m->chain, x);
		}
	} else if (cert) {
		if ((rc = parse_der_cert(&m->leaf, cert, "certificate")) < 0)
			return rc;
	} else {
		m->has_public_key = 1;
	}
	if (entries && !json_is_array(entries))
		return dk_error_set(DK_EINVALID, "bundle: tlogEntries is not a list");
	if (json_array_size(entries) > SG_MAX_TLOG)
		return dk_error_set(DK_EINVALID, "bundle: %zu tlog entries (limit %d)", json_array_size(entries),
			SG_MAX_TLOG);
	m->entries = calloc(json_array_size(entries) + 1, sizeof(*m->entries));
	if (!m->entries)
		return dk_error_set(DK_ENOMEM, "out of memory");
	m->n_entries = json_array_size(entries);
	for (size_t i = 0; i < m->n_entries; i++) {
		if ((rc = parse_entry(&m->entries[i], json_array_get(entries, i), m->bundle_version)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++) {
			if (m->entries[k].log_index == m->entries[i].log_index &&
			    m->entries[k].log_id_len == m->entries[i].log_id_len &&
			    memcmp(m->entries[k].log_id, m->entries[i].log_id, m->entries[i].log_id_len) == 0)
				return dk_error_set(DK_EINVALID, "bundle: duplicate tlog entry %lld",
					(long long)m->entries[i].log_index);
		}
	}
	if (ts && !json_is_array(ts))
		return dk_error_set(DK_EINVALID, "bundle: rfc3161Timestamps is not a list");
	if (json_array_size(ts) > SG_MAX_TIMESTAMPS)
		return dk_error_set(DK_EINVALID, "bundle: %zu timestamps (limit %d)", json_array_size(ts),
			SG_MAX_TIMESTAMPS);
	m->timestamps = calloc(json_array_size(ts) + 1, sizeof(*m->timestamps));
	if (!m->timestamps)
		return dk_error_set(DK_ENOMEM, "out of memory");
	m->n_timestamps = json_array_size(ts);
	for (size_t i = 0; i < m->n_timestamps; i++) {
		if ((rc = b64_field(&m->timestamps[i], json_array_get(ts, i), "signedTimestamp",
				"rfc3161 signedTimestamp")) < 0)
			return rc;
		for (size_t k = 0; k < i; k++) {
			if (m->timestamps[k].len == m->timestamps[i].len &&
			    memcmp(m->timestamps[k].data, m->timestamps[i].data, m->timestamps[i].len) == 0)
				return dk_error_set(DK_EINVALID, "bundle: duplicate RFC 3161 timestamp");
		}
	}
	if (m->n_entries == 0 && m->n_timestamps == 0 && !m->has_public_key)
		return dk_error_set(DK_EINVALID, "bundle: no transparency log entry and no timestamp");
	return 0;
}

static int
parse_content(sg_material *m, const json_t *root)
{
	const json_t *ms = json_object_get(root, "messageSignature");
	const json_t *env = json_object_get(root, "dsseEnvelope");
	int rc;

	if (!!ms + !!env != 1)
		return dk_error_set(DK_EINVALID, "bundle: needs exactly one of messageSignature, dsseEnvelope");
	if (ms) {
		const json_t *md = json_object_get(ms, "messageDigest");

		m->content = SG_CONTENT_MESSAGE;
		if ((rc = b64_field(&m->sig, ms, "signature", "messageSignature.signature")) < 0)
			return rc;
		if (md) {
			const char *alg = sg_json_str(md, "algorithm");
			sg_buf d = { 0 };

			if ((rc = b64_field(&d, md, "digest", "messageDigest.digest")) < 0)
				return rc;
			if (alg && strcmp(alg, "SHA2_256") == 0 && d.len == 32) {
				memcpy(m->digest, d.data, 32);
				m->has_digest = 1;
			} else if (alg && strcmp(alg, "SHA2_256") == 0) {
				sg_buf_free(&d);
				return dk_error_set(DK_EINVALID, "bundle: SHA2_256 messageDigest has %zu bytes", d.len);
			}
			sg_buf_free(&d);
		}
	} else {
		const json_t *sigs = json_object_get(env, "signatures");
		const char *pt = sg_json_str(env, "payloadType");

		m->content = SG_CONTENT_DSSE;
		if (!pt)
			return dk_error_set(DK_EINVALID, "bundle: DSSE envelope has no payloadType");
		/* sigstore-go accepts exactly one DSSE signature (ErrDSSEInvalidSignatureCount). */
		if (json_array_size(sigs) != 1)
			return dk_error_set(DK_EINVALID, "bundle: DSSE envelope has %zu signatures, expected 1",
				json_array_size(sigs));
		if ((rc = b64_field(&m->payload, env, "payload", "DSSE payload")) < 0 ||
		    (rc = b64_field(&m->sig, json_array_get(sigs, 0), "sig", "DSSE signature")) < 0)
			return rc;
		if (!(m->payload_type = strdup(pt)))
			return dk_error_set(DK_ENOMEM, "out of memory");
	}
	if (m->sig.len == 0)
		return dk_error_set(DK_EINVALID, "bundle: empty signature");
	return 0;
}

static int
media_version(const char *mt)
{
	static const struct { const char *name; int v; } known[] = {
		{ "application/vnd.dev.sigstore.bundle+json;version=0.1", 1 },
		{ "application/vnd.dev.sigstore.bundle+json;version=0.2", 2 },
		{ "application/vnd.dev.sigstore.bundle+json;version=0.3", 3 },
		{ "application/vnd.dev.sigstore.bundle.v0.3+json", 3 },
	};

	for (size_t i = 0; mt && i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(mt, known[i].name) == 0)
			return known[i].v;
	}
	return 0;
}

int
sg_bundle_parse(sg_material *m, const char *json, size_t len)
{
	json_t *j = NULL;
	const char *mt;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = sg_json_load(&j, json, len, "bundle")) < 0)
		return rc;
	mt = sg_json_str(j, "mediaType");
	m->bundle_version = media_version(mt);
	if (!m->bundle_version) {
		rc = dk_error_set(DK_EINVALID, "bundle: unsupported mediaType \"%.100s\"", mt ? mt : "");
		goto done;
	}
	if ((rc = parse_material(m, json_object_get(j, "verificationMaterial"))) < 0 ||
	    (rc = parse_content(m, j)) < 0)
		goto done;
done:
	json_decref(j);
	return rc;
}
