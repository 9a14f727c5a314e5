#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/platform.h"
#include "diskops/policy.h"
#include "diskops/promote.h"

int
dk_approval_get(dk_store *store, dk_approval **out, const char *account_id, const char *id)
{
	return dk_store_approval_get(store, out, account_id, id);
}

/* One transaction: each expiry is recorded as the event of that decision. */
int
dk_approval_expire(dk_store *store, int *count)
{
	dk_approval_list *l = NULL;
	int rc;

	*count = 0;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_approval_expire(store, dk_clock_now(), &l)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	for (size_t i = 0; i < l->count; i++) {
		const dk_approval *a = &l->items[i];
		json_t *params = a->params ? json_loads(a->params, 0, NULL) : NULL;
		json_t *payload = json_pack("{s:s, s:s, s:s, s:o}", "approval_id", a->id,
					    "category", a->category, "requested_by",
					    a->requested_by ? a->requested_by : "unknown",
					    "params", params ? params : json_null());

		dk_event_emit(store, a->account_id, "system.approval_expired", "info", "policy", NULL,
			      payload);
		json_decref(payload);
	}
	*count = (int)l->count;
	dk_approval_list_free(l);
	return dk_store_commit(store);
}

int
dk_approval_list_load(dk_store *store, dk_approval_list **out, const char *account_id, bool all)
{
	int expired, rc;

	/* Lists never show a request as pending past its expiry, whether or not serve ran. */
	if ((rc = dk_approval_expire(store, &expired)) < 0)
		return rc;
	return dk_store_approval_list(store, out, account_id, all);
}

static const char *
param(json_t *params, const char *key)
{
	return json_string_value(json_object_get(params, key));
}

/* Runs the parked action with its pinned parameters, as the approver. */
static int
execute(dk_store *store, const char *account_id, const dk_approval *a, json_t *params,
	const char *approver)
{
	dk_policy_category c;
	int rc;

	if ((rc = dk_policy_category_parse(&c, a->category)) < 0)
		return rc;
	switch (c) {
	case DK_POLICY_PROMOTE:
	case DK_POLICY_ROLLBACK: {
		dk_promote_request req = {
			.action = c == DK_POLICY_PROMOTE ? DK_PROMOTE_PROMOTE : DK_PROMOTE_ROLLBACK,
			.platform = param(params, "platform_id"),
			.target = param(params, "target_publication_id"),
			.expected_default = param(params, "expected_default"),
			.reason = param(params, "reason"),
			.actor = approver,
			.actor_kind = DK_ACTOR_OPERATOR,
			.approval_id = a->id,
		};
		dk_promote_plan plan;

		if (!req.platform || !req.target)
			return dk_error_set(DK_EINVALID, "approval %s has no pinned target", a->id);
		rc = dk_promote(store, &plan, account_id, &req);
		dk_promote_plan_clear(&plan);
		return rc;
	}
	case DK_POLICY_RETENTION_UPDATE: {
		dk_platform_spec spec = { .set = DK_PLATFORM_RETENTION };
		dk_platform *p = NULL;

		spec.retention_count = (int)json_integer_value(json_object_get(params, "count"));
		rc = dk_platform_update(store, &p, account_id, param(params, "platform_id"), &spec, approver);
		dk_platform_free(p);
		return rc;
	}
	case DK_POLICY_RETENTION_PRUNE:
		/* Recorded as approved; the next retention sweep purges the row. */
		return 0;
	default:
		return dk_error_set(DK_ERROR, "approval %s: %s actions cannot be carried out by this "
				    "version of diskops", a->id, a->category);
	}
}

static int
decide(dk_store *store, const char *account_id, const char *id, const char *approver,
       const char *reason, bool approve)
{
	char who[128], requester[128];
	dk_approval *a = NULL;
	json_t *params = NULL, *payload;
	int rc, expired;

	if ((rc = dk_approval_expire(store, &expired)) < 0 ||
	    (rc = dk_approval_get(store, &a, account_id, id)) < 0)
		return rc;
	if (strcmp(a->state, "pending") != 0) {
		rc = dk_error_set(DK_ESTATE, "approval %s is %s, not pending", a->id, a->state);
		goto done;
	}
	dk_actor_person(who, sizeof(who), approver);
	dk_actor_person(requester, sizeof(requester), a->requested_by);
	if (approve && strcmp(who, requester) == 0) {
		rc = dk_error_set(DK_EAUTH, "approval %s was requested by %s: a second person must "
				  "approve it", a->id, requester);
		goto done;
	}
	if (!(params = json_loads(a->params ? a->params : "{}", 0, NULL))) {
		rc = dk_error_set(DK_EINVALID, "approval %s has unreadable parameters", a->id);
		goto done;
	}
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	/* Decided first: a concurrent approver loses here, before the action runs twice. */
	if ((rc = dk_store_approval_decide(store, account_id, a->id, approve ? "approved" : "rejected",
					   approver, reason)) < 0 ||
	    (approve && (rc = execute(store, account_id, a, params, approver)) < 0)) {
		dk_store_rollback(store);
		goto done;
	}
	payload = json_pack("{s:s, s:s, s:s, s:s, s:o}", "approval_id", a->id, "category", a->category,
			    "requested_by", a->requested_by, "decided_by", approver,
			    "reason", reason ? json_string(reason) : json_null());
	dk_event_emit(store, account_id, approve ? "system.approval_approved" : "system.approval_rejected",
		      "info", "operator", a->id, payload);
	json_decref(payload);
	rc = dk_store_commit(store);
done:
	json_decref(params);
	dk_approval_free(a);
	return rc;
}

int
dk_approval_approve(dk_store *store, const char *account_id, const char *id, const char *approver)
{
	return decide(store, account_id, id, approver, NULL, true);
}

int
dk_approval_reject(dk_store *store, const char *account_id, const char *id, const char *approver,
		   const char *reason)
{
	return decide(store, account_id, id, approver, reason, false);
}
