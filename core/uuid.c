#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "diskops/uuid.h"

/*
 * Random bytes drawn a few hundred at a time: one RAND_bytes call per id cost as much
 * as a delivery's row insert. Per thread, and refilled after a fork so that parent and
 * child never hand out the same ids.
 */
static __thread unsigned char pool[512];
static __thread size_t pool_used = sizeof(pool);
static __thread unsigned pool_generation;
/* Bumped in a forked child (getpid() is a system call: too dear to ask per id). */
static unsigned fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
forked(void)
{
	fork_generation++;
}

static void
watch_forks(void)
{
	pthread_atfork(NULL, NULL, forked);
}

static void
random_bytes(unsigned char *out, size_t n)
{
	pthread_once(&atfork_once, watch_forks);
	if (pool_used + n > sizeof(pool) || pool_generation != fork_generation) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			RAND_priv_bytes(pool, sizeof(pool));
		pool_used = 0;
		pool_generation = fork_generation;
	}
	memcpy(out, pool + pool_used, n);
	/* Bytes handed out are not kept. */
	OPENSSL_cleanse(pool + pool_used, n);
	pool_used += n;
}

void
dk_uuid_v4(char out[DK_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	/* 8-4-4-4-12: the dashes go in after the hex (snprintf cost more than the bytes). */
	dk_crypto_hex(hex, b, sizeof(b));
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[DK_UUID_LEN] = '\0';
}

bool
dk_uuid_valid(const char *s)
{
	if (!s || strlen(s) != DK_UUID_LEN)
		return false;
	for (int i = 0; i < DK_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}
