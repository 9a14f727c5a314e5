#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/secret.h"

#define SECRET_RAW_LEN 32
#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define SEALED_PREFIX "v1:"
#define KEY_FILE "master.key"

struct dk_secret_box {
	unsigned char key[KEY_LEN];
};

/* The one base64 code of the tree (secrets, webhooks, Sigstore bundles and keys). */
int
dk_base64_encode(char **out, const unsigned char *data, size_t len)
{
	*out = NULL;
	if (len > (size_t)INT32_MAX / 2)
		return dk_error_set(DK_EINVALID, "base64: input of %zu bytes is too large", len);
	*out = malloc(4 * ((len + 2) / 3) + 1);
	if (!*out)
		return dk_error_set(DK_ENOMEM, "out of memory");
	EVP_EncodeBlock((unsigned char *)*out, data, (int)len);
	return 0;
}

int
dk_base64url_encode(char **out, const unsigned char *data, size_t len)
{
	size_t n;
	char *buf;
	int rc;

	if ((rc = dk_base64_encode(&buf, data, len)) < 0)
		return rc;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '=')
		n--;
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '+')
			buf[i] = '-';
		else if (buf[i] == '/')
			buf[i] = '_';
	}
	*out = buf;
	return 0;
}

/* 1 + the sextet of each byte of either alphabet; 65 '=', 66 '\r' or '\n', 0 any other. */
static const unsigned char b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
	['-'] = 63, ['_'] = 64, ['='] = 65, ['\r'] = 66, ['\n'] = 66,
};

/*
 * Standard or URL-safe alphabet; padding optional, but when present complete: '='
 * only at the end, at most two, filling a whole quantum. Anything else (a stray
 * character, a truncated quantum) is refused rather than decoded partially.
 */
int
dk_base64_decode_n(unsigned char **out, size_t *out_len, const char *text, size_t len,
	unsigned int flags, const char *what)
{
	unsigned char *buf;
	size_t n = 0, pad = 0, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	*out_len = 0;
	if (len > (size_t)INT32_MAX)
		return dk_error_set(DK_EINVALID, "%s: too large", what);
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		int v = b64_table[(unsigned char)text[i]] - 1;

		if (v >= 0 && v < 64 && !pad) {
			acc = acc << 6 | (uint32_t)v;
			bits += 6;
			n++;
			if (bits >= 8) {
				bits -= 8;
				buf[o++] = (unsigned char)(acc >> bits);
			}
			continue;
		}
		if (v == 64) {
			pad++;
			continue;
		}
		/* Line-wrapped base64 (the `base64` tool; Go's decoder skips \r and \n). */
		if (v == 65 && (flags & DK_BASE64_LINES))
			continue;
		free(buf);
		return dk_error_set(DK_EINVALID, "%s: invalid base64", what);
	}
	if (pad > 2) {
		free(buf);
		return dk_error_set(DK_EINVALID, "%s: invalid base64", what);
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4 != 0)) {
		free(buf);
		return dk_error_set(DK_EINVALID, "%s: truncated base64", what);
	}
	*out = buf;
	*out_len = o;
	return 0;
}

int
dk_base64_decode(unsigned char **out, size_t *out_len, const char *text)
{
	return dk_base64_decode_n(out, out_len, text, strlen(text), 0, "base64 text");
}

int
dk_secret_generate(char **out, const char *prefix)
{
	unsigned char raw[SECRET_RAW_LEN];
	char *enc = NULL, *s = NULL;
	int rc;

	*out = NULL;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		rc = dk_error_set(DK_ERROR, "random number generator failed");
		goto done;
	}
	if ((rc = dk_base64url_encode(&enc, raw, sizeof(raw))) < 0)
		goto done;
	if (asprintf(&s, "%s%s", prefix ? prefix : "", enc) < 0) {
		s = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	/* Registered before anyone else sees it, so no later log line can carry it. */
	dk_log_register_secret(s);
	*out = s;
done:
	OPENSSL_cleanse(raw, sizeof(raw));
	if (enc) {
		OPENSSL_cleanse(enc, strlen(enc));
		free(enc);
	}
	return rc;
}

void
dk_secret_preview(char out[DK_SECRET_PREVIEW_LEN + 1], const char *secret)
{
	size_t i = 0;

	for (; secret && i < DK_SECRET_PREVIEW_LEN && secret[i]; i++)
		out[i] = secret[i];
	out[i] = '\0';
}

void
dk_secret_digest_hex(char out[65], const char *token)
{
	dk_crypto_sha256_hex(out, token, strlen(token));
}

