#ifndef DISKOPS_CORE_CRYPTO_H
#define DISKOPS_CORE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/*
 * Algorithms fetched from the provider once per process. OpenSSL 3 looks EVP_sha256(),
 * EVP_aes_256_gcm() and HMAC() up again on every use, under a lock that the serve
 * threads then contend for. Kept until exit (reachable, not a leak).
 */
const EVP_MD *dk_crypto_md(int bits); /* 256, 384 or 512 */
const EVP_CIPHER *dk_crypto_aes256gcm(void);

void dk_crypto_sha256(unsigned char out[32], const void *data, size_t len);
/* Lower-case hex of len bytes; out holds 2 * len + 1. */
void dk_crypto_hex(char *out, const unsigned char *in, size_t len);
void dk_crypto_sha256_hex(char out[65], const void *data, size_t len);
/* HMAC-SHA256 of data under key; false when OpenSSL failed. */
bool dk_crypto_hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
			   const void *data, size_t len);

#endif
