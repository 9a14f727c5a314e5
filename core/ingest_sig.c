/*
 * The signature side of ingest (DESIGN §4, reference/cosign-verify.md §1): Sigstore
 * bundles attached as referrers, the legacy sha256-<hex>.sig image, the original CI's
 * `.cosign-bundle` / `.attestation-bundle` layers. Registry content is only a hint:
 * every candidate is verified, the first that verifies wins.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/secret.h"
#include "ingest_internal.h"

#define BUNDLE_ARTIFACT_PREFIX "application/vnd.dev.sigstore.bundle"

int
dk_ingest_refuse(char **reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(reason, fmt, ap) < 0)
		*reason = NULL;
	va_end(ap);
	return *reason ? 1 : DK_ENOMEM;
}

/*
 * Network trouble and a full memory are worth another attempt; anything else the
 * registry or the verifier said is a decision about this artifact.
 */
int
dk_ingest_decide(int rc, char **reason, const char *what)
{
	if (rc == DK_EIO || rc == DK_ENOMEM || rc == DK_ESTORE)
		return dk_error_prefix("%s", what);
	return dk_ingest_refuse(reason, "%s: %s", what, dk_error_last()->message);
}

typedef struct {
	unsigned char *buf;
	size_t len, cap;
} mem_sink;

