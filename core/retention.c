#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"
#include "diskops/platform.h"
#include "diskops/retention.h"
#include "diskops/valid.h"

#define DUP(s) ((s) ? strdup(s) : NULL)

static const char *const action_names[] = { "retire", "purge", "purge_shared", "pending", "error" };

const char *
dk_retention_action_name(dk_retention_action a)
{
	return (unsigned)a <= DK_RETAIN_ERROR ? action_names[a] : "unknown";
}

void
dk_retention_report_clear(dk_retention_report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].platform_name);
		free(r->items[i].publication_id);
		free(r->items[i].git_sha);
		free(r->items[i].digest);
		free(r->items[i].error);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void
note(dk_retention_report *r, const dk_publication *p, dk_retention_action a, const char *error)
{
	dk_retention_item *grown = realloc(r->items, (r->count + 1) * sizeof(*grown));

	if (!grown)
		return;
	r->items = grown;
	grown[r->count].platform_name = DUP(p->platform_name);
	grown[r->count].publication_id = DUP(p->id);
	grown[r->count].git_sha = DUP(p->git_sha);
	grown[r->count].digest = DUP(p->oci_digest);
	grown[r->count].action = a;
	grown[r->count].error = DUP(error);
	r->count++;
	switch (a) {
	case DK_RETAIN_RETIRE: r->retired++; break;
	case DK_RETAIN_PURGE: r->purged++; r->deleted++; break;
	case DK_RETAIN_PURGE_SHARED: r->purged++; break;
	case DK_RETAIN_PENDING: r->pending++; break;
	case DK_RETAIN_ERROR: r->errors++; break;
	}
}

/* Keep the default and the newest count-1 others; retire the rest. */
static int
retire_step(dk_store *store, dk_retention_report *r, const dk_platform *plat,
	    const dk_retention_options *o)
{
	dk_publication_filter f = { .account_id = plat->account_id, .platform_id = plat->id,
				    .status = DK_PUB_PUBLISHED, .limit = 1000, .by_published_at = true };
	int keep = plat->retention_count < 1 ? 1 : plat->retention_count;
	int kept = plat->default_publication_id ? 1 : 0;
	dk_publication_list *l;
	int rc;

	if ((rc = dk_store_publication_list(store, &l, &f)) < 0)
		return rc;
	for (size_t i = 0; i < l->count; i++) {
		const dk_publication *p = &l->items[i];

		if (p->is_default)
			continue;
		if (kept < keep) {
			kept++;
			continue;
		}
		if (!o->dry_run &&
		    dk_store_publication_transition(store, plat->account_id, p->id, DK_PUB_RETIRED, NULL) < 0) {
			note(r, p, DK_RETAIN_ERROR, dk_error_last()->message);
			continue;
		}
		note(r, p, DK_RETAIN_RETIRE, NULL);
	}
	dk_publication_list_free(l);
	return 0;
}

/*
 * Whether the retention_prune policy lets this purge happen now. require_approval parks
 * one approval per row and purges it on a later sweep once someone approved.
 */
static int
prune_allowed(dk_store *store, bool *allowed, const dk_publication *p, const dk_retention_options *o)
{
	dk_policy_mode mode;
	char *state = NULL;
	int rc;

	*allowed = false;
	if ((rc = dk_policy_mode_for(store, &mode, NULL, p->account_id, DK_POLICY_RETENTION_PRUNE,
				     o->actor_kind)) < 0)
		return rc;
	if (mode == DK_MODE_BLOCK)
		return 0;
	if (mode != DK_MODE_REQUIRE_APPROVAL) {
		*allowed = true;
		return 0;
	}
	if ((rc = dk_store_approval_state_for(store, &state, p->account_id, "retention_prune",
					      "publication_id", p->id)) < 0)
		return rc;
	if (state && strcmp(state, "approved") == 0) {
		*allowed = true;
	} else if (!o->dry_run && (!state || strcmp(state, "pending") != 0)) {
		dk_gate_request g = { .category = DK_POLICY_RETENTION_PRUNE, .actor = o->actor,
				      .actor_kind = o->actor_kind, .subject_id = p->id };
		json_t *params = json_pack("{s:s, s:s, s:s}", "publication_id", p->id,
					   "platform_name", p->platform_name, "git_sha", p->git_sha);
		char desc[160], *id = NULL;

		snprintf(desc, sizeof(desc), "Purge %s %.12s from the registry", p->platform_name, p->git_sha);
		g.params = params;
		g.description = desc;
		rc = dk_policy_gate(store, &id, p->account_id, &g);
		json_decref(params);
		free(id);
		if (rc != DK_EPENDING && rc < 0)
			goto done;
		rc = 0;
	}
done:
	free(state);
	return rc;
}

