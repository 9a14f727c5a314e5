#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "diskops/error.h"
#include "diskops/webhook.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
decode_hex(unsigned char out[32], const char *s)
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
dk_webhook_signature_decode(unsigned char out[32], const char *header)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int rc = DK_EINVALID;

	if (!header || !*header)
		return dk_error_set(DK_EINVALID, "signature header missing");
	if (strncmp(header, "sha256=", 7) == 0)
		header += 7;
	/* 64 hex characters are never 32 bytes of base64 (that is 43 or 44), so the two
	 * readings cannot disagree. */
	if (decode_hex(out, header) == 0)
		return 0;
	if (strlen(header) <= 44 && dk_base64_decode(&raw, &rawlen, header) == 0 && rawlen == 32) {
		memcpy(out, raw, 32);
		rc = 0;
	}
	free(raw);
	if (rc < 0)
		return dk_error_set(DK_EINVALID, "signature is neither 64 hex characters nor "
				    "base64 of 32 bytes");
	return 0;
}

bool
dk_webhook_signature_ok(const char *secret, const char *header, const void *body, size_t len,
			char *expected_hex)
{
	unsigned char want[32], got[32];
	bool ok;

	if (expected_hex)
		expected_hex[0] = '\0';
	if (!secret || !dk_crypto_hmac_sha256(want, secret, strlen(secret), body, len))
		return false;
	if (expected_hex)
		dk_crypto_hex(expected_hex, want, 32);
	if (len == 0 || dk_webhook_signature_decode(got, header) < 0) {
		OPENSSL_cleanse(want, sizeof(want));
		return false;
	}
	ok = CRYPTO_memcmp(want, got, 32) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
