#ifndef DISKOPS_SECRET_H
#define DISKOPS_SECRET_H

#include <stddef.h>

/*
 * Secrets: generation, the at-rest box (AES-256-GCM under a master key file kept 0600
 * in the state dir), previews and digests. Plaintext secrets are returned to the caller
 * once, at creation; they are registered with the log redaction filter on the way out.
 */

#define DK_SECRET_WEBHOOK_PREFIX "pndis_"
#define DK_SECRET_WORKER_PREFIX  "swt_"
#define DK_SECRET_PREVIEW_LEN    8

/* prefix + 32 bytes from the OS RNG as base64url without padding (43 chars). */
int dk_secret_generate(char **out, const char *prefix);

/* The first 8 characters into out (9 bytes). */
void dk_secret_preview(char out[DK_SECRET_PREVIEW_LEN + 1], const char *secret);

/* Lower-case hex SHA-256 of the token into out (65 bytes). */
void dk_secret_digest_hex(char out[65], const char *token);

/* The tree's one base64 code. Standard base64, padded; caller frees. */
int dk_base64_encode(char **out, const unsigned char *data, size_t len);
/* base64url without padding; caller frees. */
int dk_base64url_encode(char **out, const unsigned char *data, size_t len);
/* Accepts base64url or standard base64, padded or not; caller frees *out. */
int dk_base64_decode(unsigned char **out, size_t *out_len, const char *text);
/* The same over len bytes; DK_BASE64_LINES also skips \r and \n (wrapped text). Errors
 * read "<what>: invalid base64" or "<what>: truncated base64". Caller frees *out. */
#define DK_BASE64_LINES 1u
int dk_base64_decode_n(unsigned char **out, size_t *out_len, const char *text, size_t len,
	unsigned int flags, const char *what);

typedef struct dk_secret_box dk_secret_box;

/*
 * Opens the box for a state dir: reads <state_dir>/master.key, creating it (32 random
 * bytes, mode 0600, created atomically) on first use. Refuses a key file that is
 * readable by group/others or has the wrong size.
 */
int dk_secret_box_open(dk_secret_box **out, const char *state_dir);
void dk_secret_box_free(dk_secret_box *box);

/* "v1:" + base64url(nonce(12) || ciphertext || tag(16)); caller frees. */
int dk_secret_encrypt(dk_secret_box *box, char **out, const char *plaintext);
/* DK_EAUTH when the tag does not verify (wrong key or tampered); caller frees. */
int dk_secret_decrypt(dk_secret_box *box, char **out, const char *sealed);

#endif
