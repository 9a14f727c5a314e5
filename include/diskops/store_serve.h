#ifndef DISKOPS_STORE_SERVE_H
#define DISKOPS_STORE_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/store.h"

/*
 * The rows `diskops serve` works with — webhooks, their delivery log, CI workers and
 * the job queue — and their store functions (core/store_webhook.c, store_delivery.c,
 * store_worker.c, store_job.c). Same rules as store.h: scoped by account, strings owned
 * by the row, times in UTC unix seconds with 0 for unset.
 */

typedef struct {
	char *id;
	char *account_id;
	char *label;
	char *secret_enc;               /* the AES-GCM box of the secret; never shown */
	char *secret_preview;           /* first 8 characters */
	char *status;                   /* active | disabled | revoked */
	int64_t received_count;
	int64_t last_received_at;
	int64_t last_rotated_at;
	char *created_by;
	int64_t created_at;
	int64_t updated_at;
} dk_webhook;

typedef struct {
	int64_t id;
	char *webhook_id;               /* as given in the URL, even when unknown */
	char *account_id;               /* NULL when the webhook is unknown */
	int64_t received_at;
	char *remote_addr;
	char *body_sha256;
	int64_t body_size;
	bool signature_ok;
	int http_status;
	char *outcome;                  /* queued, idempotent_hit, conflict, error */
	char *reason;                   /* bad_signature, unknown_platform, … or NULL */
	char *publication_id;
} dk_delivery;

typedef struct {
	char *id;
	char *account_id;
	char *name;
	char *role;                     /* ci_worker */
	char *status;                   /* active | suspended | revoked */
	int64_t terminated_at;          /* `worker terminate`: revoked for good (0: not) */
	int64_t last_seen_at;
	int64_t created_at;
	int64_t updated_at;
} dk_worker;

typedef struct {
	int64_t id;
	char *kind;                     /* ingest | sweep | purge */
	char *subject_id;
	char *account_id;
	char *state;                    /* ready | leased | done | dead */
	int attempts;
	int64_t run_after;
	int64_t lease_until;
	char *leased_by;
	char *last_error;
	int64_t created_at;
	int64_t updated_at;
} dk_job;

DK_DEFINE_LIST(dk_webhook)
DK_DEFINE_LIST(dk_delivery)
DK_DEFINE_LIST(dk_worker)
DK_DEFINE_LIST(dk_job)

void dk_webhook_clear(dk_webhook *w);
void dk_delivery_clear(dk_delivery *d);
void dk_worker_clear(dk_worker *w);
void dk_job_clear(dk_job *j);
void dk_webhook_free(dk_webhook *w);
void dk_worker_free(dk_worker *w);
void dk_job_free(dk_job *j);
void dk_webhook_list_free(dk_webhook_list *l);
void dk_delivery_list_free(dk_delivery_list *l);
void dk_worker_list_free(dk_worker_list *l);
void dk_job_list_free(dk_job_list *l);

/* --- webhooks --- */

/* DK_ECONFLICT "label has already been taken" when the label exists in the account
 * (ignoring case). */
int dk_store_webhook_create(dk_store *store, dk_webhook **out, const char *account_id,
			    const char *label, const char *secret_enc, const char *preview,
			    const char *created_by);
/* By id, id prefix (8+) or label (ignoring case), within the account. */
int dk_store_webhook_find(dk_store *store, dk_webhook **out, const char *account_id,
			  const char *id_or_label);
/* The receiver's lookup: by exact id, any account, any status. */
int dk_store_webhook_get(dk_store *store, dk_webhook **out, const char *id);
/* Newest first. */
int dk_store_webhook_list(dk_store *store, dk_webhook_list **out, const char *account_id);
int dk_store_webhook_set_secret(dk_store *store, const char *account_id, const char *id,
				const char *secret_enc, const char *preview);
int dk_store_webhook_set_status(dk_store *store, const char *account_id, const char *id,
				const char *status);
/* A correctly signed request arrived: count it and stamp last_received_at. */
int dk_store_webhook_touch(dk_store *store, const char *id, int64_t now);

/* --- delivery log --- */
int dk_store_delivery_insert(dk_store *store, const dk_delivery *d);

typedef struct {
	const char *account_id;         /* required */
	const char *webhook_id;         /* NULL: every webhook of the account */
	int limit;                      /* <= 0: 50 */
} dk_delivery_filter;

/* Newest first. */
int dk_store_delivery_list(dk_store *store, dk_delivery_list **out, const dk_delivery_filter *f);

