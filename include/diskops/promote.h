#ifndef DISKOPS_PROMOTE_H
#define DISKOPS_PROMOTE_H

#include <stdbool.h>

#include "diskops/policy.h"
#include "diskops/store.h"

/*
 * Rollback, promote, set-default and revert are one operation (DESIGN §6): move a
 * platform's boot pointer to a verified publication, reactivating it when retired and
 * retiring the previous default, in one transaction, gated by the rollback/promote
 * policy, recorded as system.disk_image_rolled_back.
 */

typedef enum {
	DK_PROMOTE_ROLLBACK = 0,
	DK_PROMOTE_PROMOTE
} dk_promote_action;

typedef struct {
	dk_promote_action action;
	const char *platform;           /* name or id; may be NULL for promote (target's platform) */
	const char *target;             /* publication id or 8+ char prefix; NULL: revert picks
					 * the newest retired, else the newest other published */
	/*
	 * The default the operator was shown (optimistic concurrency): when set and the
	 * platform's default is no longer this id ("" = none), the change is refused with
	 * DK_ECONFLICT so two people cannot roll back over each other unknowingly.
	 */
	const char *expected_default;
	const char *reason;
	const char *actor;
	dk_actor_kind actor_kind;
	const char *approval_id;        /* carrying out this approval: the gate already passed */
} dk_promote_request;

typedef struct {
	char *platform_id;
	char *platform_name;
	char *previous_id;              /* NULL when the platform had no default */
	char *previous_git_sha;
	char *target_id;
	char *target_git_sha;
	char *target_status;            /* before the change: published | retired */
	char *target_digest;
	char *target_signer;            /* identity, or "key" */
	char *pinned_ref;               /* repo@sha256:… new nodes will boot */
	long long target_built_at;
	bool reactivate;                /* the target was retired */
	char *approval_id;              /* set when the result is DK_EPENDING */
} dk_promote_plan;

/* Works out what would change, or why it cannot, without changing anything. */
int dk_promote_plan_make(dk_store *store, dk_promote_plan *out, const char *account_id,
			 const dk_promote_request *req);

/*
 * Plans, passes the gate and performs the change. DK_EPENDING when an approval was
 * parked (out->approval_id); refusals as dk_promote_plan_make; DK_ECONFLICT when the
 * default moved since the operator looked.
 */
int dk_promote(dk_store *store, dk_promote_plan *out, const char *account_id,
	       const dk_promote_request *req);

void dk_promote_plan_clear(dk_promote_plan *plan);

/* "host/repo:tag" + "sha256:…" → "host/repo@sha256:…"; caller frees; NULL without a ref. */
char *dk_pin_reference(const char *oci_ref, const char *digest);

#endif
