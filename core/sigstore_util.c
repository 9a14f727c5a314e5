#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "diskops/secret.h"
#include "sigstore_int.h"

void
sg_buf_free(sg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Bundles may carry line-wrapped or URL-safe base64 (the protobuf JSON mapping allows
 * it); dk_base64_decode_n refuses truncated or stray input rather than decode part. */
int
sg_b64_decode(sg_buf *out, const char *in, size_t len, const char *what)
{
	if (len > SG_MAX_INPUT) {
		out->data = NULL;
		out->len = 0;
		return dk_error_set(DK_EINVALID, "%s: too large", what);
	}
	return dk_base64_decode_n(&out->data, &out->len, in, len, DK_BASE64_LINES, what);
}

int
sg_b64_encode(char **out, const unsigned char *in, size_t len)
{
	return dk_base64_encode(out, in, len);
}

void
sg_hex(char *out, const unsigned char *in, size_t len)
{
	dk_crypto_hex(out, in, len);
}

int
sg_digest_parse(unsigned char out[32], const char *digest)
{
	const char *hex = digest;

	if (strncmp(hex, "sha256:", 7) == 0)
		hex += 7;
	if (strlen(hex) != 64)
		return dk_error_set(DK_EINVALID, "digest \"%.80s\" is not sha256:<64 hex>", digest);
	for (size_t i = 0; i < 32; i++) {
		unsigned int b;

		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &b) != 1)
			return dk_error_set(DK_EINVALID, "digest \"%.80s\" is not sha256:<64 hex>", digest);
		out[i] = (unsigned char)b;
	}
	return 0;
}

static const EVP_MD *
md_get(int bits)
{
	return dk_crypto_md(bits);
}

void
sg_sha256(unsigned char out[32], const void *data, size_t len)
{
	EVP_Digest(data, len, out, NULL, md_get(256), NULL);
}

int
sg_json_load(json_t **out, const char *text, size_t len, const char *what)
{
	json_error_t err;

	if (len > SG_MAX_INPUT)
		return dk_error_set(DK_EINVALID, "%s: larger than %u bytes", what, SG_MAX_INPUT);
	/* Go takes the last of duplicate keys; refusing them is the safe side. */
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!*out)
		return dk_error_set(DK_EINVALID, "%s: malformed JSON: %s (line %d)", what,
			err.text, err.line);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return dk_error_set(DK_EINVALID, "%s: not a JSON object", what);
	}
	return 0;
}

const char *
sg_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* protobuf-JSON writes int64 as a string; older producers write a number. */
int
sg_json_int64(int64_t *out, const json_t *obj, const char *key, int required, const char *what)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	char *end;
	long long n;

	*out = 0;
	if (!v) {
		if (required)
			return dk_error_set(DK_EINVALID, "%s: missing %s", what, key);
		return 0;
	}
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if ((s = json_string_value(v)) != NULL) {
		if (!*s || (!isdigit((unsigned char)s[0]) && s[0] != '-'))
			return dk_error_set(DK_EINVALID, "%s: %s is not an integer", what, key);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*end || errno)
			return dk_error_set(DK_EINVALID, "%s: %s is not an integer", what, key);
	} else {
		return dk_error_set(DK_EINVALID, "%s: %s is not an integer", what, key);
	}
	if (n < 0)
		return dk_error_set(DK_EINVALID, "%s: negative %s %lld", what, key, n);
	*out = n;
	return 0;
}

/* RFC 3339 UTC. A fractional second rounds toward the inside of a window. */
int
sg_time_parse(int64_t *out, const char *s, int round_up)
{
	struct tm tm = { 0 };
	int n = 0, frac = 0;
	time_t t;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return dk_error_set(DK_EINVALID, "time \"%.40s\" is not RFC 3339", s ? s : "");
	s += n;
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			if (*s != '0')
				frac = 1;
			s++;
		}
	}
	if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
		return dk_error_set(DK_EINVALID, "time \"%.40s\" is not UTC", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	*out = (int64_t)t + (frac && round_up ? 1 : 0);
	return 0;
}

/* DER SPKI, or a bare PKCS#1 RSA key (some trusted roots carry CT keys that way). */
int
sg_pubkey_parse(EVP_PKEY **out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;

	*out = d2i_PUBKEY(NULL, &p, (long)len);
	if (*out && p == der + len)
		return 0;
	EVP_PKEY_free(*out);
	p = der;
	*out = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (*out && p == der + len)
		return 0;
	EVP_PKEY_free(*out);
	*out = NULL;
	return dk_error_set(DK_EINVALID, "public key is not DER SubjectPublicKeyInfo");
}

/* An i2d_* result as an sg_buf (one copy out of OpenSSL's allocator). */
static int
own_der(sg_buf *out, unsigned char *p, int n, const char *what)
{
	out->data = NULL;
	out->len = 0;
	if (n <= 0)
		return dk_error_set(DK_EINVALID, "cannot encode %s", what);
	out->data = malloc((size_t)n);
	if (out->data) {
		memcpy(out->data, p, (size_t)n);
		out->len = (size_t)n;
	}
	OPENSSL_free(p);
	return out->data ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
}

int
sg_pubkey_spki(sg_buf *out, EVP_PKEY *key)
{
	unsigned char *p = NULL;
	int n = i2d_PUBKEY(key, &p);

	return own_der(out, p, n, "public key");
}

static const EVP_MD *
key_md(EVP_PKEY *key)
{
	if (EVP_PKEY_is_a(key, "ED25519"))
		return NULL;
	if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256)
		return md_get(EVP_PKEY_get_bits(key) > 384 ? 512 : 384);
	return md_get(256);
}

int
sg_verify_sig(EVP_PKEY *key, const unsigned char *msg, size_t msg_len,
	const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (!md)
		return 0;
	if (EVP_DigestVerifyInit(md, NULL, key_md(key), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1)
		ok = 1;
	/* Clients sign with P-384 keys over SHA-256 too (sigstore-python's messageDigest
	 * is always SHA2_256); both hashes are sound, so accept either. */
	if (!ok && key_md(key) != md_get(256) && key_md(key) != NULL && EVP_MD_CTX_reset(md) == 1 &&
	    EVP_DigestVerifyInit(md, NULL, md_get(256), NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

int
sg_verify_prehash(EVP_PKEY *key, const unsigned char digest[32],
	const unsigned char *sig, size_t sig_len)
{
	EVP_PKEY_CTX *pc;
	int ok = 0;

	if (key_md(key) == NULL)
		return 0;
	pc = EVP_PKEY_CTX_new(key, NULL);
	if (!pc)
		return 0;
	if (EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, md_get(256)) == 1 &&
	    (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_verify(pc, sig, sig_len, digest, 32) == 1)
		ok = 1;
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	return ok;
}

int
sg_pem_to_der_cert(X509 **out, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);

	*out = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error();
	if (!*out)
		return dk_error_set(DK_EINVALID, "certificate is not PEM");
	return 0;
}

int
sg_pem_any_der(sg_buf *out, const unsigned char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long n = 0;
	int rc = 0;

	out->data = NULL;
	out->len = 0;
	if (!b || PEM_read_bio(b, &name, &header, &data, &n) != 1 || n <= 0) {
		rc = dk_error_set(DK_EINVALID, "not PEM");
		goto done;
	}
	out->data = malloc((size_t)n);
	if (!out->data) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(out->data, data, (size_t)n);
	out->len = (size_t)n;
done:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

int
sg_cert_der(sg_buf *out, X509 *cert)
{
	unsigned char *p = NULL;
	int n = i2d_X509(cert, &p);

	return own_der(out, p, n, "certificate");
}
