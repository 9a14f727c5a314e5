#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "ingest_internal.h"

/* Signature payloads are small simplesigning JSON: anything bigger is not one. */
#define SIG_PAYLOAD_MAX (1024 * 1024)

void
dk_ingest_result_clear(dk_ingest_result *r)
{
	free(r->digest);
	free(r->artifact_sha256);
	dk_sigstore_result_free(r->sig);
	memset(r, 0, sizeof(*r));
}

static int
refuse(char **reason, const char *fmt, ...)
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
static int
decide(int rc, char **reason, const char *what)
{
	if (rc == DK_EIO || rc == DK_ENOMEM || rc == DK_ESTORE)
		return dk_error_prefix("%s", what);
	return refuse(reason, "%s: %s", what, dk_error_last()->message);
}

static bool
title_starts(const dk_oci_descriptor *d, const char *a, const char *b)
{
	return d->title && (strncmp(d->title, a, strlen(a)) == 0 || strncmp(d->title, b, strlen(b)) == 0);
}

static bool
title_is_img(const dk_oci_descriptor *d)
{
	size_t n = d->title ? strlen(d->title) : 0;

	return n > 4 && strcmp(d->title + n - 4, ".img") == 0;
}

/* The artifact layers: one .img, else kernel + initramfs + rootfs (composefs). 0 or 1. */
static int
find_layers(const dk_oci_descriptor *out[3], size_t *n, const dk_oci_manifest *m, char **reason)
{
	const dk_oci_descriptor *k = NULL, *i = NULL, *r = NULL;

	for (size_t j = 0; j < m->n_layers; j++) {
		const dk_oci_descriptor *d = &m->layers[j];

		if (title_is_img(d)) {
			out[0] = d;
			*n = 1;
			return 0;
		}
		if (!k && title_starts(d, "kernel", "vmlinuz"))
			k = d;
		else if (!i && title_starts(d, "initramfs", "initrd"))
			i = d;
		else if (!r && title_starts(d, "rootfs", "composefs"))
			r = d;
	}
	if (!k || !i || !r)
		return refuse(reason, "no .img layer in OCI artifact (nor kernel + initramfs + rootfs "
			      "layers by org.opencontainers.image.title)");
	out[0] = k;
	out[1] = i;
	out[2] = r;
	*n = 3;
	return 0;
}

typedef struct {
	unsigned char *buf;
	size_t len;
	int64_t seen;
} sink_state;

/* Keeps the bytes only when buf is set (signature payloads); counts them always. */
static int
sink(void *payload, const unsigned char *data, size_t len)
{
	sink_state *s = payload;

	if (s->buf) {
		if (s->len + len > SIG_PAYLOAD_MAX)
			return dk_error_set(DK_EVERIFY, "signature payload larger than %d bytes",
					    SIG_PAYLOAD_MAX);
		memcpy(s->buf + s->len, data, len);
		s->len += len;
	}
	s->seen += (int64_t)len;
	return 0;
}

