#ifndef DISKOPS_SHA256_PIPE_H
#define DISKOPS_SHA256_PIPE_H

/*
 * SHA-256 of a stream, computed on a thread of its own for large blobs, so the thread
 * that reads the socket keeps draining it while the previous megabytes are hashed
 * (core-internal; used by core/oci_blob.c). Bytes are copied into four 512 KiB slots:
 * the memory is bounded whatever the blob's size.
 */

#include <stddef.h>

typedef struct sha256_pipe sha256_pipe;

/* threaded 0: plain in-line hashing (small blobs); also the fallback when no thread. */
int sha256_pipe_new(sha256_pipe **out, int threaded);
int sha256_pipe_update(sha256_pipe *p, const void *data, size_t len);
/* Waits for the hashing thread; md gets the 32-byte digest. */
int sha256_pipe_final(sha256_pipe *p, unsigned char md[32]);
void sha256_pipe_free(sha256_pipe *p);

#endif
