#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "diskops/clock.h"
#include "diskops/error.h"

void
console_snapshot_free(struct console_snapshot *s)
{
	if (!s)
		return;
	/* First: the run cache is indexed by platform. */
	console_snapshot_free_ops(s);
	if (s->platforms) {
		for (size_t i = 0; s->pubs && i < s->platforms->count; i++)
			dk_publication_list_free(s->pubs[i]);
	}
	free(s->pubs);
	free(s->platform_alerts);
	dk_platform_list_free(s->platforms);
	dk_account_free(s->account);
	dk_account_list_free(s->accounts);
	dk_event_list_free(s->events);
	dk_alert_list_free(s->alerts);
	free(s);
}

int
console_snapshot_empty(const char *account_name, struct console_snapshot **out)
{
	struct console_snapshot *s = calloc(1, sizeof(*s));
	bool ok;

	*out = NULL;
	if (!s)
		return dk_error_set(DK_ENOMEM, "out of memory");
	s->pending = true;
	s->taken_at = dk_clock_now();
	ok = (s->account = calloc(1, sizeof(*s->account))) &&
	     (s->account->id = strdup("")) &&
	     (s->account->name = strdup(account_name ? account_name : "")) &&
	     (s->accounts = calloc(1, sizeof(*s->accounts))) &&
	     (s->platforms = calloc(1, sizeof(*s->platforms))) &&
	     (s->pubs = calloc(1, sizeof(*s->pubs))) &&
	     (s->platform_alerts = calloc(1, sizeof(*s->platform_alerts))) &&
	     (s->events = calloc(1, sizeof(*s->events))) &&
	     (s->alerts = calloc(1, sizeof(*s->alerts))) &&
	     (s->webhooks = calloc(1, sizeof(*s->webhooks))) &&
	     (s->deliveries = calloc(1, sizeof(*s->deliveries))) &&
	     (s->workers = calloc(1, sizeof(*s->workers))) &&
	     (s->runners = calloc(1, sizeof(*s->runners))) &&
	     (s->approvals = calloc(1, sizeof(*s->approvals))) &&
	     (s->services = calloc(1, sizeof(*s->services)));
	if (!ok) {
		console_snapshot_free(s);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

static int
state_rank(const char *state)
{
	return strcmp(state, "open") == 0 ? 0 : strcmp(state, "acked") == 0 ? 1 : 2;
}

/* What needs the operator first: open, then acknowledged; newest first within each. */
static int
alert_order(const void *pa, const void *pb)
{
	const dk_alert *a = pa, *b = pb;

	if (state_rank(a->state) != state_rank(b->state))
		return state_rank(a->state) - state_rank(b->state);
	if (a->last_seen != b->last_seen)
		return a->last_seen > b->last_seen ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

static void
count_alerts(struct console_snapshot *s)
{
	for (size_t i = 0; i < s->alerts->count; i++) {
		const dk_alert *a = &s->alerts->items[i];

		if (strcmp(a->state, "open") != 0)
			continue;
		s->open_alerts++;
		for (size_t p = 0; p < s->platforms->count; p++) {
			const dk_platform *pl = &s->platforms->items[p];

			if (strcmp(a->subject, pl->id) == 0 || strcmp(a->subject, pl->name) == 0)
				s->platform_alerts[p]++;
		}
	}
}

static uint64_t loads;   /* the loop thread's only */

int
console_snapshot_load(dk_store *store, const char *account_id, struct console_snapshot **out)
{
	struct console_snapshot *s;
	dk_event_filter ef = { .account_id = account_id, .limit = SNAPSHOT_EVENTS };
	int rc;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	/* The version first: a commit landing while we read shows up as a change next time. */
	if ((rc = dk_store_data_version(store, &s->data_version)) < 0)
		goto fail;
	s->taken_at = dk_clock_now();
	s->seq = ++loads;
	if ((rc = dk_store_account_find(store, &s->account, account_id)) < 0 ||
	    (rc = dk_store_account_list(store, &s->accounts)) < 0 ||
	    (rc = dk_store_platform_list(store, &s->platforms, account_id)) < 0)
		goto fail;
	s->pubs = calloc(s->platforms->count + 1, sizeof(*s->pubs));
	s->platform_alerts = calloc(s->platforms->count + 1, sizeof(*s->platform_alerts));
	if (!s->pubs || !s->platform_alerts) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < s->platforms->count; i++) {
		dk_publication_filter pf = {
			.account_id = account_id,
			.platform_id = s->platforms->items[i].id,
			.status = -1,
			.limit = SNAPSHOT_PUBLICATIONS,
		};

		if ((rc = dk_store_publication_list(store, &s->pubs[i], &pf)) < 0)
			goto fail;
	}
	if ((rc = dk_store_event_list(store, &s->events, &ef)) < 0 ||
	    (rc = dk_store_alert_list(store, &s->alerts, account_id, false)) < 0)
		goto fail;
	/* No alerts: items may be NULL, which qsort must not be given. */
	if (s->alerts->count > 1)
		qsort(s->alerts->items, s->alerts->count, sizeof(*s->alerts->items), alert_order);
	count_alerts(s);
	if ((rc = console_snapshot_load_ops(store, account_id, s)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	console_snapshot_free(s);
	return rc;
}

int
snapshot_platform_index(const struct console_snapshot *s, const char *id)
{
	for (size_t i = 0; id && i < s->platforms->count; i++) {
		if (strcmp(s->platforms->items[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}

int
snapshot_platform_find(const struct console_snapshot *s, const char *name_or_id)
{
	size_t len = strlen(name_or_id);
	int found = -1;

	for (size_t i = 0; i < s->platforms->count; i++) {
		if (strcmp(s->platforms->items[i].name, name_or_id) == 0)
			return (int)i;
	}
	if (len < 8)
		return -1;
	for (size_t i = 0; i < s->platforms->count; i++) {
		if (strncmp(s->platforms->items[i].id, name_or_id, len) == 0) {
			if (found >= 0)
				return -1;      /* ambiguous */
			found = (int)i;
		}
	}
	return found;
}

const dk_publication *
snapshot_publication(const struct console_snapshot *s, const char *id, int *platform)
{
	for (size_t p = 0; id && p < s->platforms->count; p++) {
		for (size_t i = 0; i < s->pubs[p]->count; i++) {
			if (strcmp(s->pubs[p]->items[i].id, id) == 0) {
				if (platform)
					*platform = (int)p;
				return &s->pubs[p]->items[i];
			}
		}
	}
	return NULL;
}

int
console_model_rollback_plan(dk_store *store, const char *account_id, dk_promote_action action,
			    const char *platform_id, const char *target_id, dk_promote_plan *out)
{
	dk_promote_request req = {
		.action = action,
		.platform = platform_id,
		.target = target_id,
		.actor_kind = DK_ACTOR_OPERATOR,
	};

	return dk_promote_plan_make(store, out, account_id, &req);
}

int
console_model_rollback(dk_store *store, const char *account_id, dk_promote_action action,
		       const dk_promote_plan *seen, const char *reason, const char *actor,
		       dk_promote_plan *out)
{
	dk_promote_request req = {
		.action = action,
		.platform = seen->platform_id,
		.target = seen->target_id,
		/* "" pins "no default": someone setting one meanwhile is a conflict too. */
		.expected_default = seen->previous_id ? seen->previous_id : "",
		.reason = reason && *reason ? reason : NULL,
		.actor = actor,
		.actor_kind = DK_ACTOR_OPERATOR,
	};

	return dk_promote(store, out, account_id, &req);
}

int
console_model_alert_ack(dk_store *store, const char *account_id, int64_t alert_id,
			const char *actor)
{
	return dk_alert_ack(store, account_id, alert_id, actor);
}