/* Reads an existing key file; ENOENT is reported as DK_ENOTFOUND so the caller can create it. */
static int
read_key_file(unsigned char key[KEY_LEN], const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return DK_ENOTFOUND;
		return dk_error_set(DK_EIO, "master key %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = dk_error_set(DK_EIO, "master key %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dk_error_set(DK_ESTORE, "master key %s is not a regular file", path);
		goto done;
	}
	if (st.st_mode & 077) {
		rc = dk_error_set(DK_EAUTH, "master key %s is accessible by group or others (mode %04o): run chmod 600 %s",
				  path, (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	if (st.st_size != KEY_LEN) {
		rc = dk_error_set(DK_ESTORE, "master key %s is %lld bytes, expected %d (truncated or not a key file)",
				  path, (long long)st.st_size, KEY_LEN);
		goto done;
	}
	n = read(fd, key, KEY_LEN);
	if (n != KEY_LEN) {
		rc = dk_error_set(DK_EIO, "master key %s: short read", path);
		goto done;
	}
done:
	close(fd);
	return rc;
}

static int
write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Writes a fresh key under a temporary name and links it into place: link() never
 * replaces an existing file, so when two processes race on first use the loser gets
 * EEXIST and reads the winner's key instead of overwriting it.
 */
static int
create_key_file(const char *dir, const char *path)
{
	unsigned char key[KEY_LEN], tag[6];
	char *tmp = NULL, *tag_b64 = NULL;
	int fd = -1, rc = 0, dfd;

	if (RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(tag, sizeof(tag)) != 1) {
		rc = dk_error_set(DK_ERROR, "random number generator failed");
		goto done;
	}
	if (dk_base64url_encode(&tag_b64, tag, sizeof(tag)) < 0 ||
	    asprintf(&tmp, "%s/.%s.%ld.%s", dir, KEY_FILE, (long)getpid(), tag_b64) < 0) {
		tmp = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = dk_error_set(DK_EIO, "master key %s: %s", tmp, strerror(errno));
		goto done;
	}
	/* The umask could only remove bits, but make the mode independent of it anyway. */
	if (fchmod(fd, 0600) < 0 || write_all(fd, key, sizeof(key)) < 0 || fsync(fd) < 0) {
		rc = dk_error_set(DK_EIO, "master key %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = dk_error_set(DK_EIO, "master key %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (link(tmp, path) < 0 && errno != EEXIST) {
		rc = dk_error_set(DK_EIO, "master key %s: %s", path, strerror(errno));
		goto done;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
done:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	OPENSSL_cleanse(key, sizeof(key));
	free(tmp);
	free(tag_b64);
	return rc;
}

int
dk_secret_box_open(dk_secret_box **out, const char *state_dir)
{
	dk_secret_box *box = NULL;
	char *path = NULL;
	int rc;

	*out = NULL;
	if (asprintf(&path, "%s/%s", state_dir, KEY_FILE) < 0) {
		path = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	box = OPENSSL_secure_zalloc(sizeof(*box));
	if (!box) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	rc = read_key_file(box->key, path);
	if (rc == DK_ENOTFOUND) {
		if ((rc = create_key_file(state_dir, path)) < 0)
			goto done;
		/* Whoever won the race, the file in place is the key. */
		rc = read_key_file(box->key, path);
		if (rc == DK_ENOTFOUND)
			rc = dk_error_set(DK_EIO, "master key %s vanished after creation", path);
	}
	if (rc < 0)
		goto done;
	*out = box;
	box = NULL;
done:
	dk_secret_box_free(box);
	free(path);
	return rc;
}

void
dk_secret_box_free(dk_secret_box *box)
{
	if (!box)
		return;
	OPENSSL_secure_clear_free(box, sizeof(*box));
}

int
dk_secret_encrypt(dk_secret_box *box, char **out, const char *plaintext)
{
	size_t ptlen = strlen(plaintext);
	unsigned char *buf = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	char *enc = NULL;
	int n, rc = 0;

	*out = NULL;
	if (ptlen > (size_t)INT32_MAX - NONCE_LEN - TAG_LEN) {
		rc = dk_error_set(DK_EINVALID, "secret too large to encrypt");
		goto done;
	}
	buf = malloc(NONCE_LEN + ptlen + TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (!buf || !ctx) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if (RAND_bytes(buf, NONCE_LEN) != 1) {
		rc = dk_error_set(DK_ERROR, "random number generator failed");
		goto done;
	}
	if (EVP_EncryptInit_ex(ctx, dk_crypto_aes256gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, box->key, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + NONCE_LEN, &n, (const unsigned char *)plaintext, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + NONCE_LEN + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + ptlen) != 1) {
		rc = dk_error_set(DK_ERROR, "AES-256-GCM encryption failed");
		goto done;
	}
	if ((rc = dk_base64url_encode(&enc, buf, NONCE_LEN + ptlen + TAG_LEN)) < 0)
		goto done;
	if (asprintf(out, "%s%s", SEALED_PREFIX, enc) < 0) {
		*out = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
	}
done:
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	free(enc);
	return rc;
}

int
dk_secret_decrypt(dk_secret_box *box, char **out, const char *sealed)
{
	unsigned char *raw = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	char *pt = NULL;
	size_t rawlen = 0, ctlen;
	int n, rc = 0;

	*out = NULL;
	if (strncmp(sealed, SEALED_PREFIX, strlen(SEALED_PREFIX)) != 0) {
		rc = dk_error_set(DK_EINVALID, "sealed secret does not start with \"%s\"", SEALED_PREFIX);
		goto done;
	}
	if (dk_base64_decode(&raw, &rawlen, sealed + strlen(SEALED_PREFIX)) < 0) {
		rc = dk_error_prefix("sealed secret");
		goto done;
	}
	if (rawlen < NONCE_LEN + TAG_LEN) {
		rc = dk_error_set(DK_EINVALID, "sealed secret is %zu bytes, shorter than nonce and tag", rawlen);
		goto done;
	}
	ctlen = rawlen - NONCE_LEN - TAG_LEN;
	pt = malloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!pt || !ctx) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if (EVP_DecryptInit_ex(ctx, dk_crypto_aes256gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, box->key, raw) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)pt, &n, raw + NONCE_LEN, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + ctlen) != 1) {
		rc = dk_error_set(DK_ERROR, "AES-256-GCM decryption failed");
		goto done;
	}
	if (EVP_DecryptFinal_ex(ctx, (unsigned char *)pt + n, &n) != 1) {
		rc = dk_error_set(DK_EAUTH, "secret does not decrypt with this master key (wrong key or tampered)");
		goto done;
	}
	pt[ctlen] = '\0';
	*out = pt;
	pt = NULL;
done:
	EVP_CIPHER_CTX_free(ctx);
	if (pt) {
		/* Unauthenticated plaintext must not linger in freed memory either. */
		OPENSSL_cleanse(pt, ctlen + 1);
		free(pt);
	}
	free(raw);
	return rc;
}
