/*
 * The verification pipeline shared by bundles and legacy layers
 * (cosign-verify.md §2: signature, binding, tlog, timestamps, chain, SCT, identity).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "diskops/clock.h"
#include "sigstore_int.h"

int sg_dsse_pae(sg_buf *out, const char *type, const sg_buf *payload);

int
sg_fail(sg_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return dk_error_set(code, "%s", c->reason);
}

int
dk_sigstore_tlog_parse(dk_sigstore_tlog *out, const char *name)
{
	if (name && strcmp(name, "required") == 0)
		*out = DK_SIGSTORE_TLOG_REQUIRED;
	else if (name && strcmp(name, "optional") == 0)
		*out = DK_SIGSTORE_TLOG_OPTIONAL;
	else if (name && strcmp(name, "ignore") == 0)
		*out = DK_SIGSTORE_TLOG_IGNORE;
	else
		return dk_error_set(DK_EINVALID, "tlog policy \"%s\" is not one of required, optional, ignore",
			name ? name : "");
	return 0;
}

const char *
dk_sigstore_tlog_name(dk_sigstore_tlog tlog)
{
	switch (tlog) {
	case DK_SIGSTORE_TLOG_REQUIRED: return "required";
	case DK_SIGSTORE_TLOG_OPTIONAL: return "optional";
	case DK_SIGSTORE_TLOG_IGNORE: return "ignore";
	}
	return "required";
}

const char *
dk_sigstore_kind_name(dk_sigstore_kind kind)
{
	switch (kind) {
	case DK_SIGSTORE_KIND_KEYLESS: return "keyless";
	case DK_SIGSTORE_KIND_KEY: return "key";
	default: return "none";
	}
}

void
dk_sigstore_result_free(dk_sigstore_result *r)
{
	if (!r)
		return;
	free(r->identity);
	free(r->issuer);
	free(r->key_id);
	free(r->reason);
	free(r);
}

void
dk_sigstore_verifier_free(dk_sigstore_verifier *v)
{
	if (!v)
		return;
	dk_sigstore_root_free(v->owned_root);
	for (size_t i = 0; i < v->n_keys; i++) {
		EVP_PKEY_free(v->keys[i]);
		sg_buf_free(&v->key_spki[i]);
	}
	free(v->keys);
	free(v->key_spki);
	free(v->identity);
	free(v->issuer);
	free(v->identity_re_src);
	free(v->issuer_re_src);
	sg_regex_free(v->identity_re);
	sg_regex_free(v->issuer_re);
	free(v);
}

static int
check_key(EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "ED25519"))
		return 0;
	if (EVP_PKEY_is_a(k, "RSA"))
		return EVP_PKEY_get_bits(k) >= 2048 ? 0 :
			dk_error_set(DK_EINVALID, "trusted key: RSA key of %d bits (minimum 2048)", EVP_PKEY_get_bits(k));
	if (EVP_PKEY_is_a(k, "EC")) {
		char curve[32] = "";

		EVP_PKEY_get_group_name(k, curve, sizeof(curve), NULL);
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "secp384r1") == 0)
			return 0;
		return dk_error_set(DK_EINVALID, "trusted key: EC curve %s is not P-256 or P-384", curve);
	}
	return dk_error_set(DK_EINVALID, "trusted key: unsupported key type");
}

static int
load_keys(dk_sigstore_verifier *v, const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;
	int rc = 0;

	if (!b)
		return dk_error_set(DK_ENOMEM, "out of memory");
	while ((k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) != NULL) {
		EVP_PKEY **keys;
		sg_buf *spki;

		if ((rc = check_key(k)) < 0 || v->n_keys >= 64) {
			EVP_PKEY_free(k);
			if (rc == 0)
				rc = dk_error_set(DK_EINVALID, "trusted keys: more than 64");
			goto done;
		}
		keys = realloc(v->keys, (v->n_keys + 1) * sizeof(*keys));
		if (keys)
			v->keys = keys;
		spki = realloc(v->key_spki, (v->n_keys + 1) * sizeof(*spki));
		if (spki)
			v->key_spki = spki;
		if (!keys || !spki || sg_pubkey_spki(&v->key_spki[v->n_keys], k) < 0) {
			EVP_PKEY_free(k);
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		v->keys[v->n_keys++] = k;
	}
	if (v->n_keys == 0)
		rc = dk_error_set(DK_EINVALID, "trusted keys: no PEM PUBLIC KEY found");
done:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	return 0;
}

int
dk_sigstore_verifier_new(dk_sigstore_verifier **out, const dk_sigstore_options *o)
{
	dk_sigstore_verifier *v;
	int rc = 0;

	*out = NULL;
	if (!o || o->version != DK_SIGSTORE_OPTIONS_VERSION)
		return dk_error_set(DK_EUSAGE, "sigstore options: wrong version");
	v = calloc(1, sizeof(*v));
	if (!v)
		return dk_error_set(DK_ENOMEM, "out of memory");
	v->tlog = o->tlog;
	v->ignore_sct = o->ignore_sct;
	if (o->root) {
		v->root = o->root;
	} else {
		if ((rc = dk_sigstore_root_default(&v->owned_root)) < 0)
			goto done;
		v->root = v->owned_root;
	}
	if (o->trusted_keys && (rc = load_keys(v, o->trusted_keys)) < 0)
		goto done;
	if ((rc = dup_opt(&v->identity, o->identity)) < 0 || (rc = dup_opt(&v->issuer, o->issuer)) < 0 ||
	    (rc = dup_opt(&v->identity_re_src, o->identity_regexp)) < 0 ||
	    (rc = dup_opt(&v->issuer_re_src, o->issuer_regexp)) < 0)
		goto done;
	if (!v->identity && o->identity_regexp &&
	    (rc = sg_regex_compile(&v->identity_re, o->identity_regexp, "identity")) < 0)
		goto done;
	if (!v->issuer && o->issuer_regexp &&
	    (rc = sg_regex_compile(&v->issuer_re, o->issuer_regexp, "issuer")) < 0)
		goto done;
	*out = v;
	v = NULL;
done:
	dk_sigstore_verifier_free(v);
	return rc;
}

static int
key_id(char **out, const sg_buf *spki)
{
	unsigned char h[32];

	*out = malloc(65);
	if (!*out)
		return -1;
	sg_sha256(h, spki->data, spki->len);
	sg_hex(*out, h, 32);
	return 0;
}

/* Artifact hash: what a message signature, a hashedrekord and a DSSE subject bind. */
static int
artifact_hash(sg_ctx *c, const dk_sigstore_artifact *a)
{
	char got[65], want[65];

	if (c->m->content == SG_CONTENT_PAYLOAD) {
		sg_sha256(c->artifact_hash, c->m->payload.data, c->m->payload.len);
		c->have_artifact_hash = 1;
		return 0;
	}
	if (!a || (!a->data && !a->digest)) {
		/* A DSSE statement can be verified on its own (sigstore-go's
		 * WithoutArtifactUnsafe); the caller then owns the subject check. */
		if (c->m->content == SG_CONTENT_DSSE)
			return 0;
		return sg_fail(c, DK_EUSAGE, "no artifact or artifact digest to verify against");
	}
	if (a->data) {
		sg_sha256(c->artifact_hash, a->data, a->len);
		c->artifact = a->data;
		c->artifact_len = a->len;
	} else if (sg_digest_parse(c->artifact_hash, a->digest) < 0) {
		return sg_fail(c, DK_EINVALID, "%s", dk_error_last()->message);
	}
	c->have_artifact_hash = 1;
	if (c->m->content == SG_CONTENT_MESSAGE && c->m->has_digest &&
	    memcmp(c->m->digest, c->artifact_hash, 32) != 0) {
		sg_hex(got, c->m->digest, 32);
		sg_hex(want, c->artifact_hash, 32);
		return sg_fail(c, DK_EVERIFY, "bundle message digest sha256:%s != artifact sha256:%s", got, want);
	}
	return 0;
}

