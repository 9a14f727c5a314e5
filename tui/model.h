#ifndef DISKOPS_TUI_MODEL_H
#define DISKOPS_TUI_MODEL_H

#include <stdint.h>

#include "diskops/model.h"
#include "diskops/store.h"
#include "diskops/agent.h"
#include "diskops/gitea.h"
#include "diskops/gitops.h"
#include "diskops/promote.h"
#include "diskops/policy.h"
#include "diskops/secret.h"
#include "diskops/status.h"
#include "diskops/store_serve.h"
#include "diskops/poller.h"

/*
 * What the views draw: one immutable snapshot of the store for an account, built here
 * and nowhere else (views never run SQL). The loop replaces the whole snapshot when the
 * store's data_version moves; a worker thread can build one off the input path later and
 * hand it over with loop_post.
 */
struct console_snapshot {
	int64_t data_version;   /* of the store when it was taken */
	int64_t taken_at;       /* wall clock, UTC seconds */
	dk_account *account;
	dk_account_list *accounts;
	dk_platform_list *platforms;
	dk_publication_list **pubs;     /* per platform (same index), newest first */
	int *platform_alerts;           /* open alerts per platform (subject = its id or name) */
	dk_event_list *events;
	dk_alert_list *alerts;
	int open_alerts;
	/* tui/model_ops.c: webhooks and what serve and the pollers record */
	dk_webhook_list *webhooks;
	dk_delivery_list *deliveries;   /* newest first, SNAPSHOT_DELIVERIES at most */
	dk_worker_list *workers;
	dk_runner_list *runners;        /* the Gitea runner cache; empty until polled */
	dk_approval_list *approvals;    /* pending first, then newest first */
	dk_service_status_list *services;       /* serve heartbeat, gitea, registry */
	/* What serve's Gitea poller keeps (gitea_status, gitea_run_cache): the console
	 * shows those runs instead of polling Gitea itself while the poller is fresh. */
	dk_gitea_status *poller;                /* NULL: never polled */
	dk_cached_run_list **run_cache;         /* per platform (same index); NULL without
						 * a poller or a build repo */
	bool pending;           /* console_snapshot_empty: the store is not read yet */
	uint64_t seq;           /* which load this is (snapshots may reuse an address) */
};

#define SNAPSHOT_PUBLICATIONS 500       /* per platform */
#define SNAPSHOT_EVENTS 500
#define SNAPSHOT_DELIVERIES 500

int console_snapshot_load(dk_store *store, const char *account_id,
			  struct console_snapshot **out);
void console_snapshot_free(struct console_snapshot *s);
/* A snapshot with nothing in it, for a first paint that does not wait for the store
 * (`console --log FILE`); the real one replaces it right after. */
int console_snapshot_empty(const char *account_name, struct console_snapshot **out);
/* True while serve is beating and its Gitea poller's next pass is due: its run cache is
 * then as live as Gitea's answers would be, and the console reads runs from it. */
bool snapshot_runs_cached(const struct console_snapshot *s, int64_t now);

/* Index of the platform with this id, -1 when it is gone. */
int snapshot_platform_index(const struct console_snapshot *s, const char *id);
/* By exact name, else by id or an id prefix of 8+; -1 when none. */
int snapshot_platform_find(const struct console_snapshot *s, const char *name_or_id);
/* The publication with this id, with its platform index; NULL when gone. */
const dk_publication *snapshot_publication(const struct console_snapshot *s, const char *id,
					   int *platform);

/*
 * The console's changes go through here too, so views keep away from the store. The
 * rollback is two steps: the plan the dialog shows, then the change pinned to the default
 * that plan saw (a concurrent move turns into DK_ECONFLICT, not a surprise).
 */
int console_model_rollback_plan(dk_store *store, const char *account_id,
				dk_promote_action action, const char *platform_id,
				const char *target_id, dk_promote_plan *out);
int console_model_rollback(dk_store *store, const char *account_id,
			   dk_promote_action action, const dk_promote_plan *seen,
			   const char *reason, const char *actor, dk_promote_plan *out);
/* tui/model_ops.c: the part of the snapshot the operations views draw. */
int console_snapshot_load_ops(dk_store *store, const char *account_id,
			      struct console_snapshot *s);
void console_snapshot_free_ops(struct console_snapshot *s);
/* The webhook's label, or NULL when it is not in the snapshot. */
const char *snapshot_webhook_label(const struct console_snapshot *s, const char *id);
/* True when a pending approval is past its expiry (expired in all but the row). */
bool snapshot_approval_expired(const struct console_snapshot *s, const dk_approval *a);
/* What an approval would do, after its category, in words ("ubuntu-24.04-lts to
 * c2f85d13"), into buf. */
const char *snapshot_approval_summary(const struct console_snapshot *s, const dk_approval *a,
				      char *buf, size_t len);

int console_model_approve(dk_store *store, const char *account_id, const char *id,
			  const char *actor);
int console_model_reject(dk_store *store, const char *account_id, const char *id,
			 const char *actor, const char *reason);
/* The new secret comes back once in *out_secret (caller wipes and frees). */
int console_model_webhook_rotate(dk_store *store, const char *state_dir, const char *account_id,
				 const char *webhook_id, const char *actor, char **out_secret);
int console_model_webhook_revoke(dk_store *store, const char *account_id,
				 const char *webhook_id, const char *actor);

/* tui/model_gitea.c. The commits between two publications' git shas, from the build
 * repo's clone in the state dir as the last fetch left it (no network: safe on the input
 * path). DK_ENOTFOUND with the reason when there is no repo, clone or sha. */
int console_model_rollback_commits(const char *state_dir, const char *build_repo,
				   const char *from_sha, const char *to_sha,
				   dk_gitops_commit_list **out);
/* The same after a fetch of the clone from Gitea (made when missing): worker thread. */
int console_model_rollback_commits_fetch(dk_gitea *g, const char *token, const char *state_dir,
					 const char *ssh_key, const char *build_repo,
					 const char *from_sha, const char *to_sha,
					 dk_gitops_commit_list **out);
/* Gitea, for the worker thread: the repo's default branch as a ref and the inputs the
 * workflow file declares; the dispatch (`diskops dispatch`'s core call). */
int console_model_workflow(dk_gitea *g, const char *build_repo, const char *workflow,
			   char **out_ref, dk_gitops_input_list **out);
int console_model_dispatch(dk_gitea *g, const char *build_repo, const char *workflow,
			   const char *ref, const char *const *inputs,
			   dk_gitea_dispatch_result **out);

int console_model_alert_ack(dk_store *store, const char *account_id, int64_t alert_id,
			    const char *actor);

#endif