/* --- CI workers --- */

/* DK_ECONFLICT when a live worker of that name exists in the account. */
int dk_store_worker_create(dk_store *store, dk_worker **out, const char *account_id,
			   const char *name, const char *token_digest);
/* By id, id prefix (8+) or name of a live worker, within the account. */
int dk_store_worker_find(dk_store *store, dk_worker **out, const char *account_id,
			 const char *id_or_name);
int dk_store_worker_list(dk_store *store, dk_worker_list **out, const char *account_id);
int dk_store_worker_set_digest(dk_store *store, const char *account_id, const char *id,
			       const char *token_digest);
/* Revokes the worker for good (terminated_at = now) and puts the jobs it holds leased back
 * to ready now; *released counts them. DK_ESTATE when it was terminated already. */
int dk_store_worker_terminate(dk_store *store, const char *account_id, const char *id,
			      int64_t now, int *released);
int dk_store_worker_set_status(dk_store *store, const char *account_id, const char *id,
			       const char *status);
/* The active worker holding the token with this digest; touches last_seen_at.
 * DK_ENOTFOUND when none. */
int dk_store_worker_authenticate(dk_store *store, dk_worker **out, const char *token_digest,
				 int64_t now);

/* --- publications, as the receiver and the worker API need them --- */

/* The account a publication belongs to, whatever the caller's account (the worker API
 * tells "not found" from "another account's"). */
int dk_store_publication_owner(dk_store *store, char **out_account_id, const char *id);

/* Overwrites the artifact fields a new delivery brings (sha256, size, oci_ref, arch,
 * firmware, sbom, payload, webhook) on an existing row that is not published. */
int dk_store_publication_refresh(dk_store *store, const dk_publication *row);

/* Records what ingest verified (oci_digest, artifact_sha256, size_bytes, signature kind,
 * identity, issuer, tlog_index, cosign_verified) on a row that is verifying; the status
 * moves separately, through dk_store_publication_transition. */
int dk_store_publication_set_verified(dk_store *store, const dk_publication *row);

/* Rows per status over every account, indexed by dk_pub_status. */
int dk_store_publication_counts(dk_store *store, int64_t out[DK_PUB__COUNT]);

/* The platform's disk_image_publication_status and _error (none|verifying|published|failed). */
int dk_store_platform_set_status(dk_store *store, const char *account_id,
				 const char *platform_id, const char *status, const char *error);

/* --- job queue --- */

/* A ready job for (kind, subject) due at run_after; when a live (ready or leased) job for
 * the subject exists already, that one is kept (its run_after moved earlier if need be)
 * and its id returned. */
int dk_store_job_enqueue(dk_store *store, int64_t *out_id, const char *kind,
			 const char *subject_id, const char *account_id, int64_t run_after);
/*
 * Leases the oldest due job of `kind` (ready with run_after <= now, or leased with an
 * expired lease): state leased, attempts + 1, lease_until = now + lease_seconds.
 * DK_ENOTFOUND when nothing is due.
 */
int dk_store_job_lease(dk_store *store, dk_job **out, const char *kind, const char *worker,
		       int64_t now, int64_t lease_seconds);
/* Ends a lease: `state` done, dead or ready (with run_after); error kept in last_error.
 * DK_ECONFLICT when the job is no longer leased by `worker` (the lease expired and
 * someone else took it). */
int dk_store_job_finish(dk_store *store, int64_t id, const char *worker, const char *state,
			int64_t run_after, const char *error);
int dk_store_job_get(dk_store *store, dk_job **out, int64_t id);

typedef struct {
	const char *account_id;         /* NULL: every account */
	const char *state;              /* NULL: every state */
	int limit;                      /* <= 0: 50 */
} dk_job_filter;

/* Newest first. */
int dk_store_job_list(dk_store *store, dk_job_list **out, const dk_job_filter *f);
/* A dead (or done) job back to ready now with its attempts reset. DK_ESTATE when it is
 * live already. */
int dk_store_job_retry(dk_store *store, const char *account_id, int64_t id, int64_t now);

enum { DK_JOB_READY, DK_JOB_LEASED, DK_JOB_DONE, DK_JOB_DEAD, DK_JOB__STATES };
/* Jobs of `kind` per state, indexed by DK_JOB_*. */
int dk_store_job_counts(dk_store *store, const char *kind, int64_t out[DK_JOB__STATES]);

#endif