static const char *
annotation(const dk_oci_descriptor *d, const char *key)
{
	json_t *v = d->annotations ? json_object_get(d->annotations, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
make_verifier(dk_sigstore_verifier **v, dk_sigstore_root **root, const dk_platform *plat,
	      char **reason)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	int rc;

	if (plat->trusted_root && *plat->trusted_root &&
	    (rc = dk_sigstore_root_load(root, plat->trusted_root)) < 0)
		return refuse(reason, "trusted root %s: %s", plat->trusted_root,
			      dk_error_last()->message);
	o.root = *root;
	if (plat->trusted_keys && *plat->trusted_keys)
		o.trusted_keys = plat->trusted_keys;
	else {
		o.identity_regexp = plat->cosign_identity_regexp;
		o.issuer_regexp = plat->cosign_issuer_regexp;
	}
	if (plat->tlog_policy && dk_sigstore_tlog_parse(&o.tlog, plat->tlog_policy) < 0)
		return refuse(reason, "%s", dk_error_last()->message);
	if ((rc = dk_sigstore_verifier_new(v, &o)) < 0)
		return refuse(reason, "platform '%s' trust policy unusable: %s", plat->name,
			      dk_error_last()->message);
	return 0;
}

/* The legacy cosign signature image at sha256-<hex>.sig: any verified layer wins. */
static int
verify_legacy(dk_ingest_result *out, char **reason, dk_oci_client *c, const char *repo,
	      const dk_sigstore_verifier *v)
{
	dk_oci_manifest *sm = NULL;
	char tag[80];
	char *first = NULL;
	int rc;

	if ((rc = dk_oci_digest_tag(tag, out->digest)) < 0)
		return decide(rc, reason, "signature tag");
	strcat(tag, ".sig");
	if ((rc = dk_oci_manifest_get(&sm, c, repo, tag)) < 0) {
		if (rc == DK_ENOTFOUND)
			return refuse(reason, "cosign verify failed: no signature found at %s:%s",
				      repo, tag);
		return decide(rc, reason, "cosign signature");
	}
	rc = 1;
	for (size_t i = 0; i < sm->n_layers && !out->sig; i++) {
		const dk_oci_descriptor *d = &sm->layers[i];
		dk_sigstore_legacy sig = { 0 };
		dk_sigstore_result *res = NULL;
		sink_state s = { 0 };
		int vrc;

		if (d->size < 0 || d->size > SIG_PAYLOAD_MAX)
			continue;
		if (!(s.buf = malloc((size_t)d->size + 1))) {
			rc = DK_ENOMEM;
			break;
		}
		if ((vrc = dk_oci_blob_get(c, repo, d->digest, d->size, sink, &s)) < 0) {
			free(s.buf);
			if (vrc == DK_EIO || vrc == DK_ENOMEM) {
				rc = decide(vrc, reason, "cosign signature payload");
				break;
			}
			if (!first)
				first = strdup(dk_error_last()->message);
			continue;
		}
		sig.payload = s.buf;
		sig.payload_len = s.len;
		sig.layer_digest = d->digest;
		sig.signature = annotation(d, "dev.cosignproject.cosign/signature");
		sig.certificate = annotation(d, "dev.sigstore.cosign/certificate");
		sig.chain = annotation(d, "dev.sigstore.cosign/chain");
		sig.rekor_bundle = annotation(d, "dev.sigstore.cosign/bundle");
		sig.rfc3161_timestamp = annotation(d, "dev.sigstore.cosign/rfc3161timestamp");
		vrc = dk_sigstore_verify_legacy(&res, v, &sig, out->digest);
		free(s.buf);
		if (vrc == 0 && res && res->verified) {
			out->sig = res;
			rc = 0;
			break;
		}
		if (!first)
			first = strdup(res && res->reason ? res->reason : dk_error_last()->message);
		dk_sigstore_result_free(res);
	}
	if (rc == 1)
		rc = refuse(reason, "cosign verify failed: %s",
			    first ? first : "the signature image has no signature layers");
	free(first);
	dk_oci_manifest_free(sm);
	return rc;
}

/* The webhook's sha256/size_bytes, when it sent them, must match what was downloaded. */
static int
check_expected(const dk_ingest_result *out, const dk_publication *p, char **reason)
{
	json_t *body = p->payload ? json_loads(p->payload, 0, NULL) : NULL;
	const char *want = json_string_value(json_object_get(body, "sha256"));
	json_t *size = json_object_get(body, "size_bytes");
	int rc = 0;

	if (want && strcmp(want, out->artifact_sha256) != 0)
		rc = refuse(reason, "sha256 mismatch: expected=%.16s… actual=%.16s…", want,
			    out->artifact_sha256);
	else if (json_is_integer(size) && json_integer_value(size) != out->size)
		rc = refuse(reason, "size mismatch: expected=%lld actual=%lld",
			    (long long)json_integer_value(size), (long long)out->size);
	json_decref(body);
	return rc;
}

int
dk_ingest_fetch(dk_ingest_result *out, char **reason, const dk_platform *plat,
		const dk_publication *p, const dk_config *cfg)
{
	dk_oci_options opts = DK_OCI_OPTIONS_INIT;
	dk_oci_ref *ref = NULL;
	dk_oci_client *c = NULL;
	dk_oci_manifest *m = NULL;
	dk_sigstore_root *root = NULL;
	dk_sigstore_verifier *v = NULL;
	const dk_oci_descriptor *layers[3];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	*reason = NULL;
	if ((rc = make_verifier(&v, &root, plat, reason)) != 0)
		goto done;
	if (!p->oci_ref || !*p->oci_ref) {
		rc = refuse(reason, "publication has no oci_ref");
		goto done;
	}
	if ((rc = dk_oci_ref_parse(&ref, p->oci_ref)) < 0) {
		rc = decide(rc, reason, "oci_ref");
		goto done;
	}
	dk_oci_options_from_config(&opts, cfg, ref->registry);
	opts.arch = p->arch;
	if ((rc = dk_oci_client_new(&c, ref->registry, &opts)) < 0) {
		rc = decide(rc, reason, "registry client");
		goto done;
	}
	/* The client hashes the manifest bytes itself: the digest is ours, not the registry's. */
	if ((rc = dk_oci_resolve(&m, c, ref->repository, dk_oci_ref_reference(ref), p->arch)) < 0) {
		rc = decide(rc, reason, "oras pull failed");
		goto done;
	}
	if (!(out->digest = strdup(m->digest))) {
		rc = DK_ENOMEM;
		goto done;
	}
	if ((rc = find_layers(layers, &n, m, reason)) != 0)
		goto done;
	if ((rc = verify_legacy(out, reason, c, ref->repository, v)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		sink_state s = { 0 };

		/* Streamed and checked against the descriptor by the client; kept nowhere. */
		if ((rc = dk_oci_blob_get(c, ref->repository, layers[i]->digest, layers[i]->size,
					  sink, &s)) < 0) {
			rc = decide(rc, reason, "oras pull failed");
			goto done;
		}
		out->size += s.seen;
	}
	/* A raw image is identified by its own bytes; a boot set has no single file, so
	 * its artifact_sha256 is the manifest digest, which pins all three layers. */
	out->artifact_sha256 = strdup((n == 1 ? layers[0]->digest : m->digest) + 7);
	if (!out->artifact_sha256) {
		rc = DK_ENOMEM;
		goto done;
	}
	rc = check_expected(out, p, reason);
done:
	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	dk_oci_ref_free(ref);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	if (rc != 0)
		dk_ingest_result_clear(out);
	return rc;
}
