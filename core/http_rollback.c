#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/promote.h"
#include "http_internal.h"

/*
 * POST /api/v1/system/node_platforms/<id>/rollback_disk_image {publication_id, reason?,
 * expected_default_publication_id?}: the same dk_promote as `diskops rollback`, acting as
 * the token's subject (powernode-behaviour.md §11.1; its later executor's behaviour).
 */

static const char *
string_member(json_t *o, const char *name, bool *bad)
{
	json_t *v = json_object_get(o, name);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || !*json_string_value(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* The refusals: what the operator asked for cannot be done (422), or the state moved or
 * already is what was asked (409). */
static void
refusal(http_resp *out, int rc)
{
	const char *msg = dk_error_last()->message;

	switch (rc) {
	case DK_ECONFLICT:
		http_error(out, 409, "CONFLICT", msg);
		break;
	case DK_ENOTFOUND:      /* the publication is on another platform */
	case DK_ESTATE:
	case DK_EVERIFY:
	case DK_EINVALID:
		http_error(out, 422, "NOT_PROMOTABLE", msg);
		break;
	case DK_EAUTH:          /* the rollback policy is block */
		http_error(out, 422, "POLICY_BLOCKED", msg);
		break;
	default:
		http_error(out, 500, "INTERNAL_ERROR", "store unavailable");
	}
}

void
http_rollback(http_req *r, dk_store *st, const char *account_id, const char *actor,
	      const char *platform, http_resp *out)
{
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .actor = actor,
				   .actor_kind = DK_ACTOR_OPERATOR };
	dk_promote_plan plan = { 0 };
	dk_platform *p = NULL;
	dk_publication *target = NULL;
	json_t *body = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	bool bad = false;
	int rc;

	if (!json_is_object(body)) {
		http_error(out, 422, "VALIDATION_ERROR", "body must be a JSON object with publication_id");
		goto done;
	}
	req.target = string_member(body, "publication_id", &bad);
	req.reason = string_member(body, "reason", &bad);
	req.expected_default = string_member(body, "expected_default_publication_id", &bad);
	if (bad || !req.target) {
		http_error(out, 422, "VALIDATION_ERROR", "publication_id is required (a string); reason "
			   "and expected_default_publication_id are optional strings");
		goto done;
	}
	/* Both lookups stay inside the token's account: anything else is simply not found. */
	if ((rc = dk_store_platform_find(st, &p, account_id, platform)) < 0) {
		if (rc == DK_ENOTFOUND)
			http_error(out, 404, "NOT_FOUND", "Node Platform not found");
		else
			refusal(out, rc);
		goto done;
	}
	if ((rc = dk_store_publication_get(st, &target, account_id, req.target)) < 0) {
		if (rc == DK_ENOTFOUND)
			http_error(out, 404, "NOT_FOUND", "DiskImagePublication not found");
		else
			refusal(out, rc);
		goto done;
	}
	req.platform = p->id;
	req.target = target->id;
	rc = dk_promote(st, &plan, account_id, &req);
	if (rc == DK_EPENDING) {
		http_json(out, 202, json_pack("{s:b, s:s, s:{s:b, s:s, s:s, s:s}}", "success", 1,
					      "message", "Approval required to roll back disk image",
					      "data", "pending", 1, "approval_id", plan.approval_id,
					      "platform_id", plan.platform_id,
					      "target_publication_id", plan.target_id));
	} else if (rc < 0) {
		refusal(out, rc);
	} else {
		http_json(out, 200, json_pack("{s:b, s:{s:s, s:s, s:s, s:o, s:o, s:b}}", "success", 1,
					      "data", "platform_id", plan.platform_id,
					      "activated_publication_id", plan.target_id,
					      "activated_git_sha", plan.target_git_sha,
					      "previous_publication_id", plan.previous_id ?
					      json_string(plan.previous_id) : json_null(),
					      "disk_image_oci_ref", plan.pinned_ref ?
					      json_string(plan.pinned_ref) : json_null(),
					      "reactivated", plan.reactivate));
	}
done:
	dk_promote_plan_clear(&plan);
	dk_publication_free(target);
	dk_platform_free(p);
	json_decref(body);
}