static int
purge_step(dk_store *store, dk_retention_report *r, const dk_platform *plat,
	   const dk_retention_options *o, int64_t cutoff)
{
	dk_publication_filter f = { .account_id = plat->account_id, .platform_id = plat->id,
				    .status = DK_PUB_RETIRED, .limit = 1000, .retired_before = cutoff };
	dk_publication_list *l;
	int rc;

	if ((rc = dk_store_publication_list(store, &l, &f)) < 0)
		return rc;
	for (size_t i = 0; i < l->count && rc == 0; i++) {
		const dk_publication *p = &l->items[i];
		bool allowed, shared = false;

		if (!p->retired_at)
			continue;
		if ((rc = prune_allowed(store, &allowed, p, o)) < 0)
			break;
		if (!allowed) {
			note(r, p, DK_RETAIN_PENDING, NULL);
			continue;
		}
		if (p->oci_digest && (rc = dk_store_digest_in_use(store, &shared, p->oci_digest, p->id)) < 0)
			break;
		if (o->dry_run) {
			note(r, p, shared || !p->oci_digest ? DK_RETAIN_PURGE_SHARED : DK_RETAIN_PURGE, NULL);
			continue;
		}
		/* The registry goes first: a row is purged only once its manifest is really gone. */
		if (!shared && p->oci_digest && p->oci_ref && o->delete_manifest &&
		    o->delete_manifest(o->payload, p->oci_ref, p->oci_digest) < 0) {
			char msg[600];

			snprintf(msg, sizeof(msg), "purge failed for %s: %s", p->id, dk_error_last()->message);
			dk_log_warn("msg=\"registry delete failed\" publication=%s digest=%s", p->id, p->oci_digest);
			note(r, p, DK_RETAIN_ERROR, msg);
			continue;
		}
		if (dk_store_publication_transition(store, plat->account_id, p->id, DK_PUB_PURGED, NULL) < 0) {
			note(r, p, DK_RETAIN_ERROR, dk_error_last()->message);
			continue;
		}
		note(r, p, shared || !p->oci_digest || !o->delete_manifest ? DK_RETAIN_PURGE_SHARED
		     : DK_RETAIN_PURGE, NULL);
	}
	dk_publication_list_free(l);
	return rc;
}

static void
emit_swept(dk_store *store, const dk_platform *plat, const dk_retention_report *r, size_t from,
	   int retired, int purged)
{
	json_t *deleted = json_array(), *payload;

	for (size_t i = from; i < r->count; i++) {
		if (r->items[i].action == DK_RETAIN_PURGE && r->items[i].digest)
			json_array_append_new(deleted, json_string(r->items[i].digest));
	}
	payload = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o}", "platform_id", plat->id,
			    "platform_name", plat->name, "retained_count", plat->retention_count,
			    "retired_count", retired, "purged_count", purged, "deleted_digests", deleted);
	dk_event_emit(store, plat->account_id, "system.disk_image_retention_swept", "info",
		      "retention_sweep", plat->id, payload);
	json_decref(payload);
}

static int
sweep_platform(dk_store *store, dk_retention_report *r, const dk_platform *plat,
	       const dk_retention_options *o, int64_t cutoff)
{
	size_t from = r->count;
	int retired0 = r->retired, purged0 = r->purged, rc;

	if ((rc = retire_step(store, r, plat, o)) < 0 ||
	    (rc = purge_step(store, r, plat, o, cutoff)) < 0)
		return rc;
	if (!o->dry_run && (r->retired > retired0 || r->purged > purged0))
		emit_swept(store, plat, r, from, r->retired - retired0, r->purged - purged0);
	return 0;
}

int
dk_retention_sweep(dk_store *store, dk_retention_report *out, const char *account_id,
		   const dk_retention_options *o)
{
	int grace = o->grace_days > 0 ? o->grace_days : 7;
	int64_t cutoff = dk_clock_now() - (int64_t)grace * 86400;
	dk_platform_list *plats = NULL;
	dk_platform *one = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o->platform) {
		if ((rc = dk_store_platform_find(store, &one, account_id, o->platform)) < 0)
			return rc;
		rc = sweep_platform(store, out, one, o, cutoff);
		dk_platform_free(one);
		return rc;
	}
	if ((rc = dk_store_platform_list(store, &plats, account_id)) < 0)
		return rc;
	for (size_t i = 0; i < plats->count && rc == 0; i++)
		rc = sweep_platform(store, out, &plats->items[i], o, cutoff);
	dk_platform_list_free(plats);
	return rc;
}

int
dk_retention_set(dk_store *store, const char *account_id, const char *platform, int count,
		 const char *actor, dk_actor_kind kind)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_RETENTION, .retention_count = count };
	dk_gate_request g = { .category = DK_POLICY_RETENTION_UPDATE, .actor = actor, .actor_kind = kind };
	dk_platform *p = NULL, *updated = NULL;
	char desc[160], *approval = NULL;
	json_t *params;
	int rc;

	if ((rc = dk_valid_retention(count)) < 0 ||
	    (rc = dk_store_platform_find(store, &p, account_id, platform)) < 0)
		return rc;
	snprintf(desc, sizeof(desc), "Keep %d published images of %s", count, p->name);
	params = json_pack("{s:s, s:i}", "platform_id", p->id, "count", count);
	g.params = params;
	g.subject_id = p->id;
	g.description = desc;
	rc = dk_policy_gate(store, &approval, account_id, &g);
	json_decref(params);
	free(approval);
	if (rc == 0)
		rc = dk_platform_update(store, &updated, account_id, p->id, &spec, actor);
	dk_platform_free(updated);
	dk_platform_free(p);
	return rc;
}
