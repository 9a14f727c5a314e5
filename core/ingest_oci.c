/*
 * The registry side of ingest, `diskops verify` and `diskops pull` (one code path):
 * trust policy, manifest (hashed here), artifact layers, signatures (core/ingest_sig.c),
 * then every artifact file streamed once with its digest and size checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "ingest_internal.h"

#define MEDIA_COSIGN_BUNDLE "application/vnd.dev.cosign.bundle.v1+json"
#define MEDIA_ATTESTATION   "application/vnd.dev.cosign.attestation.v1+json"

void
dk_artifact_clear(dk_artifact *a)
{
	free(a->digest);
	free(a->artifact_sha256);
	dk_sigstore_result_free(a->sig);
	for (size_t i = 0; i < a->n_files; i++) {
		free(a->files[i].title);
		free(a->files[i].media_type);
		free(a->files[i].digest);
	}
	json_decref(a->attestation_predicate);
	memset(a, 0, sizeof(*a));
}

void
dk_ingest_result_clear(dk_ingest_result *r)
{
	dk_artifact_clear(r);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static bool
title_starts(const dk_oci_descriptor *d, const char *a, const char *b)
{
	return d->title && (strncmp(d->title, a, strlen(a)) == 0 || strncmp(d->title, b, strlen(b)) == 0);
}

/* Media types name the part ("application/vnd.acct.disk-image.kernel.v1"). */
static bool
media_names(const dk_oci_descriptor *d, const char *a, const char *b)
{
	return d->media_type && (strstr(d->media_type, a) || (b && strstr(d->media_type, b)));
}

typedef struct {
	const dk_oci_descriptor *files[3];
	size_t n;
	const dk_oci_descriptor *bundle, *attestation;
} layer_plan;

/* The artifact layers: one .img (+ its bundles), else kernel + initramfs + rootfs. */
static int
find_layers(layer_plan *lp, dk_artifact *out, const dk_oci_manifest *m, char **reason)
{
	const dk_oci_descriptor *img = NULL, *k = NULL, *i = NULL, *r = NULL;

	for (size_t j = 0; j < m->n_layers; j++) {
		const dk_oci_descriptor *d = &m->layers[j];

		if (has_suffix(d->title, ".cosign-bundle") ||
		    (d->media_type && strcmp(d->media_type, MEDIA_COSIGN_BUNDLE) == 0)) {
			if (!lp->bundle)
				lp->bundle = d;
		} else if (has_suffix(d->title, ".attestation-bundle") ||
			   (d->media_type && strcmp(d->media_type, MEDIA_ATTESTATION) == 0)) {
			if (!lp->attestation)
				lp->attestation = d;
		} else if (has_suffix(d->title, ".img")) {
			if (!img)
				img = d;
		} else if (!k && (title_starts(d, "kernel", "vmlinuz") ||
				  (!d->title && media_names(d, ".kernel", NULL)))) {
			k = d;
		} else if (!i && (title_starts(d, "initramfs", "initrd") ||
				  (!d->title && media_names(d, ".initramfs", ".initrd")))) {
			i = d;
		} else if (!r && (title_starts(d, "rootfs", "composefs") ||
				  (!d->title && media_names(d, ".rootfs", ".composefs")))) {
			r = d;
		}
	}
	if (img) {
		lp->files[0] = img;
		lp->n = 1;
		out->layout = "img";
	} else if (k && i && r) {
		lp->files[0] = k;
		lp->files[1] = i;
		lp->files[2] = r;
		lp->n = 3;
		out->layout = "boot-set";
		/* Blob bundles sign a .img; beside a boot set they are not this artifact's. */
		lp->bundle = lp->attestation = NULL;
	} else {
		return dk_ingest_refuse(reason, "no .img layer in OCI artifact (nor kernel + initramfs "
					"+ rootfs layers by org.opencontainers.image.title or media type)");
	}
	for (size_t j = 0; j < lp->n; j++) {
		dk_artifact_file *f = &out->files[j];

		f->size = lp->files[j]->size;
		if (!(f->digest = strdup(lp->files[j]->digest)) ||
		    (lp->files[j]->title && !(f->title = strdup(lp->files[j]->title))) ||
		    (lp->files[j]->media_type && !(f->media_type = strdup(lp->files[j]->media_type)))) {
			out->n_files = j + 1;
			return dk_error_set(DK_ENOMEM, "artifact layers");
		}
		out->n_files = j + 1;
	}
	/* A title pull could not write as a file is refused here already, not at pull. */
	for (size_t j = 0; j < out->n_files; j++) {
		char why[256];

		if (!dk_artifact_file_name(&out->files[j], j, why))
			return dk_ingest_refuse(reason, "%s", why);
	}
	return 0;
}

