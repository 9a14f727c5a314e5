#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"
#include "diskops/policy.h"
#include "diskops/retention.h"
#include "diskops/serve_agent.h"
#include "store_alert_rules.h"

/* Marks each account's daily sweep, so a restart of serve or a cron `agent tick` neither
 * skips nor repeats a day. */
#define DAILY_SWEPT "system.disk_image_retention_daily"

static int64_t
threshold_for(const char *rule, const dk_config *cfg)
{
	if (strcmp(rule, "ingest_stuck") == 0)
		return cfg->ingest_stuck_minutes;
	if (strcmp(rule, "signature_rejections") == 0)
		return cfg->signature_rejections;
	if (strcmp(rule, "run_overdue") == 0)
		return cfg->stuck_run_minutes;
	if (strcmp(rule, "queued_no_runner") == 0)
		return cfg->queued_no_runner_minutes;
	if (strcmp(rule, "webhook_missing") == 0)
		return cfg->webhook_missing_minutes;
	return 0;
}

static void
emit_alert(dk_store *store, const char *account_id, const char *kind, const char *rule,
	   const char *subject, const char *severity, const char *detail)
{
	json_t *payload = json_pack("{s:s, s:s, s:s}", "rule", rule, "subject", subject,
				    "detail", detail ? detail : "");

	dk_event_emit(store, account_id, kind, severity, "agent", subject, payload);
	json_decref(payload);
}

