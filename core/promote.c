#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/promote.h"

#define DUP(s) ((s) ? strdup(s) : NULL)

char *
dk_pin_reference(const char *oci_ref, const char *digest)
{
	const char *slash, *cut;
	char *out;
	size_t len;

	if (!oci_ref || !*oci_ref)
		return NULL;
	if (!digest || !*digest)
		return strdup(oci_ref);
	/* The tag or digest starts after the last '/', so a registry port is left alone. */
	slash = strrchr(oci_ref, '/');
	cut = strpbrk(slash ? slash : oci_ref, ":@");
	len = cut ? (size_t)(cut - oci_ref) : strlen(oci_ref);
	if (asprintf(&out, "%.*s@%s", (int)len, oci_ref, digest) < 0)
		return NULL;
	return out;
}

void
dk_promote_plan_clear(dk_promote_plan *p)
{
	if (!p)
		return;
	free(p->platform_id);
	free(p->platform_name);
	free(p->previous_id);
	free(p->previous_git_sha);
	free(p->target_id);
	free(p->target_git_sha);
	free(p->target_status);
	free(p->target_digest);
	free(p->target_signer);
	free(p->pinned_ref);
	free(p->approval_id);
	memset(p, 0, sizeof(*p));
}

static int
pick_target(dk_store *store, dk_publication **out, const char *account_id, const dk_platform *plat)
{
	int rc = dk_store_publication_latest(store, out, account_id, plat->id, DK_PUB_RETIRED, NULL);

	if (rc == DK_ENOTFOUND)
		rc = dk_store_publication_latest(store, out, account_id, plat->id, DK_PUB_PUBLISHED,
						 plat->default_publication_id);
	if (rc == DK_ENOTFOUND)
		rc = dk_error_set(DK_ENOTFOUND, "No prior publication to roll back to on platform %s "
				  "(nothing retired or published besides the default)", plat->name);
	return rc;
}

/* Every refusal of DESIGN §6 and issue 6, in the order an operator would want to hear it. */
static int
check_target(const dk_platform *plat, const dk_publication *t)
{
	if (strcmp(t->node_platform_id, plat->id) != 0)
		return dk_error_set(DK_ENOTFOUND, "publication %s not found for platform %s (it "
				    "belongs to %s)", t->id, plat->name, t->platform_name);
	if (t->status == DK_PUB_PURGED)
		return dk_error_set(DK_ESTATE, "Cannot roll back to a purged publication: its image "
				    "was deleted from the registry after the grace period. Re-trigger "
				    "CI to rebuild.");
	if (t->status != DK_PUB_PUBLISHED && t->status != DK_PUB_RETIRED)
		return dk_error_set(DK_ESTATE, "cannot promote publication %s: status=%s (must be "
				    "published or retired)", t->id, dk_pub_status_name(t->status));
	if (!t->published_at)
		return dk_error_set(DK_ESTATE, "cannot promote publication %s: it was never published "
				    "(retired by stuck-build cleanup)", t->id);
	if (!t->cosign_verified)
		return dk_error_set(DK_EVERIFY, "cannot promote publication %s: its signature was "
				    "never verified", t->id);
	if (t->is_default)
		return dk_error_set(DK_ECONFLICT, "publication %s is already the default of platform "
				    "%s", t->id, plat->name);
	return 0;
}

int
dk_promote_plan_make(dk_store *store, dk_promote_plan *out, const char *account_id,
		     const dk_promote_request *req)
{
	dk_platform *plat = NULL;
	dk_publication *target = NULL, *prev = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req->target && (rc = dk_store_publication_get(store, &target, account_id, req->target)) < 0)
		goto done;
	if (!req->platform && !target) {
		rc = dk_error_set(DK_EINVALID, "give a platform or a publication");
		goto done;
	}
	if ((rc = dk_store_platform_find(store, &plat, account_id,
					 req->platform ? req->platform : target->node_platform_id)) < 0)
		goto done;
	if (!target && (rc = pick_target(store, &target, account_id, plat)) < 0)
		goto done;
	if ((rc = check_target(plat, target)) < 0)
		goto done;
	if (plat->default_publication_id &&
	    (rc = dk_store_publication_get(store, &prev, account_id, plat->default_publication_id)) < 0)
		goto done;
	out->platform_id = DUP(plat->id);
	out->platform_name = DUP(plat->name);
	out->previous_id = prev ? DUP(prev->id) : NULL;
	out->previous_git_sha = prev ? DUP(prev->git_sha) : NULL;
	out->target_id = DUP(target->id);
	out->target_git_sha = DUP(target->git_sha);
	out->target_status = DUP(dk_pub_status_name(target->status));
	out->target_digest = DUP(target->oci_digest);
	out->target_signer = DUP(target->cosign_identity ? target->cosign_identity : target->signature_kind);
	out->pinned_ref = dk_pin_reference(target->oci_ref, target->oci_digest);
	out->target_built_at = target->built_at ? target->built_at : target->created_at;
	out->reactivate = target->status == DK_PUB_RETIRED;
