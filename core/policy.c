#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/policy.h"
#include "diskops/uuid.h"

static const char *const category_names[DK_POLICY__COUNT] = {
	"promote", "rollback", "retention_update", "retention_prune", "webhook_rotate_secret",
	"webhook_revoke",
};

static const char *const mode_names[DK_MODE__COUNT] = {
	"auto_approve", "notify_and_proceed", "require_approval", "block",
};

/* Operators act at once; the agent asks first where the original's seeds did (§15). */
static const dk_policy_mode operator_default[DK_POLICY__COUNT] = {
	[DK_POLICY_PROMOTE] = DK_MODE_NOTIFY_AND_PROCEED,
	[DK_POLICY_ROLLBACK] = DK_MODE_NOTIFY_AND_PROCEED,
	[DK_POLICY_RETENTION_UPDATE] = DK_MODE_AUTO_APPROVE,
	[DK_POLICY_RETENTION_PRUNE] = DK_MODE_AUTO_APPROVE,
	[DK_POLICY_WEBHOOK_ROTATE_SECRET] = DK_MODE_NOTIFY_AND_PROCEED,
	[DK_POLICY_WEBHOOK_REVOKE] = DK_MODE_NOTIFY_AND_PROCEED,
};

static const dk_policy_mode agent_default[DK_POLICY__COUNT] = {
	[DK_POLICY_PROMOTE] = DK_MODE_REQUIRE_APPROVAL,
	[DK_POLICY_ROLLBACK] = DK_MODE_REQUIRE_APPROVAL,
	[DK_POLICY_RETENTION_UPDATE] = DK_MODE_AUTO_APPROVE,
	[DK_POLICY_RETENTION_PRUNE] = DK_MODE_AUTO_APPROVE,
	[DK_POLICY_WEBHOOK_ROTATE_SECRET] = DK_MODE_NOTIFY_AND_PROCEED,
	[DK_POLICY_WEBHOOK_REVOKE] = DK_MODE_REQUIRE_APPROVAL,
};

const char *
dk_policy_category_name(dk_policy_category c)
{
	return (unsigned)c < DK_POLICY__COUNT ? category_names[c] : "unknown";
}

int
dk_policy_category_parse(dk_policy_category *out, const char *name)
{
	for (int i = 0; i < DK_POLICY__COUNT; i++) {
		if (name && strcmp(name, category_names[i]) == 0) {
			*out = (dk_policy_category)i;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID, "policy category \"%s\" is not one of promote, rollback, "
			    "retention_update, retention_prune, webhook_rotate_secret, webhook_revoke",
			    name ? name : "");
}

const char *
dk_policy_mode_name(dk_policy_mode m)
{
	return (unsigned)m < DK_MODE__COUNT ? mode_names[m] : "unknown";
}

int
dk_policy_mode_parse(dk_policy_mode *out, const char *name)
{
	for (int i = 0; i < DK_MODE__COUNT; i++) {
		if (name && strcmp(name, mode_names[i]) == 0) {
			*out = (dk_policy_mode)i;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID, "policy mode \"%s\" is not one of auto_approve, "
			    "notify_and_proceed, require_approval, block", name ? name : "");
}

int
dk_policy_mode_for(dk_store *store, dk_policy_mode *out, bool *is_default, const char *account_id,
		   dk_policy_category c, dk_actor_kind kind)
{
	char *mode = NULL;
	int rc;

	if ((rc = dk_store_policy_get(store, account_id, dk_policy_category_name(c), &mode)) < 0)
		return rc;
	if (is_default)
		*is_default = mode == NULL;
	if (mode)
		rc = dk_policy_mode_parse(out, mode);
	else
		*out = kind == DK_ACTOR_AGENT ? agent_default[c] : operator_default[c];
	free(mode);
	return rc;
}

int
dk_policy_set(dk_store *store, const char *account_id, dk_policy_category c, dk_policy_mode mode,
	      const char *actor)
{
	json_t *payload;
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_policy_put(store, account_id, dk_policy_category_name(c),
				      dk_policy_mode_name(mode))) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	payload = json_pack("{s:s, s:s, s:s}", "category", dk_policy_category_name(c),
			    "mode", dk_policy_mode_name(mode), "actor", actor ? actor : "unknown");
	dk_event_emit(store, account_id, "system.policy_changed", "info", "operator", NULL, payload);
	json_decref(payload);
	return dk_store_commit(store);
}

void
dk_actor_person(char *out, size_t len, const char *actor)
{
	const char *at = actor ? strchr(actor, '@') : NULL;

	if (!actor)
		snprintf(out, len, "unknown");
	else if (at)
		snprintf(out, len, "%.*s", (int)(at - actor), actor);
	else
		snprintf(out, len, "%s", actor);
}

static json_t *
decision_payload(const dk_gate_request *req, dk_policy_mode mode, const char *approval_id)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "category", dk_policy_category_name(req->category),
			      "mode", dk_policy_mode_name(mode), "actor", req->actor ? req->actor : "unknown",
			      "description", req->description ? req->description : "");

	if (approval_id)
		json_object_set_new(p, "approval_id", json_string(approval_id));
	if (req->params)
		json_object_set(p, "params", req->params);
	return p;
}

int
dk_policy_gate(dk_store *store, char **approval_id, const char *account_id,
	       const dk_gate_request *req)
{
	char id[DK_UUID_LEN + 1];
	dk_policy_mode mode;
	dk_approval a = { 0 };
	json_t *payload;
	int rc;

	if (approval_id)
		*approval_id = NULL;
	if ((rc = dk_policy_mode_for(store, &mode, NULL, account_id, req->category, req->actor_kind)) < 0)
		return rc;
	switch (mode) {
	case DK_MODE_AUTO_APPROVE:
		return 0;
	case DK_MODE_NOTIFY_AND_PROCEED:
		payload = decision_payload(req, mode, NULL);
		dk_event_emit(store, account_id, "system.policy_notified", "info", "policy",
			      req->subject_id, payload);
		json_decref(payload);
		return 0;
	case DK_MODE_BLOCK:
		payload = decision_payload(req, mode, NULL);
		dk_event_emit(store, account_id, "system.policy_blocked", "warning", "policy",
			      req->subject_id, payload);
		json_decref(payload);
		return dk_error_set(DK_EAUTH, "Action blocked by policy (%s is set to block)",
				    dk_policy_category_name(req->category));
	default:
		break;
	}
	dk_uuid_v4(id);
	a.id = id;
	a.account_id = (char *)account_id;
	a.category = (char *)dk_policy_category_name(req->category);
	a.params = req->params ? json_dumps(req->params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	a.requested_by = (char *)(req->actor ? req->actor : "unknown");
	a.created_at = dk_clock_now();
	a.expires_at = a.created_at + DK_APPROVAL_TTL_SECONDS;
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	if ((rc = dk_store_approval_insert(store, &a)) < 0) {
		dk_store_rollback(store);
		goto done;
	}
	payload = decision_payload(req, mode, id);
	dk_event_emit(store, account_id, "system.approval_requested", "warning", "policy",
		      req->subject_id, payload);
	json_decref(payload);
	if ((rc = dk_store_commit(store)) < 0)
		goto done;
	if (approval_id && !(*approval_id = strdup(id))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	rc = dk_error_set(DK_EPENDING, "approval required: %s is waiting for a second person "
			  "(`diskops approvals approve %.8s`)", req->description ? req->description
			  : dk_policy_category_name(req->category), id);
done:
	free(a.params);
	return rc;
}
