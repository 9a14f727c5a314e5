#ifndef DISKOPS_PUBKEY_H
#define DISKOPS_PUBKEY_H

#include <stddef.h>

/*
 * Trusted public keys as operators hand them over: PEM "PUBLIC KEY" blocks. Accepted:
 * ECDSA P-256/P-384, RSA >= 2048 bits, Ed25519 (what cosign signs with).
 */

typedef struct {
	char type[16];          /* "ecdsa-p256", "ecdsa-p384", "rsa-3072", "ed25519" */
	char fingerprint[72];   /* "SHA256:" + base64 of the DER SubjectPublicKeyInfo digest */
} dk_pubkey_info;

/*
 * Parses every PEM block in text. DK_EINVALID naming `source` (a file name) when a block
 * is not a public key, or a key type or size is not accepted, or there is no key at all.
 * *out is an array of *count entries the caller frees with free().
 */
int dk_pubkey_parse_all(dk_pubkey_info **out, size_t *count, const char *text, const char *source);

/*
 * The same parse and checks, handing each accepted key to fn (borrowed: up-ref it to
 * keep it). fn returns 0, or a negative DK_E* that stops the walk and is returned.
 */
struct evp_pkey_st;
typedef int (*dk_pubkey_fn)(void *arg, struct evp_pkey_st *key, const dk_pubkey_info *info);
int dk_pubkey_each(const char *text, const char *source, dk_pubkey_fn fn, void *arg);

/* Reads a PEM file, checks it with dk_pubkey_parse_all and returns its text (caller frees). */
int dk_pubkey_read_file(char **out, const char *path);

#endif