const char *
dk_artifact_file_name(const dk_artifact_file *f, size_t index, char why[256])
{
	static const char *const untitled[] = { "kernel", "initramfs", "rootfs" };
	const char *name = f->title ? f->title : untitled[index % 3];

	/* Checked first: such a title is not repeated in the message (nor in logs). */
	for (const char *s = name; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(why, 256, "layer title has a control character");
			return NULL;
		}
	}
	if (!*name || name[0] == '.' || strchr(name, '/') || strlen(name) > 200 ||
	    strcmp(name, DK_ARTIFACT_SUMS) == 0) {
		snprintf(why, 256, "layer title \"%.200s\" is not a plain file name", name);
		return NULL;
	}
	return name;
}

static bool
has_trust_policy(const dk_platform *plat)
{
	return (plat->trusted_keys && *plat->trusted_keys) ||
	       (plat->cosign_identity_regexp && *plat->cosign_identity_regexp &&
		plat->cosign_issuer_regexp && *plat->cosign_issuer_regexp);
}

static int
make_verifier(dk_sigstore_verifier **v, dk_sigstore_root **root, const dk_platform *plat,
	      char **reason)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	int rc;

	/* Fail closed: without a policy any signature would do, which is none at all. */
	if (!has_trust_policy(plat))
		return dk_ingest_refuse(reason, "platform '%s' has no cosign trust policy configured "
					"(set cosign_identity_regexp + cosign_issuer_regexp, or "
					"trusted_keys)", plat->name);
	if (plat->trusted_root && *plat->trusted_root &&
	    (rc = dk_sigstore_root_load(root, plat->trusted_root)) < 0)
		return dk_ingest_refuse(reason, "trusted root %s: %s", plat->trusted_root,
					dk_error_last()->message);
	o.root = *root;
	if (plat->trusted_keys && *plat->trusted_keys)
		o.trusted_keys = plat->trusted_keys;
	else {
		o.identity_regexp = plat->cosign_identity_regexp;
		o.issuer_regexp = plat->cosign_issuer_regexp;
	}
	if (plat->tlog_policy && dk_sigstore_tlog_parse(&o.tlog, plat->tlog_policy) < 0)
		return dk_ingest_refuse(reason, "%s", dk_error_last()->message);
	if ((rc = dk_sigstore_verifier_new(v, &o)) < 0)
		return dk_ingest_refuse(reason, "platform '%s' trust policy unusable: %s", plat->name,
					dk_error_last()->message);
	return 0;
}

typedef struct {
	int64_t seen;
	dk_oci_sink_fn next;
	void *next_payload;
} count_sink;

static int
count(void *payload, const unsigned char *data, size_t len)
{
	count_sink *s = payload;

	s->seen += (int64_t)len;
	return s->next ? s->next(s->next_payload, data, len) : 0;
}

/* The webhook's (or the row's) sha256/size, when given, must match what was downloaded. */
static int
check_expected(const dk_artifact *out, const dk_artifact_expect *e, char **reason)
{
	if (e->sha256 && *e->sha256 && strcmp(e->sha256, out->artifact_sha256) != 0)
		return dk_ingest_refuse(reason, "sha256 mismatch: expected=%.16s… actual=%.16s…",
					e->sha256, out->artifact_sha256);
	if (e->size >= 0 && e->size != out->size)
		return dk_ingest_refuse(reason, "size mismatch: expected=%lld actual=%lld",
					(long long)e->size, (long long)out->size);
	return 0;
}

