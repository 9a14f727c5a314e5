/*
 * The operations part of the console's snapshot — webhooks, deliveries, workers, Gitea
 * runners, approvals, service status — and the changes made from those views. Everything
 * goes through the core functions the CLI uses; nothing here runs SQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/webhook.h"

void
console_snapshot_free_ops(struct console_snapshot *s)
{
	dk_webhook_list_free(s->webhooks);
	dk_delivery_list_free(s->deliveries);
	dk_worker_list_free(s->workers);
	dk_runner_list_free(s->runners);
	dk_approval_list_free(s->approvals);
	dk_service_status_list_free(s->services);
	for (size_t i = 0; s->run_cache && s->platforms && i < s->platforms->count; i++)
		dk_cached_run_list_free(s->run_cache[i]);
	free(s->run_cache);
	dk_gitea_status_free(s->poller);
	s->run_cache = NULL;
	s->poller = NULL;
	s->webhooks = NULL;
	s->deliveries = NULL;
	s->workers = NULL;
	s->runners = NULL;
	s->approvals = NULL;
	s->services = NULL;
}

static int load_run_cache(dk_store *store, struct console_snapshot *s);

/* What waits for someone first: pending, then the decided ones; newest first in each. */
static int
approval_order(const void *pa, const void *pb)
{
	const dk_approval *a = pa, *b = pb;
	bool ap = strcmp(a->state, "pending") == 0, bp = strcmp(b->state, "pending") == 0;

	if (ap != bp)
		return ap ? -1 : 1;
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at ? -1 : 1;
	return strcmp(b->id, a->id);
}

int
console_snapshot_load_ops(dk_store *store, const char *account_id, struct console_snapshot *s)
{
	dk_delivery_filter df = { .account_id = account_id, .limit = SNAPSHOT_DELIVERIES };
	int rc;

	/* The store list, not dk_approval_list_load: a snapshot must not write (expiring is
	 * serve's and the deciders' job); overdue rows are shown as expired instead. */
	if ((rc = dk_store_webhook_list(store, &s->webhooks, account_id)) < 0 ||
	    (rc = dk_store_delivery_list(store, &s->deliveries, &df)) < 0 ||
	    (rc = dk_store_worker_list(store, &s->workers, account_id)) < 0 ||
	    (rc = dk_store_runner_cache_list(store, &s->runners, account_id)) < 0 ||
	    (rc = dk_store_approval_list(store, &s->approvals, account_id, true)) < 0 ||
	    (rc = dk_store_service_status_list(store, &s->services)) < 0)
		return rc;
	if (s->approvals->count)
		qsort(s->approvals->items, s->approvals->count, sizeof(*s->approvals->items),
		      approval_order);
	return load_run_cache(store, s);
}

/* A few dozen rows per build repo, read only once serve has polled Gitea at all. */
static int
load_run_cache(dk_store *store, struct console_snapshot *s)
{
	int rc = dk_store_gitea_status_get(store, &s->poller);

	if (rc == DK_ENOTFOUND || !dk_service_status_find(s->services, "serve"))
		return 0;
	if (rc < 0)
		return rc;
	if (!(s->run_cache = calloc(s->platforms->count + 1, sizeof(*s->run_cache))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->platforms->count; i++) {
		const char *repo = s->platforms->items[i].build_repo;

		if (repo && *repo && (rc = dk_store_run_cache_list(store, &s->run_cache[i], repo)) < 0)
			return rc;
	}
	return 0;
}

/* A pass takes a while after it was due; a minute of slack before the console polls. */
#define POLLER_SLACK 60

bool
snapshot_runs_cached(const struct console_snapshot *s, int64_t now)
{
	const dk_service_status *serve = dk_service_status_find(s->services, "serve");

	return serve && s->run_cache && s->poller && s->poller->reachable &&
	       now - serve->checked_at <= DK_HEARTBEAT_STALE_SECONDS &&
	       s->poller->next_poll_at && now <= s->poller->next_poll_at + POLLER_SLACK;
}

const char *
snapshot_webhook_label(const struct console_snapshot *s, const char *id)
{
	for (size_t i = 0; id && s->webhooks && i < s->webhooks->count; i++) {
		if (strcmp(s->webhooks->items[i].id, id) == 0)
			return s->webhooks->items[i].label;
	}
	return NULL;
}

bool
snapshot_approval_expired(const struct console_snapshot *s, const dk_approval *a)
{
	return strcmp(a->state, "pending") == 0 && a->expires_at > 0 && a->expires_at <= s->taken_at;
}

static const char *
platform_name(const struct console_snapshot *s, const char *id)
{
	int idx = snapshot_platform_index(s, id);

	return idx >= 0 ? s->platforms->items[idx].name : id ? id : "?";
}

const char *
snapshot_approval_summary(const struct console_snapshot *s, const dk_approval *a, char *buf,
			  size_t len)
{
	json_t *p = json_loads(a->params ? a->params : "{}", 0, NULL);
	const char *plat = json_string_value(json_object_get(p, "platform_id"));
	const char *target = json_string_value(json_object_get(p, "target_publication_id"));
	const char *reason = json_string_value(json_object_get(p, "reason"));
	char *text;

	if (!p) {
		snprintf(buf, len, "(unreadable parameters)");
	} else if (target) {
		snprintf(buf, len, "%s to %.8s%s%s%s", platform_name(s, plat), target,
			 reason ? " (\"" : "", reason ? reason : "", reason ? "\")" : "");
	} else if (json_object_get(p, "count")) {
		snprintf(buf, len, "keep %lld on %s",
			 (long long)json_integer_value(json_object_get(p, "count")), platform_name(s, plat));
	} else {
		text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(buf, len, "%s", text ? text : "");
		free(text);
	}
	json_decref(p);
	return buf;
}

int
console_model_approve(dk_store *store, const char *account_id, const char *id, const char *actor)
{
	return dk_approval_approve(store, account_id, id, actor);
}

int
console_model_reject(dk_store *store, const char *account_id, const char *id, const char *actor,
		     const char *reason)
{
	return dk_approval_reject(store, account_id, id, actor, reason);
}

int
console_model_webhook_rotate(dk_store *store, const char *state_dir, const char *account_id,
			     const char *webhook_id, const char *actor, char **out_secret)
{
	dk_secret_box *box = NULL;
	dk_webhook *w = NULL;
	int rc;

	*out_secret = NULL;
	if ((rc = dk_secret_box_open(&box, state_dir)) < 0)
		return rc;
	rc = dk_webhook_rotate(store, box, &w, out_secret, account_id, webhook_id, actor);
	dk_webhook_free(w);
	dk_secret_box_free(box);
	return rc;
}

int
console_model_webhook_revoke(dk_store *store, const char *account_id, const char *webhook_id,
			     const char *actor)
{
	dk_webhook *w = NULL;
	int rc = dk_webhook_revoke(store, &w, account_id, webhook_id, actor);

	dk_webhook_free(w);
	return rc;
}