static int
mem_write(void *payload, const unsigned char *data, size_t len)
{
	mem_sink *s = payload;

	if (s->len + len > s->cap)
		return dk_error_set(DK_EVERIFY, "blob larger than its descriptor");
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

int
dk_ingest_small_blob(unsigned char **out, size_t *len, dk_oci_client *c, const char *repo,
		     const dk_oci_descriptor *d)
{
	mem_sink s = { 0 };
	int rc;

	*out = NULL;
	*len = 0;
	if (d->size < 0 || d->size > DK_INGEST_SMALL_MAX)
		return dk_error_set(DK_EVERIFY, "blob %s: size %lld is not that of a signature "
				    "(at most %d bytes)", d->digest, (long long)d->size,
				    DK_INGEST_SMALL_MAX);
	s.cap = (size_t)d->size;
	if (!(s.buf = malloc(s.cap + 1)))
		return dk_error_set(DK_ENOMEM, "blob %s", d->digest);
	if ((rc = dk_oci_blob_get(c, repo, d->digest, d->size, mem_write, &s)) < 0) {
		free(s.buf);
		return rc;
	}
	s.buf[s.len] = '\0';
	*out = s.buf;
	*len = s.len;
	return 0;
}

static const char *
annotation(const dk_oci_descriptor *d, const char *key)
{
	json_t *v = d->annotations ? json_object_get(d->annotations, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Keeps the first refusal: the one sentence the operator reads when nothing verified. */
static void
remember(char **first, const dk_sigstore_result *res)
{
	if (!*first)
		*first = strdup(res && res->reason ? res->reason : dk_error_last()->message);
}

static int
take(dk_artifact *out, dk_sigstore_result *res, const char *source)
{
	out->sig = res;
	out->signature_source = source;
	return 0;
}

/*
 * OCI 1.1 referrers whose artifactType is a Sigstore bundle: each must be an image
 * manifest with exactly one bundle layer, verified against the image digest (a DSSE
 * statement's subject, or a message signature over the manifest). 0 verified, 2 none
 * verified (*first set when one was found), negative: retry.
 */
static int
verify_referrers(dk_artifact *out, char **first, dk_oci_client *c, const char *repo,
		 const dk_sigstore_verifier *v)
{
	dk_oci_manifest *idx = NULL;
	dk_sigstore_artifact art = { .digest = out->digest };
	int rc;

	if ((rc = dk_oci_referrers(&idx, c, repo, out->digest, NULL)) < 0) {
		if (rc == DK_EIO || rc == DK_ENOMEM)
			return dk_error_prefix("signature referrers");
		/* A registry that cannot list referrers has none to offer: try the others. */
		dk_log_debug("msg=\"no referrers\" repo=%s error=\"%s\"", repo, dk_error_last()->message);
		return 2;
	}
	rc = 2;
	for (size_t i = 0; i < idx->n_layers && rc == 2; i++) {
		const dk_oci_descriptor *e = &idx->layers[i];
		dk_oci_manifest *rm = NULL;
		dk_sigstore_result *res = NULL;
		const dk_oci_descriptor *bl = NULL;
		unsigned char *bundle = NULL;
		size_t len = 0;
		int vrc;

		if (!e->artifact_type ||
		    strncmp(e->artifact_type, BUNDLE_ARTIFACT_PREFIX, strlen(BUNDLE_ARTIFACT_PREFIX)) != 0)
			continue;
		if ((vrc = dk_oci_manifest_get(&rm, c, repo, e->digest)) < 0) {
			if (vrc == DK_EIO || vrc == DK_ENOMEM) {
				rc = dk_error_prefix("signature referrer");
				break;
			}
			remember(first, NULL);
			continue;
		}
		for (size_t j = 0; j < rm->n_layers; j++) {
			const dk_oci_descriptor *d = &rm->layers[j];

			if (d->media_type && strncmp(d->media_type, BUNDLE_ARTIFACT_PREFIX,
						     strlen(BUNDLE_ARTIFACT_PREFIX)) == 0) {
				bl = bl ? NULL : d;
				if (!bl)
					break;  /* more than one: not the shape cosign writes */
			}
		}
		if (!bl) {
			if (!*first)
				*first = strdup("a bundle referrer without exactly one bundle layer");
		} else if ((vrc = dk_ingest_small_blob(&bundle, &len, c, repo, bl)) < 0) {
			if (vrc == DK_EIO || vrc == DK_ENOMEM)
				rc = dk_error_prefix("signature referrer bundle");
			else
				remember(first, NULL);
		} else if (dk_sigstore_verify_bundle(&res, v, (char *)bundle, len, &art) == 0 &&
			   res && res->verified) {
			rc = take(out, res, "referrer");
			res = NULL;
		} else {
			remember(first, res);
		}
		dk_sigstore_result_free(res);
		free(bundle);
		dk_oci_manifest_free(rm);
	}
	dk_oci_manifest_free(idx);
	return rc;
}

/* The legacy cosign signature image at sha256-<hex>.sig: any verified layer wins. Same
 * returns as verify_referrers; *missing is set when there is no such tag. */
static int
verify_legacy(dk_artifact *out, char **first, bool *missing, dk_oci_client *c, const char *repo,
	      const dk_sigstore_verifier *v)
{
	dk_oci_manifest *sm = NULL;
	char tag[80];
	int rc;

	if ((rc = dk_oci_digest_tag(tag, out->digest)) < 0)
		return rc;
	strcat(tag, ".sig");
	if ((rc = dk_oci_manifest_get(&sm, c, repo, tag)) < 0) {
		if (rc == DK_ENOTFOUND) {
			*missing = true;
			return 2;
		}
		if (rc == DK_EIO || rc == DK_ENOMEM)
			return dk_error_prefix("cosign signature");
		remember(first, NULL);
		return 2;
	}
	rc = 2;
	if (sm->n_layers == 0 && !*first)
		*first = strdup("the signature image has no signature layers");
	for (size_t i = 0; i < sm->n_layers && rc == 2; i++) {
		const dk_oci_descriptor *d = &sm->layers[i];
		dk_sigstore_legacy sig = { 0 };
		dk_sigstore_result *res = NULL;
		unsigned char *payload = NULL;
		size_t len = 0;
		int vrc;

		if ((vrc = dk_ingest_small_blob(&payload, &len, c, repo, d)) < 0) {
			if (vrc == DK_EIO || vrc == DK_ENOMEM) {
				rc = dk_error_prefix("cosign signature payload");
				break;
			}
			remember(first, NULL);
			continue;
		}
		sig.payload = payload;
		sig.payload_len = len;
		sig.layer_digest = d->digest;
		sig.signature = annotation(d, "dev.cosignproject.cosign/signature");
		sig.certificate = annotation(d, "dev.sigstore.cosign/certificate");
		sig.chain = annotation(d, "dev.sigstore.cosign/chain");
		sig.rekor_bundle = annotation(d, "dev.sigstore.cosign/bundle");
		sig.rfc3161_timestamp = annotation(d, "dev.sigstore.cosign/rfc3161timestamp");
		if (dk_sigstore_verify_legacy(&res, v, &sig, out->digest) == 0 && res && res->verified) {
			rc = take(out, res, "legacy");
			res = NULL;
		} else {
			remember(first, res);
		}
		dk_sigstore_result_free(res);
		free(payload);
	}
	dk_oci_manifest_free(sm);
	return rc;
}

/* A blob bundle layer over the .img digest: 0 with *res verified, 1 refused, <0 retry. */
static int
verify_blob_bundle(dk_sigstore_result **res, char **reason, const char *what, dk_oci_client *c,
		   const char *repo, const dk_sigstore_verifier *v, const dk_oci_descriptor *layer,
		   const char *img_digest, char **bundle_out)
{
	dk_sigstore_artifact art = { .digest = img_digest };
	unsigned char *bundle = NULL;
	size_t len = 0;
	int rc;

	*res = NULL;
	if ((rc = dk_ingest_small_blob(&bundle, &len, c, repo, layer)) < 0)
		return dk_ingest_decide(rc, reason, what);
	if (dk_sigstore_verify_bundle(res, v, (char *)bundle, len, &art) == 0 && *res &&
	    (*res)->verified) {
		if (bundle_out)
			*bundle_out = (char *)bundle;
		else
			free(bundle);
		return 0;
	}
	rc = dk_ingest_refuse(reason, "%s: %s", what,
			      *res && (*res)->reason ? (*res)->reason : dk_error_last()->message);
	dk_sigstore_result_free(*res);
	*res = NULL;
	free(bundle);
	return rc;
}

/* The in-toto statement's predicate of a verified DSSE bundle (NULL when there is none). */
static json_t *
predicate_of(const char *bundle)
{
	json_t *b = json_loads(bundle, 0, NULL), *stmt = NULL, *pred = NULL;
	const char *payload = json_string_value(json_object_get(json_object_get(b, "dsseEnvelope"),
								"payload"));
	unsigned char *raw = NULL;
	size_t len = 0;

	if (payload && dk_base64_decode(&raw, &len, payload) == 0)
		stmt = json_loadb((const char *)raw, len, 0, NULL);
	pred = json_object_get(stmt, "predicate");
	if (pred)
		json_incref(pred);
	json_decref(stmt);
	json_decref(b);
	free(raw);
	return pred;
}

int
dk_ingest_signatures(dk_artifact *out, char **reason, dk_oci_client *c, const char *repo,
		     const dk_sigstore_verifier *v, const dk_oci_descriptor *blob_bundle,
		     const dk_oci_descriptor *attestation)
{
	dk_sigstore_result *res = NULL;
	char *first = NULL, *bundle = NULL, tag[80];
	bool missing = false;
	int rc;

	if ((rc = verify_referrers(out, &first, c, repo, v)) == 2)
		rc = verify_legacy(out, &first, &missing, c, repo, v);
	if (rc == 2 && blob_bundle) {
		/* The original CI's contract: a blob signature over the .img bytes. */
		free(first);
		first = NULL;
		rc = verify_blob_bundle(&res, reason, "cosign verify-blob failed", c, repo, v,
					blob_bundle, out->files[0].digest, NULL);
		if (rc == 0)
			take(out, res, "blob-bundle");
		goto done;
	}
	if (rc == 2) {
		if (dk_oci_digest_tag(tag, out->digest) < 0)
			strcpy(tag, "sha256-?");
		if (first)
			rc = dk_ingest_refuse(reason, "cosign verify failed: %s", first);
		else if (strcmp(out->layout, "img") == 0)
			rc = dk_ingest_refuse(reason, "cosign verify-blob failed: missing .cosign-bundle "
					      "layer (and no signature at %s:%s.sig nor a Sigstore "
					      "bundle referrer)", repo, tag);
		else
			rc = dk_ingest_refuse(reason, "cosign verify failed: no signature found at "
					      "%s:%s.sig (nor a Sigstore bundle referrer)", repo, tag);
	}
done:
	free(first);
	if (rc != 0 || !attestation)
		return rc;
	/* Optional, but when present it is the CI's statement about this very .img. */
	rc = verify_blob_bundle(&res, reason, "cosign verify-attestation failed", c, repo, v,
				attestation, out->files[0].digest, &bundle);
	if (rc != 0)
		return rc;
	dk_sigstore_result_free(res);
	out->attestation_predicate = predicate_of(bundle);
	free(bundle);
	return 0;
}
