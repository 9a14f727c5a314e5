#ifndef DISKOPS_POLICY_H
#define DISKOPS_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "diskops/store.h"

/*
 * Intervention policies and approvals. Every changing action names a category; the gate
 * decides: proceed (auto_approve), proceed and tell (notify_and_proceed), park for a
 * second person (require_approval), or refuse (block).
 */

typedef enum {
	DK_POLICY_PROMOTE = 0,
	DK_POLICY_ROLLBACK,
	DK_POLICY_RETENTION_UPDATE,
	DK_POLICY_RETENTION_PRUNE,
	DK_POLICY_WEBHOOK_ROTATE_SECRET,
	DK_POLICY_WEBHOOK_REVOKE,
	DK_POLICY__COUNT
} dk_policy_category;

typedef enum {
	DK_MODE_AUTO_APPROVE = 0,
	DK_MODE_NOTIFY_AND_PROCEED,
	DK_MODE_REQUIRE_APPROVAL,
	DK_MODE_BLOCK,
	DK_MODE__COUNT
} dk_policy_mode;

/* Operators act at once by default; the agent's defaults are the original's (§15). */
typedef enum {
	DK_ACTOR_OPERATOR = 0,
	DK_ACTOR_AGENT
} dk_actor_kind;

/* Approvals wait this long before they expire. */
#define DK_APPROVAL_TTL_SECONDS (12 * 3600)

const char *dk_policy_category_name(dk_policy_category c);
int dk_policy_category_parse(dk_policy_category *out, const char *name);
const char *dk_policy_mode_name(dk_policy_mode m);
int dk_policy_mode_parse(dk_policy_mode *out, const char *name);

/* The mode in force: the account's row, else the default for that kind of actor. */
int dk_policy_mode_for(dk_store *store, dk_policy_mode *out, bool *is_default,
		       const char *account_id, dk_policy_category c, dk_actor_kind kind);
int dk_policy_set(dk_store *store, const char *account_id, dk_policy_category c,
		  dk_policy_mode mode, const char *actor);

typedef struct {
	dk_policy_category category;
	const char *actor;              /* "alice" or "alice@10.0.0.5" */
	dk_actor_kind actor_kind;
	json_t *params;                 /* pinned into an approval when one is needed (borrowed) */
	const char *subject_id;         /* what the action is about, for events */
	const char *description;        /* "Roll back edge to 1a2b3c4d" */
} dk_gate_request;

/*
 * 0: go ahead (a notify_and_proceed policy has recorded an event). DK_EPENDING: an
 * approval was created (its id in *approval_id, caller frees) and nothing else happens
 * now. DK_EAUTH: blocked by policy ("Action blocked by policy").
 */
int dk_policy_gate(dk_store *store, char **approval_id, const char *account_id,
		   const dk_gate_request *req);

/* The person behind an actor string ("alice@10.0.0.5" → "alice"), for four-eyes checks. */
void dk_actor_person(char *out, size_t len, const char *actor);

/* --- approvals --- */

typedef struct {
	char *id;
	char *account_id;
	char *category;
	char *params;           /* JSON */
	char *requested_by;
	char *state;            /* pending | approved | rejected | expired */
	char *decided_by;
	char *reason;
	int64_t decided_at;
	int64_t expires_at;
	int64_t created_at;
} dk_approval;

typedef struct {
	dk_approval *items;
	size_t count;
} dk_approval_list;

void dk_approval_clear(dk_approval *a);
void dk_approval_free(dk_approval *a);
void dk_approval_list_free(dk_approval_list *l);

int dk_approval_get(dk_store *store, dk_approval **out, const char *account_id, const char *id);
/* Pending only unless all; newest first. Expires overdue ones first. */
int dk_approval_list_load(dk_store *store, dk_approval_list **out, const char *account_id,
			  bool all);

/*
 * Approve: the approver must be another person than the requester; the parked action
 * runs with its pinned parameters, as the approver, and the approval is marked approved
 * only when it succeeded. A refusal of the action leaves the approval pending.
 */
int dk_approval_approve(dk_store *store, const char *account_id, const char *id,
			const char *approver);
int dk_approval_reject(dk_store *store, const char *account_id, const char *id,
		       const char *approver, const char *reason);
/* Pending approvals past expires_at become expired; *count says how many. */
int dk_approval_expire(dk_store *store, int *count);

/* --- store (core/store_policy.c) --- */
int dk_store_policy_get(dk_store *store, const char *account_id, const char *category,
			char **mode_out);
int dk_store_policy_put(dk_store *store, const char *account_id, const char *category,
			const char *mode);
int dk_store_approval_insert(dk_store *store, const dk_approval *a);
int dk_store_approval_get(dk_store *store, dk_approval **out, const char *account_id,
			  const char *id);
int dk_store_approval_list(dk_store *store, dk_approval_list **out, const char *account_id,
			   bool all);
/* Moves a pending approval to state; DK_ESTATE when it is no longer pending. */
int dk_store_approval_decide(dk_store *store, const char *account_id, const char *id,
			     const char *state, const char *decided_by, const char *reason);
/* Marks pending approvals past their expiry `expired`; *expired lists them. */
int dk_store_approval_expire(dk_store *store, int64_t now, dk_approval_list **expired);
/* The state of the newest approval of `category` whose params.<key> is value; *state is
 * NULL when there is none (caller frees). */
int dk_store_approval_state_for(dk_store *store, char **state, const char *account_id,
				const char *category, const char *key, const char *value);

#endif