done:
	dk_platform_free(plat);
	dk_publication_free(target);
	dk_publication_free(prev);
	if (rc < 0)
		dk_promote_plan_clear(out);
	return rc;
}

static void
emit_rolled_back(dk_store *store, const char *account_id, const dk_promote_plan *p,
		 const dk_promote_request *req)
{
	json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}",
				    "action", req->action == DK_PROMOTE_PROMOTE ? "promote" : "rollback",
				    "platform_id", p->platform_id, "platform_name", p->platform_name,
				    "activated_publication_id", p->target_id,
				    "activated_git_sha", p->target_git_sha,
				    "previous_publication_id", p->previous_id ? json_string(p->previous_id) : json_null(),
				    "previous_git_sha", p->previous_git_sha ? json_string(p->previous_git_sha) : json_null(),
				    "actor", req->actor ? req->actor : "unknown",
				    "reason", req->reason ? json_string(req->reason) : json_null(),
				    "approval_id", req->approval_id ? json_string(req->approval_id) : json_null());

	dk_event_emit(store, account_id, "system.disk_image_rolled_back", "warning",
		      req->actor_kind == DK_ACTOR_AGENT ? "agent" : "operator", p->platform_id, payload);
	json_decref(payload);
}

static int
gate(dk_store *store, dk_promote_plan *p, const char *account_id, const dk_promote_request *req)
{
	char desc[256];
	dk_gate_request g = { 0 };
	json_t *params;
	int rc;

	snprintf(desc, sizeof(desc), "%s %s to %.12s (publication %.8s)",
		 req->action == DK_PROMOTE_PROMOTE ? "Promote" : "Roll back", p->platform_name,
		 p->target_git_sha, p->target_id);
	/* The target is pinned: approving later cannot pick a different row. */
	params = json_pack("{s:s, s:s, s:s, s:o, s:o}", "platform_id", p->platform_id,
			   "target_publication_id", p->target_id,
			   "action", req->action == DK_PROMOTE_PROMOTE ? "promote" : "rollback",
			   "expected_default", json_string(p->previous_id ? p->previous_id : ""),
			   "reason", req->reason ? json_string(req->reason) : json_null());
	g.category = req->action == DK_PROMOTE_PROMOTE ? DK_POLICY_PROMOTE : DK_POLICY_ROLLBACK;
	g.actor = req->actor;
	g.actor_kind = req->actor_kind;
	g.params = params;
	g.subject_id = p->platform_id;
	g.description = desc;
	rc = dk_policy_gate(store, &p->approval_id, account_id, &g);
	json_decref(params);
	return rc;
}

int
dk_promote(dk_store *store, dk_promote_plan *out, const char *account_id,
	   const dk_promote_request *req)
{
	dk_promote_plan *p = out;
	const char *expected;
	int rc;

	if ((rc = dk_promote_plan_make(store, p, account_id, req)) < 0)
		return rc;
	if (!req->approval_id && (rc = gate(store, p, account_id, req)) < 0)
		return rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	/* Plan again under the write lock: what we checked may have changed meanwhile. */
	{
		dk_promote_request pinned = *req;
		dk_promote_plan now;

		pinned.target = p->target_id;
		pinned.platform = p->platform_id;
		if ((rc = dk_promote_plan_make(store, &now, account_id, &pinned)) < 0)
			goto fail;
		expected = req->expected_default;
		if (expected && strcmp(expected, now.previous_id ? now.previous_id : "") != 0) {
			rc = dk_error_set(DK_ECONFLICT, "the default of %s changed while you decided "
					  "(it is now %.12s): look again and retry", now.platform_name,
					  now.previous_git_sha ? now.previous_git_sha : "none");
			dk_promote_plan_clear(&now);
			goto fail;
		}
		free(now.approval_id);
		now.approval_id = p->approval_id;
		p->approval_id = NULL;
		dk_promote_plan_clear(p);
		*p = now;
	}
	if (p->reactivate &&
	    (rc = dk_store_publication_transition(store, account_id, p->target_id, DK_PUB_PUBLISHED, NULL)) < 0)
		goto fail;
	if ((rc = dk_store_platform_set_default(store, account_id, p->platform_id, p->target_id,
						p->pinned_ref)) < 0)
		goto fail;
	if (p->previous_id &&
	    (rc = dk_store_publication_transition(store, account_id, p->previous_id, DK_PUB_RETIRED, NULL)) < 0)
		goto fail;
	emit_rolled_back(store, account_id, p, req);
	return dk_store_commit(store);
fail:
	dk_store_rollback(store);
	return rc;
}