static int
sig_ok(sg_ctx *c, EVP_PKEY *key)
{
	sg_material *m = c->m;
	sg_buf pae = { 0 };
	int ok;

	switch (m->content) {
	case SG_CONTENT_MESSAGE:
		if (c->artifact)
			return sg_verify_sig(key, c->artifact, c->artifact_len, m->sig.data, m->sig.len);
		return sg_verify_prehash(key, c->artifact_hash, m->sig.data, m->sig.len);
	case SG_CONTENT_DSSE:
		if (sg_dsse_pae(&pae, m->payload_type, &m->payload) < 0)
			return 0;
		ok = sg_verify_sig(key, pae.data, pae.len, m->sig.data, m->sig.len);
		sg_buf_free(&pae);
		return ok;
	case SG_CONTENT_PAYLOAD:
		return sg_verify_sig(key, m->payload.data, m->payload.len, m->sig.data, m->sig.len);
	}
	return 0;
}

static int
keys_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

static int
verify_signature(sg_ctx *c)
{
	const dk_sigstore_verifier *v = c->v;
	int rc;

	if (v->n_keys) {
		for (size_t i = 0; i < v->n_keys; i++) {
			if (sig_ok(c, v->keys[i])) {
				c->signer_key = v->keys[i];
				c->key_index = (int)i;
				break;
			}
		}
		ERR_clear_error();
		if (!c->signer_key)
			return sg_fail(c, DK_EVERIFY, "signature does not verify with any of the %zu trusted key(s)",
				v->n_keys);
		/* cosign: a certificate shipped beside a key signature must carry that key. */
		if (c->m->leaf && !keys_equal(X509_get0_pubkey(c->m->leaf), c->signer_key))
			return sg_fail(c, DK_EVERIFY, "signing certificate key differs from the trusted key");
		c->signer_der.data = malloc(v->key_spki[c->key_index].len);
		if (!c->signer_der.data)
			return sg_fail(c, DK_ENOMEM, "out of memory");
		memcpy(c->signer_der.data, v->key_spki[c->key_index].data, v->key_spki[c->key_index].len);
		c->signer_der.len = v->key_spki[c->key_index].len;
		return 0;
	}
	if (c->m->has_public_key)
		return sg_fail(c, DK_EVERIFY, "signed with a key, but no trusted key was given");
	if (!c->m->leaf)
		return sg_fail(c, DK_EVERIFY, "no signing certificate, and no trusted key was given");
	if (!(v->identity || v->identity_re) || !(v->issuer || v->issuer_re))
		return sg_fail(c, DK_EUSAGE, "keyless verification needs an identity and an issuer (exact or regexp)");
	c->signer_key = X509_get0_pubkey(c->m->leaf);
	if (!c->signer_key)
		return sg_fail(c, DK_EINVALID, "signing certificate has an unusable public key");
	if (!c->artifact && c->m->content == SG_CONTENT_MESSAGE && EVP_PKEY_is_a(c->signer_key, "ED25519"))
		return sg_fail(c, DK_EVERIFY, "an Ed25519 signature cannot be verified from a digest alone");
	if (!sig_ok(c, c->signer_key))
		return sg_fail(c, DK_EVERIFY, "signature invalid for the signing certificate");
	if ((rc = sg_cert_der(&c->signer_der, c->m->leaf)) < 0)
		return sg_fail(c, rc, "cannot encode the signing certificate");
	return 0;
}

