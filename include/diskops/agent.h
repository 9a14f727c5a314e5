#ifndef DISKOPS_AGENT_H
#define DISKOPS_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/config.h"
#include "diskops/store.h"

/*
 * The Disk Image Manager: one tick evaluates the alert rules of DESIGN §8 over the store
 * and the Gitea run cache, expires approvals and retires stuck rows. `serve` ticks every
 * [alerts] tick_seconds; `diskops agent tick` runs one pass.
 */

typedef struct {
	int64_t id;
	char *account_id;
	char *rule;             /* run_overdue, queued_no_runner, webhook_missing, ingest_stuck,
				 * publish_failed, signature_rejections, runner_offline,
				 * gitea_unreachable (the poller, diskops/poller.h) */
	char *subject;          /* what it is about: a run, publication, platform, webhook, runner */
	char *severity;         /* info | warning | error | critical */
	char *state;            /* open | acked | resolved */
	char *detail;           /* one line for the operator */
	char *acked_by;
	int64_t first_seen;
	int64_t last_seen;
	int64_t resolved_at;
} dk_alert;

typedef struct {
	dk_alert *items;
	size_t count;
} dk_alert_list;

void dk_alert_list_free(dk_alert_list *l);

typedef struct {
	int opened;
	int refreshed;
	int resolved;
	int approvals_expired;
	int stuck_retired;
} dk_agent_report;

/* One pass over every account. */
int dk_agent_tick(dk_store *store, const dk_config *cfg, dk_agent_report *report);

/* Open and acknowledged alerts (all: resolved too), newest first. */
int dk_alert_list_load(dk_store *store, dk_alert_list **out, const char *account_id, bool all);
/* Acknowledging keeps the alert until its condition clears, but marks it as seen. */
int dk_alert_ack(dk_store *store, const char *account_id, int64_t id, const char *actor);

/* --- store (core/store_alert.c) --- */

/* Opens the alert or refreshes its last_seen/detail; *opened says which. */
int dk_store_alert_raise(dk_store *store, const char *account_id, const char *rule,
			 const char *subject, const char *severity, const char *detail,
			 int64_t now, bool *opened);
/* Resolves the live alerts of `rule` in the account whose subject is not in `keep`. */
int dk_store_alert_resolve_except(dk_store *store, const char *account_id, const char *rule,
				  const char *const *keep, size_t nkeep, int64_t now, int *resolved);
int dk_store_alert_list(dk_store *store, dk_alert_list **out, const char *account_id, bool all);
int dk_store_alert_ack(dk_store *store, const char *account_id, int64_t id, const char *actor);

#endif
