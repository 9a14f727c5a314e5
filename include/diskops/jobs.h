#ifndef DISKOPS_JOBS_H
#define DISKOPS_JOBS_H

#include <stdint.h>

#include "diskops/store_serve.h"

/*
 * The durable job queue (DESIGN §3 `job`): a job is leased with an expiry, so one whose
 * worker died is taken again once the lease runs out; a failed attempt waits 1 s,
 * doubling up to 5 min; after DK_JOBS_MAX_ATTEMPTS it is dead with its last error.
 */

#define DK_JOBS_MAX_ATTEMPTS 8
#define DK_JOBS_LEASE_SECONDS 300

/* Seconds to wait after the attempts-th failed attempt: 1, 2, 4, … capped at 300. */
int64_t dk_jobs_backoff(int attempts);

/*
 * A handler returns 0 when the job is finished (its outcome, good or bad, recorded by
 * the handler), negative when the attempt failed and should be retried. *error (may
 * stay NULL, freed by the queue) is kept in the job's last_error.
 */
typedef int (*dk_job_handler)(dk_store *store, const dk_job *job, char **error, void *payload);

/* Leases and runs one due job of `kind`. DK_ENOTFOUND when none is due. */
int dk_jobs_run_one(dk_store *store, const char *kind, const char *worker, dk_job_handler fn,
		    void *payload);

/* The ingest handler: dk_process_publication on the job's publication. */
int dk_jobs_ingest(dk_store *store, const dk_job *job, char **error, void *payload);

/* Worker threads, each with its own store connection, taking ingest jobs. */
typedef struct dk_jobs_pool dk_jobs_pool;

int dk_jobs_pool_start(dk_jobs_pool **out, const char *db_path, int threads);
/* New work was queued: wake an idle worker now rather than at its next poll. */
void dk_jobs_pool_wake(dk_jobs_pool *pool);
/* Lets each worker finish the job it is on, then joins them. */
void dk_jobs_pool_stop(dk_jobs_pool *pool);

#endif
