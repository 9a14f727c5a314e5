#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "diskops/error.h"
#include "sha256_pipe.h"

#define SLOTS 4
#define SLOT_SIZE (512u * 1024)

struct sha256_pipe {
	EVP_MD_CTX *md;
	int threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[SLOTS];
	size_t len[SLOTS];
	int full[SLOTS];        /* handed to the hasher, not yet hashed */
	unsigned w;             /* the slot being filled */
	int done;               /* no more slots will come */
	int failed;             /* a digest update failed (on the hasher) */
	int finished;           /* final or free has joined the thread */
};

static void *
hasher(void *arg)
{
	sha256_pipe *p = arg;
	unsigned r = 0;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->full[r] && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->full[r]) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		/* The slot is ours until it is marked empty again. */
		if (!EVP_DigestUpdate(p->md, p->buf[r], p->len[r]))
			p->failed = 1;
		pthread_mutex_lock(&p->mu);
		p->full[r] = 0;
		p->len[r] = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		r = (r + 1) % SLOTS;
	}
	return NULL;
}

int
sha256_pipe_new(sha256_pipe **out, int threaded)
{
	sha256_pipe *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || !(p->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(p->md, EVP_sha256(), NULL)) {
		if (p)
			EVP_MD_CTX_free(p->md);
		free(p);
		return dk_error_set(DK_ERROR, "SHA-256 init failed");
	}
	if (threaded) {
		int ok = 1;

		for (int i = 0; i < SLOTS && ok; i++)
			ok = (p->buf[i] = malloc(SLOT_SIZE)) != NULL;
		ok = ok && pthread_mutex_init(&p->mu, NULL) == 0;
		if (ok && pthread_cond_init(&p->cv, NULL) != 0) {
			pthread_mutex_destroy(&p->mu);
			ok = 0;
		}
		if (ok && pthread_create(&p->thread, NULL, hasher, p) != 0) {
			pthread_cond_destroy(&p->cv);
			pthread_mutex_destroy(&p->mu);
			ok = 0;
		}
		/* No thread: hash in line, as for a small blob. */
		p->threaded = ok;
		if (!ok) {
			for (int i = 0; i < SLOTS; i++) {
				free(p->buf[i]);
				p->buf[i] = NULL;
			}
		}
	}
	*out = p;
	return 0;
}

static void
hand_over(sha256_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->full[p->w] = 1;
	pthread_cond_broadcast(&p->cv);
	p->w = (p->w + 1) % SLOTS;
	while (p->full[p->w])
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

int
sha256_pipe_update(sha256_pipe *p, const void *data, size_t len)
{
	const unsigned char *d = data;

	if (!p->threaded) {
		if (!EVP_DigestUpdate(p->md, data, len))
			return dk_error_set(DK_ERROR, "SHA-256 update failed");
		return 0;
	}
	while (len) {
		size_t room = SLOT_SIZE - p->len[p->w], n = len < room ? len : room;

		memcpy(p->buf[p->w] + p->len[p->w], d, n);
		p->len[p->w] += n;
		d += n;
		len -= n;
		if (p->len[p->w] == SLOT_SIZE)
			hand_over(p);
	}
	return 0;
}

static void
finish(sha256_pipe *p)
{
	if (!p->threaded || p->finished)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->len[p->w] > 0)
		p->full[p->w] = 1;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	p->finished = 1;
}

int
sha256_pipe_final(sha256_pipe *p, unsigned char md[32])
{
	unsigned int n = 0;

	finish(p);
	if (p->failed || !EVP_DigestFinal_ex(p->md, md, &n) || n != 32)
		return dk_error_set(DK_ERROR, "SHA-256 failed");
	return 0;
}

void
sha256_pipe_free(sha256_pipe *p)
{
	if (!p)
		return;
	finish(p);
	if (p->threaded) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
	}
	for (int i = 0; i < SLOTS; i++)
		free(p->buf[i]);
	EVP_MD_CTX_free(p->md);
	free(p);
}