static int
subject_matches(const json_t *subjects, const unsigned char want[32])
{
	char hex[65];

	sg_hex(hex, want, 32);
	for (size_t i = 0; i < json_array_size(subjects); i++) {
		const char *d = sg_json_str(json_object_get(json_array_get(subjects, i), "digest"), "sha256");

		if (d && strcmp(d, hex) == 0)
			return 1;
	}
	return 0;
}

/* What the signature is about must be what we were asked about. */
static int
verify_binding(sg_ctx *c, const char *manifest_digest)
{
	json_t *j = NULL;
	char hex[65];
	int rc = 0;

	if (c->m->content == SG_CONTENT_DSSE) {
		const char *type;

		if (strcmp(c->m->payload_type, "application/vnd.in-toto+json") != 0)
			return sg_fail(c, DK_EVERIFY, "DSSE payload type \"%.80s\" is not in-toto", c->m->payload_type);
		if (sg_json_load(&j, (const char *)c->m->payload.data, c->m->payload.len, "in-toto statement") < 0)
			return sg_fail(c, DK_EINVALID, "%s", dk_error_last()->message);
		type = sg_json_str(j, "_type");
		if (!type || strncmp(type, "https://in-toto.io/Statement/", 29) != 0)
			rc = sg_fail(c, DK_EVERIFY, "DSSE payload is not an in-toto statement");
		else if (c->have_artifact_hash &&
		    !subject_matches(json_object_get(j, "subject"), c->artifact_hash)) {
			sg_hex(hex, c->artifact_hash, 32);
			rc = sg_fail(c, DK_EVERIFY, "no in-toto subject has digest sha256:%s", hex);
		}
	} else if (c->m->content == SG_CONTENT_PAYLOAD && manifest_digest) {
		const char *got;

		if (sg_json_load(&j, (const char *)c->m->payload.data, c->m->payload.len, "signature payload") < 0)
			return sg_fail(c, DK_EINVALID, "%s", dk_error_last()->message);
		got = sg_json_str(json_object_get(json_object_get(j, "critical"), "image"),
			"docker-manifest-digest");
		if (!got)
			rc = sg_fail(c, DK_EVERIFY, "payload has no critical.image.docker-manifest-digest");
		else if (strcmp(got, manifest_digest) != 0)
			rc = sg_fail(c, DK_EVERIFY, "payload digest %.100s != manifest %.100s", got, manifest_digest);
	}
	json_decref(j);
	return rc;
}

static int
result_new(dk_sigstore_result **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return dk_error_set(DK_ENOMEM, "out of memory");
	(*out)->log_index = -1;
	return 0;
}

