#ifndef DISKOPS_COMMIT_H
#define DISKOPS_COMMIT_H

#include <stddef.h>

#include "diskops/store.h"

/*
 * Group commit: one writer thread with its own store connection runs the writes of
 * many concurrent requests inside one transaction, each in its own savepoint, so a
 * burst of deliveries costs one fsync instead of one each. A request's write either
 * commits with the batch or not at all; `done` learns which.
 */

typedef struct dk_batcher dk_batcher;

/* Runs inside the batch transaction; nest with dk_store_begin/commit. */
typedef int (*dk_batch_fn)(dk_store *store, void *arg);
/* Called once the batch is durable (rc 0, on the sync thread) or lost (rc < 0, the
 * function's own failure or the batch's). While one batch syncs the next one runs. */
typedef void (*dk_batch_done)(void *arg, int rc);

/* after_commit (may be NULL) runs after each batch that committed. */
int dk_batcher_start(dk_batcher **out, const char *db_path, void (*after_commit)(void *),
		     void *after_arg);
/* A write somebody waits on: it goes into the next batch. */
int dk_batcher_submit(dk_batcher *b, dk_batch_fn fn, dk_batch_done done, void *arg);
/* A write nobody waits on (a rejected delivery's row): it fills batches, but only a few
 * ride along while waited-on writes are queued. */
int dk_batcher_submit_background(dk_batcher *b, dk_batch_fn fn, dk_batch_done done, void *arg);
/* The WAL length in frames (8000 by default, 32 MiB) past which the writer holds the
 * next batch until the WAL starts over. */
void dk_batcher_set_wal_limit(dk_batcher *b, int frames);
/* Writes waiting for the next batch. */
size_t dk_batcher_pending(dk_batcher *b);
/* Runs what is queued, then stops the writer. */
void dk_batcher_stop(dk_batcher *b);

#endif