/* Raise every subject the rule finds; resolve the ones it no longer finds. */
static int
evaluate(dk_store *store, const char *account_id, size_t rule, const dk_config *cfg, int64_t now,
	 dk_agent_report *rep)
{
	const char *severity, *name = dk_store__alert_rule_name(rule, &severity);
	dk_alert_candidate_list found;
	const char **keep = NULL;
	int rc, resolved = 0;

	if ((rc = dk_store__alert_candidates(store, &found, rule, account_id, now,
					     threshold_for(name, cfg))) < 0)
		return rc;
	if (found.count && !(keep = calloc(found.count, sizeof(*keep)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < found.count; i++) {
		bool opened;

		keep[i] = found.items[i].subject;
		if ((rc = dk_store_alert_raise(store, account_id, name, found.items[i].subject, severity,
					       found.items[i].detail, now, &opened)) < 0)
			goto done;
		if (opened) {
			rep->opened++;
			emit_alert(store, account_id, "system.disk_image_alert_opened", name,
				   found.items[i].subject, severity, found.items[i].detail);
			dk_log_warn("msg=\"alert opened\" rule=%s subject=%s", name, found.items[i].subject);
		} else {
			rep->refreshed++;
		}
	}
	rc = dk_store_alert_resolve_except(store, account_id, name, keep, found.count, now, &resolved);
	rep->resolved += resolved;
done:
	free(keep);
	dk_store__alert_candidates_clear(&found);
	return rc;
}

/* failed/verifying rows older than the grace are retired (issue 6, "stuck cleanup"). */
static int
retire_stuck(dk_store *store, const char *account_id, const dk_config *cfg, int64_t now,
	     dk_agent_report *rep)
{
	static const dk_pub_status stuck[] = { DK_PUB_FAILED, DK_PUB_VERIFYING };
	int rc = 0;

	for (size_t s = 0; s < 2 && rc == 0; s++) {
		dk_publication_filter f = {
			.account_id = account_id, .status = (int)stuck[s], .limit = 1000,
			.created_before = now - (int64_t)cfg->grace_days * 86400,
		};
		dk_publication_list *l;

		if ((rc = dk_store_publication_list(store, &l, &f)) < 0)
			return rc;
		for (size_t i = 0; i < l->count; i++) {
			json_t *payload;

			if ((rc = dk_store_publication_transition(store, account_id, l->items[i].id,
								  DK_PUB_RETIRED, NULL)) < 0)
				break;
			rep->stuck_retired++;
			payload = json_pack("{s:s, s:s, s:s, s:s}", "publication_id", l->items[i].id,
					    "platform_name", l->items[i].platform_name,
					    "git_sha", l->items[i].git_sha,
					    "was", dk_pub_status_name(stuck[s]));
			dk_event_emit(store, account_id, "system.disk_image_stuck_retired", "info",
				      "agent", l->items[i].id, payload);
			json_decref(payload);
		}
		dk_publication_list_free(l);
	}
	return rc;
}

/*
 * The daily retention sweep (03:30 UTC) is due when the account has none recorded since
 * the latest 03:30 at or before now. It runs outside the tick's transaction: it talks to
 * the registry, and each row's change is its own. A sweep that fails as a whole is not
 * recorded, so the next tick tries again.
 */
static void
daily_sweep(dk_store *store, const dk_account *acct, const dk_config *cfg, int64_t now,
	    dk_agent_report *rep)
{
	dk_retention_options o = { .grace_days = cfg->grace_days, .actor = "agent",
				   .actor_kind = DK_ACTOR_AGENT,
				   .delete_manifest = dk_retention_registry_delete,
				   .payload = (void *)cfg };
	dk_retention_report r;
	json_t *payload;

	if (dk_event_newest(store, acct->id, DAILY_SWEPT) >= dk_serve_agent_next_sweep(now) - 86400)
		return;
	if (dk_retention_sweep(store, &r, acct->id, &o) < 0) {
		dk_log_error("msg=\"daily retention failed\" account=%s error=\"%s\"", acct->name,
			     dk_error_last()->message);
		dk_retention_report_clear(&r);
		return;
	}
	rep->swept++;
	rep->retired += r.retired;
	rep->purged += r.purged;
	rep->sweep_errors += r.errors;
	payload = json_pack("{s:i, s:i, s:i, s:i, s:i}", "retired_count", r.retired, "purged_count",
			    r.purged, "deleted_count", r.deleted, "pending_count", r.pending,
			    "error_count", r.errors);
	dk_event_emit(store, acct->id, DAILY_SWEPT, r.errors ? "warning" : "info", "agent", NULL,
		      payload);
	json_decref(payload);
	dk_log_info("msg=\"daily retention\" account=%s retired=%d purged=%d errors=%d", acct->name,
		    r.retired, r.purged, r.errors);
	dk_retention_report_clear(&r);
}

int
dk_agent_tick(dk_store *store, const dk_config *cfg, dk_agent_report *rep)
{
	int64_t now = dk_clock_now();
	dk_account_list *accounts = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = dk_approval_expire(store, &rep->approvals_expired)) < 0 ||
	    (rc = dk_store_account_list(store, &accounts)) < 0)
		return rc;
	for (size_t a = 0; a < accounts->count && rc == 0; a++) {
		const char *id = accounts->items[a].id;

		if ((rc = dk_store_begin(store)) < 0)
			break;
		rc = retire_stuck(store, id, cfg, now, rep);
		for (size_t r = 0; r < dk_store__alert_rule_count() && rc == 0; r++)
			rc = evaluate(store, id, r, cfg, now, rep);
		if (rc == 0)
			rc = dk_store_commit(store);
		else
			dk_store_rollback(store);
		if (rc == 0)
			daily_sweep(store, &accounts->items[a], cfg, now, rep);
	}
	dk_account_list_free(accounts);
	return rc;
}

int
dk_alert_list_load(dk_store *store, dk_alert_list **out, const char *account_id, bool all)
{
	return dk_store_alert_list(store, out, account_id, all);
}

int
dk_alert_ack(dk_store *store, const char *account_id, int64_t id, const char *actor)
{
	int rc;
	json_t *payload;

	if ((rc = dk_store_alert_ack(store, account_id, id, actor)) < 0)
		return rc;
	payload = json_pack("{s:I, s:s}", "alert_id", (json_int_t)id, "actor", actor ? actor : "unknown");
	dk_event_emit(store, account_id, "system.disk_image_alert_acked", "info", "operator", NULL, payload);
	json_decref(payload);
	return 0;
}
