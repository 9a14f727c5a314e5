#include <stdlib.h>
#include <string.h>

#include "diskops/agent.h"
#include "diskops/error.h"
#include "store_internal.h"
#include "store_alert_rules.h"

/*
 * One query per alert rule (DESIGN §8): each row is a subject whose condition holds now,
 * with the line an operator reads. ?1 account, ?2 now, ?3 the rule's threshold.
 * Run statuses are Gitea's API words: queued = waiting for a runner, in_progress = running.
 */
static const struct {
	const char *rule;
	const char *severity;
	const char *sql;
} rules[] = {
	{ "ingest_stuck", "warning",
	  "SELECT p.id, 'publication ' || substr(p.id, 1, 8) || ' of ' || np.name || ' (' ||"
	  " substr(p.git_sha, 1, 12) || ') has been ' || p.status || ' for ' ||"
	  " ((?2 - p.updated_at) / 60) || ' min'"
	  " FROM disk_image_publication p JOIN node_platform np ON np.id = p.node_platform_id"
	  " WHERE p.account_id = ?1 AND p.status IN ('queued', 'verifying')"
	  " AND p.updated_at <= ?2 - ?3 * 60" },
	{ "publish_failed", "error",
	  "SELECT np.id, 'platform ' || np.name || ': the last publish failed: ' ||"
	  " coalesce(np.disk_image_publication_error, 'no message')"
	  " FROM node_platform np WHERE np.account_id = ?1"
	  " AND np.disk_image_publication_status = 'failed' AND ?3 >= 0" },
	{ "signature_rejections", "critical",
	  "SELECT w.id, 'webhook ' || w.label || ': ' || count(*) ||"
	  " ' deliveries with a bad signature in the last hour'"
	  " FROM webhook_delivery d JOIN disk_image_webhook w ON w.id = d.webhook_id"
	  " WHERE w.account_id = ?1 AND d.signature_ok = 0 AND d.http_status = 401"
	  " AND d.received_at > ?2 - 3600 GROUP BY w.id HAVING count(*) >= ?3" },
	{ "run_overdue", "warning",
	  "SELECT DISTINCT r.repo || '#' || r.run_id, 'run ' || r.run_id || ' of ' || r.repo ||"
	  " ' has been running for ' || ((?2 - r.run_started_at) / 60) || ' min'"
	  " FROM gitea_run_cache r JOIN node_platform np ON np.build_repo = r.repo"
	  " WHERE np.account_id = ?1 AND r.status = 'in_progress'"
	  " AND r.run_started_at <= ?2 - ?3 * 60" },
	{ "queued_no_runner", "warning",
	  "SELECT DISTINCT r.repo || '#' || r.run_id, 'run ' || r.run_id || ' of ' || r.repo ||"
	  " ' has waited ' || ((?2 - r.created_at_remote) / 60) || ' min and no runner is online'"
	  " FROM gitea_run_cache r JOIN node_platform np ON np.build_repo = r.repo"
	  " WHERE np.account_id = ?1 AND r.status = 'queued'"
	  " AND r.created_at_remote <= ?2 - ?3 * 60"
	  " AND NOT EXISTS (SELECT 1 FROM gitea_runner_cache g WHERE g.repo = r.repo AND g.online = 1)" },
	/* Only recent runs: a week-old success without a delivery is history, not news. */
	{ "webhook_missing", "error",
	  "SELECT DISTINCT r.repo || '#' || r.run_id, 'run ' || r.run_id || ' of ' || r.repo ||"
	  " ' succeeded ' || ((?2 - r.completed_at) / 60) || ' min ago but no webhook arrived for ' ||"
	  " substr(coalesce(r.head_sha, '?'), 1, 12)"
	  " FROM gitea_run_cache r JOIN node_platform np ON np.build_repo = r.repo"
	  " WHERE np.account_id = ?1 AND r.status = 'completed' AND r.conclusion = 'success'"
	  " AND r.completed_at <= ?2 - ?3 * 60 AND r.completed_at > ?2 - 7 * 86400"
	  " AND NOT EXISTS (SELECT 1 FROM disk_image_publication p"
	  "   WHERE p.node_platform_id = np.id AND p.git_sha = r.head_sha)" },
	{ "runner_offline", "warning",
	  "SELECT DISTINCT g.repo || ':' || g.name, 'runner ' || g.name || ' (' || g.repo || ') is offline'"
	  " FROM gitea_runner_cache g JOIN node_platform np ON np.build_repo = g.repo"
	  " WHERE np.account_id = ?1 AND g.online = 0 AND ?3 >= 0" },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

size_t
dk_store__alert_rule_count(void)
{
	return N_RULES;
}

const char *
dk_store__alert_rule_name(size_t i, const char **severity)
{
	if (severity)
		*severity = rules[i].severity;
	return rules[i].rule;
}

static void
read_candidate(sqlite3_stmt *st, void *row)
{
	dk_alert_candidate *c = row;

	c->subject = dk_store__text(st, 0);
	c->detail = dk_store__text(st, 1);
}

int
dk_store__alert_candidates(dk_store *store, dk_alert_candidate_list *out, size_t rule,
			   const char *account_id, int64_t now, int64_t threshold)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dk_store__prepare(store, &st, rules[rule].sql)) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, threshold);
	return dk_store__collect(store, st, (void **)&out->items, &out->count, sizeof(*out->items),
				 read_candidate, "evaluating alert rules");
}

void
dk_store__alert_candidates_clear(dk_alert_candidate_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].subject);
		free(l->items[i].detail);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
