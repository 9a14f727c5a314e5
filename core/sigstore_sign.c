/*
 * Key signing for air-gapped uploads and tests: an ECDSA P-256 key, cosign-shaped
 * outputs, no transparency log (so they verify with tlog "optional" or "ignore").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sigstore_int.h"

struct dk_sigstore_signer {
	EVP_PKEY *key;
	char *public_pem;
};

static int
write_pem(const char *path, int mode, EVP_PKEY *key, int private_key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
	/* O_CREAT's mode is masked by umask and ignored for an existing file. */
	if (fchmod(fd, (mode_t)mode) < 0 || !(f = fdopen(fd, "w"))) {
		close(fd);
		return dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
	}
	ok = private_key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(f, key);
	if (fclose(f) != 0 || ok != 1) {
		ERR_clear_error();
		return dk_error_set(DK_EIO, "%s: cannot write key", path);
	}
	return 0;
}

int
dk_sigstore_keygen(const char *path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char *pub = NULL;
	int rc;

	if (!key) {
		ERR_clear_error();
		return dk_error_set(DK_ERROR, "cannot generate an ECDSA P-256 key");
	}
	if (asprintf(&pub, "%s.pub", path) < 0) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = write_pem(path, 0600, key, 1)) < 0 || (rc = write_pem(pub, 0644, key, 0)) < 0)
		goto done;
done:
	free(pub);
	EVP_PKEY_free(key);
	return rc;
}

void
dk_sigstore_signer_free(dk_sigstore_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s->public_pem);
	free(s);
}

int
dk_sigstore_signer_load(dk_sigstore_signer **out, const char *path)
{
	dk_sigstore_signer *s = NULL;
	FILE *f = fopen(path, "r");
	BIO *b = NULL;
	char *mem;
	long n;
	int rc = 0;

	*out = NULL;
	if (!f)
		return dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (!s->key) {
		rc = dk_error_set(DK_EINVALID, "%s: not an unencrypted PEM private key", path);
		goto done;
	}
	if (!EVP_PKEY_is_a(s->key, "EC") && !EVP_PKEY_is_a(s->key, "ED25519")) {
		rc = dk_error_set(DK_EINVALID, "%s: only ECDSA and Ed25519 signing keys are supported", path);
		goto done;
	}
	b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PUBKEY(b, s->key) != 1 || (n = BIO_get_mem_data(b, &mem)) <= 0 ||
	    !(s->public_pem = strndup(mem, (size_t)n))) {
		rc = dk_error_set(DK_ENOMEM, "cannot encode the public key");
		goto done;
	}
	*out = s;
	s = NULL;
done:
	BIO_free(b);
	fclose(f);
	dk_sigstore_signer_free(s);
	ERR_clear_error();
	return rc;
}

const char *
dk_sigstore_signer_public_pem(const dk_sigstore_signer *s)
{
	return s->public_pem;
}

static int
sign(sg_buf *out, const dk_sigstore_signer *s, const unsigned char *msg, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const EVP_MD *alg = EVP_PKEY_is_a(s->key, "ED25519") ? NULL : EVP_sha256();
	size_t n = 0;
	int rc = 0;

	out->data = NULL;
	if (!md || EVP_DigestSignInit(md, NULL, alg, NULL, s->key) != 1 ||
	    EVP_DigestSign(md, NULL, &n, msg, len) != 1 || !(out->data = malloc(n)) ||
	    EVP_DigestSign(md, out->data, &n, msg, len) != 1) {
		sg_buf_free(out);
		rc = dk_error_set(DK_ERROR, "signing failed");
	}
	out->len = n;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

void
dk_sigstore_layer_free(dk_sigstore_layer *l)
{
	if (!l)
		return;
	free(l->payload);
	free(l->payload_digest);
	free(l->signature);
	free(l);
}

int
dk_sigstore_sign_legacy(dk_sigstore_layer **out, const dk_sigstore_signer *s,
	const char *manifest_digest, const char *docker_reference)
{
	dk_sigstore_layer *l = NULL;
	json_t *ref = NULL;
	char *ref_json = NULL, hex[65];
	unsigned char d[32];
	sg_buf sig = { 0 };
	int rc, n;

	*out = NULL;
	if ((rc = sg_digest_parse(d, manifest_digest)) < 0)
		return rc;
	l = calloc(1, sizeof(*l));
	ref = json_string(docker_reference ? docker_reference : "");
	if (!l || !ref || !(ref_json = json_dumps(ref, JSON_ENCODE_ANY))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	sg_hex(hex, d, 32);
	/* cosign's field order and spacing, so the layer is byte-identical to what it writes. */
	n = asprintf(&l->payload, "{\"critical\":{\"identity\":{\"docker-reference\":%s},"
		"\"image\":{\"docker-manifest-digest\":\"sha256:%s\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":null}", ref_json, hex);
	if (n < 0) {
		l->payload = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	l->payload_len = (size_t)n;
	sg_sha256(d, l->payload, l->payload_len);
	sg_hex(hex, d, 32);
	if (asprintf(&l->payload_digest, "sha256:%s", hex) < 0) {
		l->payload_digest = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = sign(&sig, s, (unsigned char *)l->payload, l->payload_len)) < 0 ||
	    (rc = sg_b64_encode(&l->signature, sig.data, sig.len)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	sg_buf_free(&sig);
	free(ref_json);
	json_decref(ref);
	dk_sigstore_layer_free(l);
	return rc;
}

int
dk_sigstore_sign_blob(char **out, const dk_sigstore_signer *s, const unsigned char *data, size_t len)
{
	unsigned char d[32], kh[32];
	sg_buf sig = { 0 }, spki = { 0 };
	char *sig64 = NULL, *d64 = NULL, *hint = NULL;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	sg_sha256(d, data, len);
	if ((rc = sign(&sig, s, data, len)) < 0 || (rc = sg_pubkey_spki(&spki, s->key)) < 0)
		goto done;
	sg_sha256(kh, spki.data, spki.len);
	if ((rc = sg_b64_encode(&sig64, sig.data, sig.len)) < 0 || (rc = sg_b64_encode(&d64, d, 32)) < 0 ||
	    (rc = sg_b64_encode(&hint, kh, 32)) < 0)
		goto done;
	j = json_pack("{s:s, s:{s:{s:s}, s:[]}, s:{s:{s:s, s:s}, s:s}}",
		"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial", "publicKey", "hint", hint, "tlogEntries",
		"messageSignature", "messageDigest", "algorithm", "SHA2_256", "digest", d64,
		"signature", sig64);
	if (!j || !(*out = json_dumps(j, JSON_PRESERVE_ORDER | JSON_INDENT(2)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
done:
	json_decref(j);
	free(sig64);
	free(d64);
	free(hint);
	sg_buf_free(&sig);
	sg_buf_free(&spki);
	return rc;
}