int
dk_ingest_check(dk_artifact *out, char **reason, const dk_platform *plat, const char *oci_ref,
		const dk_artifact_expect *expect, const dk_config *cfg, const dk_ingest_keep *keep)
{
	static const dk_artifact_expect none = DK_ARTIFACT_EXPECT_NONE;
	dk_oci_options opts = DK_OCI_OPTIONS_INIT;
	dk_oci_ref *ref = NULL;
	dk_oci_client *c = NULL;
	dk_oci_manifest *m = NULL;
	dk_sigstore_root *root = NULL;
	dk_sigstore_verifier *v = NULL;
	layer_plan lp = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	*reason = NULL;
	if (!expect)
		expect = &none;
	if ((rc = make_verifier(&v, &root, plat, reason)) != 0)
		goto done;
	if (!oci_ref || !*oci_ref) {
		rc = dk_ingest_refuse(reason, "oci_ref required");
		goto done;
	}
	if ((rc = dk_oci_ref_parse(&ref, oci_ref)) < 0) {
		rc = dk_ingest_decide(rc, reason, "oci_ref");
		goto done;
	}
	dk_oci_options_from_config(&opts, cfg, ref->registry);
	opts.arch = expect->arch ? expect->arch : plat->arch;
	if ((rc = dk_oci_client_new(&c, ref->registry, &opts)) < 0) {
		rc = dk_ingest_decide(rc, reason, "registry client");
		goto done;
	}
	/* The client hashes the manifest bytes itself: the digest is ours, not the registry's. */
	if ((rc = dk_oci_resolve(&m, c, ref->repository, dk_oci_ref_reference(ref), opts.arch)) < 0) {
		rc = dk_ingest_decide(rc, reason, "oras pull failed");
		goto done;
	}
	if (!(out->digest = strdup(m->digest))) {
		rc = DK_ENOMEM;
		goto done;
	}
	if (expect->digest && strcmp(expect->digest, m->digest) != 0) {
		rc = dk_ingest_refuse(reason, "manifest digest mismatch: expected=%s actual=%s",
				      expect->digest, m->digest);
		goto done;
	}
	if ((rc = find_layers(&lp, out, m, reason)) != 0)
		goto done;
	if ((rc = dk_ingest_signatures(out, reason, c, ref->repository, v, lp.bundle,
				       lp.attestation)) != 0)
		goto done;
	for (size_t i = 0; i < out->n_files; i++) {
		count_sink s = { 0 };

		if (keep && (rc = keep->open(keep->payload, &out->files[i], &s.next,
					     &s.next_payload)) < 0)
			goto done;
		/* Streamed and checked against the descriptor by the client. */
		if ((rc = dk_oci_blob_get(c, ref->repository, out->files[i].digest, out->files[i].size,
					  count, &s)) < 0) {
			rc = dk_ingest_decide(rc, reason, "oras pull failed");
			goto done;
		}
		out->size += s.seen;
	}
	/* A raw image is identified by its own bytes; a boot set has no single file, so
	 * its artifact_sha256 is the manifest digest, which pins all three layers. */
	out->artifact_sha256 = strdup((out->n_files == 1 ? out->files[0].digest : m->digest) + 7);
	if (!out->artifact_sha256) {
		rc = DK_ENOMEM;
		goto done;
	}
	rc = check_expected(out, expect, reason);
done:
	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	dk_oci_ref_free(ref);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	if (rc != 0)
		dk_artifact_clear(out);
	return rc;
}

int
dk_artifact_verify(dk_artifact *out, char **reason, const dk_platform *plat, const char *oci_ref,
		   const dk_artifact_expect *expect, const dk_config *cfg)
{
	return dk_ingest_check(out, reason, plat, oci_ref, expect, cfg, NULL);
}

int
dk_ingest_fetch(dk_ingest_result *out, char **reason, const dk_platform *plat,
		const dk_publication *p, const dk_config *cfg)
{
	dk_artifact_expect e = DK_ARTIFACT_EXPECT_NONE;
	json_t *body = p->payload ? json_loads(p->payload, 0, NULL) : NULL;
	json_t *size = json_object_get(body, "size_bytes");
	int rc;

	e.sha256 = json_string_value(json_object_get(body, "sha256"));
	e.arch = p->arch;
	if (json_is_integer(size))
		e.size = json_integer_value(size);
	rc = dk_ingest_check(out, reason, plat, p->oci_ref, &e, cfg, NULL);
	json_decref(body);
	return rc;
}
