#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "sigstore_int.h"

static int
parse_window(sg_window *w, const json_t *valid_for, const char *what)
{
	const char *start = sg_json_str(valid_for, "start"), *end = sg_json_str(valid_for, "end");
	int rc;

	/* A window with no start is malformed, not "valid forever" (conformance
	 * trust-root-tlog-missing-validity-start_fail). */
	if (!start)
		return dk_error_set(DK_EINVALID, "trusted root: %s has no validFor.start", what);
	if ((rc = sg_time_parse(&w->start, start, 1)) < 0)
		return dk_error_prefix("trusted root: %s validFor", what);
	w->end = INT64_MAX;
	if (end && (rc = sg_time_parse(&w->end, end, 0)) < 0)
		return dk_error_prefix("trusted root: %s validFor", what);
	return 0;
}

static void
log_clear(sg_log *l)
{
	free(l->base_url);
	free(l->host);
	EVP_PKEY_free(l->key);
}

static int
parse_log(sg_log *l, const json_t *j, const char *what)
{
	const json_t *pk = json_object_get(j, "publicKey");
	const char *raw = sg_json_str(pk, "rawBytes"), *url = sg_json_str(j, "baseUrl");
	const char *id = sg_json_str(json_object_get(j, "logId"), "keyId");
	const char *details = sg_json_str(pk, "keyDetails");
	sg_buf der = { 0 }, idb = { 0 }, spki = { 0 };
	unsigned char h[32];
	int rc;

	if (!raw || !id)
		return dk_error_set(DK_EINVALID, "trusted root: %s entry lacks publicKey.rawBytes or logId", what);
	if ((rc = parse_window(&l->valid, json_object_get(pk, "validFor"), what)) < 0)
		goto done;
	if ((rc = sg_b64_decode(&der, raw, strlen(raw), "trusted root key")) < 0 ||
	    (rc = sg_pubkey_parse(&l->key, der.data, der.len)) < 0 ||
	    (rc = sg_b64_decode(&idb, id, strlen(id), "trusted root logId")) < 0)
		goto done;
	if (idb.len == 0 || idb.len > sizeof(l->log_id)) {
		rc = dk_error_set(DK_EINVALID, "trusted root: %s logId has %zu bytes", what, idb.len);
		goto done;
	}
	memcpy(l->log_id, idb.data, idb.len);
	l->log_id_len = idb.len;
	l->ed25519 = EVP_PKEY_is_a(l->key, "ED25519") || (details && strcmp(details, "PKIX_ED25519") == 0);
	if ((rc = sg_pubkey_spki(&spki, l->key)) < 0)
		goto done;
	sg_sha256(h, spki.data, spki.len);
	memcpy(l->spki_hint, h, 4);
	if (url) {
		const char *host = strstr(url, "://");
		size_t n;

		host = host ? host + 3 : url;
		n = strcspn(host, "/");
		l->base_url = strdup(url);
		l->host = strndup(host, n);
	}
done:
	sg_buf_free(&der);
	sg_buf_free(&idb);
	sg_buf_free(&spki);
	return rc;
}

static void
ca_clear(sg_ca *ca)
{
	X509_free(ca->anchor);
	sk_X509_pop_free(ca->intermediates, X509_free);
	X509_STORE_free(ca->store);
}

static int
parse_ca(sg_ca *ca, const json_t *j, const char *what)
{
	const json_t *certs = json_object_get(json_object_get(j, "certChain"), "certificates");
	size_t n = json_array_size(certs);
	int rc = 0;

	if (n == 0 || n > SG_MAX_CHAIN)
		return dk_error_set(DK_EINVALID, "trusted root: %s has %zu chain certificates", what, n);
	if ((rc = parse_window(&ca->valid, json_object_get(j, "validFor"), what)) < 0)
		return rc;
	ca->intermediates = sk_X509_new_null();
	if (!ca->intermediates)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *raw = sg_json_str(json_array_get(certs, i), "rawBytes");
		sg_buf der = { 0 };
		const unsigned char *p;
		X509 *x;

		if (!raw)
			return dk_error_set(DK_EINVALID, "trusted root: %s certificate lacks rawBytes", what);
		if ((rc = sg_b64_decode(&der, raw, strlen(raw), "trusted root certificate")) < 0)
			return rc;
		p = der.data;
		x = d2i_X509(NULL, &p, (long)der.len);
		sg_buf_free(&der);
		if (!x)
			return dk_error_set(DK_EINVALID, "trusted root: %s certificate is not DER X.509", what);
		/* certChain lists the intermediates first and the anchor last. */
		if (i + 1 == n)
			ca->anchor = x;
		else
			sk_X509_push(ca->intermediates, x);
	}
	ca->store = X509_STORE_new();
	if (!ca->store || X509_STORE_add_cert(ca->store, ca->anchor) != 1)
		return dk_error_set(DK_ENOMEM, "cannot build the certificate store");
	return 0;
}