int
sg_run(dk_sigstore_result **out, const dk_sigstore_verifier *v, sg_material *m,
	const dk_sigstore_artifact *artifact, const char *manifest_digest, int legacy)
{
	sg_ctx *c = calloc(1, sizeof(*c));
	dk_sigstore_result *r = NULL;
	X509 *issuer = NULL;
	int rc;

	if (!c || result_new(&r) < 0) {
		free(c);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	c->v = v;
	c->m = m;
	c->legacy = legacy;
	c->log_index = -1;
	r->kind = v->n_keys ? DK_SIGSTORE_KIND_KEY : DK_SIGSTORE_KIND_KEYLESS;
	if ((rc = artifact_hash(c, artifact)) < 0 || (rc = verify_signature(c)) < 0 ||
	    (rc = verify_binding(c, manifest_digest)) < 0 || (rc = sg_verify_tlog(c)) < 0 ||
	    (rc = sg_verify_timestamps(c)) < 0)
		goto done;
	if (!v->n_keys) {
		/* With the log ignored and no timestamp, cosign checks at the current time
		 * (--insecure-ignore-tlog): only a long-lived private-PKI certificate passes. */
		if (c->n_times == 0 && v->tlog == DK_SIGSTORE_TLOG_IGNORE)
			c->times[c->n_times++] = dk_clock_now();
		if ((rc = sg_verify_chain(c, &issuer)) < 0 || (rc = sg_verify_sct(c, issuer)) < 0 ||
		    (rc = sg_verify_identity(c, &r->identity, &r->issuer)) < 0)
			goto done;
	} else if (key_id(&r->key_id, &v->key_spki[c->key_index]) < 0) {
		rc = sg_fail(c, DK_ENOMEM, "out of memory");
		goto done;
	}
	r->verified = 1;
done:
	r->log_index = c->log_index;
	r->integrated_time = c->integrated_time;
	r->signed_time = c->signed_time;
	if (rc < 0) {
		r->verified = 0;
		r->reason = strdup(c->reason[0] ? c->reason : dk_error_last()->message);
		dk_error_set(rc, "%s", r->reason ? r->reason : "verification failed");
	}
	X509_free(issuer);
	sg_buf_free(&c->signer_der);
	free(c);
	*out = r;
	ERR_clear_error();
	return rc;
}

/* A verification that failed before the pipeline: still one result with one reason. */
static int
early_fail(dk_sigstore_result **out, const dk_sigstore_verifier *v, int rc)
{
	dk_sigstore_result *r;
	char *msg = strdup(dk_error_last()->message);

	if (result_new(&r) < 0) {
		free(msg);
		return DK_ENOMEM;
	}
	r->kind = v && v->n_keys ? DK_SIGSTORE_KIND_KEY : DK_SIGSTORE_KIND_KEYLESS;
	r->reason = msg;
	*out = r;
	return dk_error_set(rc, "%s", msg ? msg : "verification failed");
}

int sg_cosign_blob_parse(sg_material *m, const char *json, size_t len);

int
dk_sigstore_verify_bundle(dk_sigstore_result **out, const dk_sigstore_verifier *v,
	const char *bundle, size_t bundle_len, const dk_sigstore_artifact *artifact)
{
	sg_material m;
	int rc, legacy = 0;

	*out = NULL;
	if (!v || !bundle)
		return dk_error_set(DK_EUSAGE, "verify_bundle: missing verifier or bundle");
	/* cosign's pre-v3 `sign-blob --bundle` JSON has no mediaType, a base64Signature. */
	if (bundle_len < SG_MAX_INPUT && memmem(bundle, bundle_len, "\"base64Signature\"", 17) &&
	    !memmem(bundle, bundle_len, "\"mediaType\"", 11)) {
		legacy = 1;
		rc = sg_cosign_blob_parse(&m, bundle, bundle_len);
	} else {
		rc = sg_bundle_parse(&m, bundle, bundle_len);
	}
	if (rc < 0) {
		sg_material_clear(&m);
		return early_fail(out, v, rc);
	}
	rc = sg_run(out, v, &m, artifact, NULL, legacy);
	sg_material_clear(&m);
	return rc;
}

int sg_legacy_material(sg_material *m, const dk_sigstore_legacy *sig);

int
dk_sigstore_verify_legacy(dk_sigstore_result **out, const dk_sigstore_verifier *v,
	const dk_sigstore_legacy *sig, const char *manifest_digest)
{
	sg_material m;
	unsigned char d[32];
	int rc;

	*out = NULL;
	if (!v || !sig || !manifest_digest)
		return dk_error_set(DK_EUSAGE, "verify_legacy: missing verifier, signature or digest");
	if (sg_digest_parse(d, manifest_digest) < 0)
		return early_fail(out, v, DK_EINVALID);
	if ((rc = sg_legacy_material(&m, sig)) < 0) {
		sg_material_clear(&m);
		return early_fail(out, v, rc);
	}
	rc = sg_run(out, v, &m, NULL, manifest_digest, 1);
	sg_material_clear(&m);
	return rc;
}
