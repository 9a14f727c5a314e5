#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto.h"

static EVP_MD *md_sha256, *md_sha384, *md_sha512;
static EVP_CIPHER *aes256gcm;
/* An HMAC-SHA256 context with its digest set and no key: each use duplicates it, which
 * shares the fetched digest instead of fetching it by name again. */
static EVP_MAC_CTX *hmac_template;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
fetch(void)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA2-256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	md_sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	md_sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
	aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL))) {
		hmac_template = EVP_MAC_CTX_new(mac);
		if (hmac_template && EVP_MAC_CTX_set_params(hmac_template, params) != 1) {
			EVP_MAC_CTX_free(hmac_template);
			hmac_template = NULL;
		}
		EVP_MAC_free(mac);
	}
}

const EVP_MD *
dk_crypto_md(int bits)
{
	pthread_once(&once, fetch);
	if (bits == 384)
		return md_sha384 ? md_sha384 : EVP_sha384();
	if (bits == 512)
		return md_sha512 ? md_sha512 : EVP_sha512();
	return md_sha256 ? md_sha256 : EVP_sha256();
}

const EVP_CIPHER *
dk_crypto_aes256gcm(void)
{
	pthread_once(&once, fetch);
	return aes256gcm ? aes256gcm : EVP_aes_256_gcm();
}

void
dk_crypto_sha256(unsigned char out[32], const void *data, size_t len)
{
	EVP_Digest(data ? data : (const void *)"", len, out, NULL, dk_crypto_md(256), NULL);
}

void
dk_crypto_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
dk_crypto_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	dk_crypto_sha256(md, data, len);
	dk_crypto_hex(out, md, 32);
}

bool
dk_crypto_hmac_sha256(unsigned char out[32], const void *key, size_t keylen, const void *data,
		      size_t len)
{
	EVP_MAC_CTX *ctx;
	size_t n = 0;
	bool ok;

	pthread_once(&once, fetch);
	if (!hmac_template)
		return false;
	if (!(ctx = EVP_MAC_CTX_dup(hmac_template)))
		return false;
	ok = EVP_MAC_init(ctx, key, keylen, NULL) == 1 &&
	     EVP_MAC_update(ctx, data ? data : (const void *)"", len) == 1 &&
	     EVP_MAC_final(ctx, out, &n, 32) == 1 && n == 32;
	EVP_MAC_CTX_free(ctx);
	return ok;
}