void
dk_sigstore_root_free(dk_sigstore_root *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_tlogs; i++)
		log_clear(&r->tlogs[i]);
	for (size_t i = 0; i < r->n_ctlogs; i++)
		log_clear(&r->ctlogs[i]);
	for (size_t i = 0; i < r->n_cas; i++)
		ca_clear(&r->cas[i]);
	for (size_t i = 0; i < r->n_tsas; i++)
		ca_clear(&r->tsas[i]);
	free(r->tlogs);
	free(r->ctlogs);
	free(r->cas);
	free(r->tsas);
	free(r);
}

static int
parse_logs(sg_log **out, size_t *n_out, const json_t *arr, const char *what)
{
	size_t n = json_array_size(arr);
	int rc;

	*n_out = 0;
	if (n == 0)
		return 0;
	if (n > 64)
		return dk_error_set(DK_EINVALID, "trusted root: too many %s", what);
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		(*n_out)++;
		if ((rc = parse_log(&(*out)[i], json_array_get(arr, i), what)) < 0)
			return rc;
	}
	return 0;
}

static int
parse_cas(sg_ca **out, size_t *n_out, const json_t *arr, const char *what)
{
	size_t n = json_array_size(arr);
	int rc;

	*n_out = 0;
	if (n == 0)
		return 0;
	if (n > 64)
		return dk_error_set(DK_EINVALID, "trusted root: too many %s", what);
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		(*n_out)++;
		if ((rc = parse_ca(&(*out)[i], json_array_get(arr, i), what)) < 0)
			return rc;
	}
	return 0;
}

int
dk_sigstore_root_parse(dk_sigstore_root **out, const char *json, size_t len)
{
	dk_sigstore_root *r = NULL;
	json_t *j = NULL;
	const char *mt;
	int rc;

	*out = NULL;
	if ((rc = sg_json_load(&j, json, len, "trusted root")) < 0)
		return rc;
	mt = sg_json_str(j, "mediaType");
	if (!mt || strncmp(mt, "application/vnd.dev.sigstore.trustedroot", 40) != 0) {
		rc = dk_error_set(DK_EINVALID, "trusted root: unknown mediaType \"%.80s\"", mt ? mt : "");
		goto done;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = parse_logs(&r->tlogs, &r->n_tlogs, json_object_get(j, "tlogs"), "tlogs")) < 0 ||
	    (rc = parse_logs(&r->ctlogs, &r->n_ctlogs, json_object_get(j, "ctlogs"), "ctlogs")) < 0 ||
	    (rc = parse_cas(&r->cas, &r->n_cas, json_object_get(j, "certificateAuthorities"),
			"certificateAuthorities")) < 0 ||
	    (rc = parse_cas(&r->tsas, &r->n_tsas, json_object_get(j, "timestampAuthorities"),
			"timestampAuthorities")) < 0)
		goto done;
	*out = r;
	r = NULL;
done:
	dk_sigstore_root_free(r);
	json_decref(j);
	ERR_clear_error();
	return rc;
}

int
dk_sigstore_root_load(dk_sigstore_root **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (!f)
		return dk_error_set(DK_EIO, "trusted root %s: cannot open", path);
	buf = malloc(SG_MAX_INPUT + 1);
	if (!buf) {
		fclose(f);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, SG_MAX_INPUT + 1, f);
	fclose(f);
	if (n > SG_MAX_INPUT)
		rc = dk_error_set(DK_EINVALID, "trusted root %s: too large", path);
	else if ((rc = dk_sigstore_root_parse(out, buf, n)) < 0)
		dk_error_prefix("%s", path);
	free(buf);
	return rc;
}

int
dk_sigstore_root_default(dk_sigstore_root **out)
{
	return dk_sigstore_root_parse(out, (const char *)sg_production_root, sg_production_root_len);
}

const sg_log *
sg_root_tlog(const dk_sigstore_root *r, const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < r->n_tlogs; i++) {
		if (r->tlogs[i].log_id_len == len && memcmp(r->tlogs[i].log_id, id, len) == 0)
			return &r->tlogs[i];
	}
	return NULL;
}

const sg_log *
sg_root_ctlog(const dk_sigstore_root *r, const unsigned char *id, size_t len)
{
	for (size_t i = 0; i < r->n_ctlogs; i++) {
		if (r->ctlogs[i].log_id_len == len && memcmp(r->ctlogs[i].log_id, id, len) == 0)
			return &r->ctlogs[i];
	}
	return NULL;
}
