#include "store_internal.h"

/*
 * Numbered migrations. Never edit one that has shipped: add the next. Each runs inside
 * the migration transaction together with its schema_migrations row.
 */

#define HEX64(col) "(length(" col ") = 64 AND " col " NOT GLOB '*[^0-9a-f]*')"

static const char m1_core[] =
	"CREATE TABLE account ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
	"  created_at INTEGER NOT NULL);"

	"CREATE TABLE node_platform ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 63),"
	"  arch TEXT NOT NULL CHECK (arch IN ('amd64', 'arm64')),"
	"  disk_image_oci_ref TEXT,"
	"  default_publication_id TEXT REFERENCES disk_image_publication(id),"
	"  disk_image_publication_status TEXT NOT NULL DEFAULT 'none'"
	"    CHECK (disk_image_publication_status IN ('none', 'verifying', 'published', 'failed')),"
	"  disk_image_publication_error TEXT,"
	"  disk_image_retention_count INTEGER NOT NULL DEFAULT 3"
	"    CHECK (disk_image_retention_count BETWEEN 1 AND 50),"
	"  cosign_identity_regexp TEXT,"
	"  cosign_issuer_regexp TEXT,"
	"  trusted_keys TEXT,"
	"  tlog_policy TEXT NOT NULL DEFAULT 'required'"
	"    CHECK (tlog_policy IN ('required', 'optional', 'ignore')),"
	"  build_repo TEXT,"
	"  workflow_file TEXT NOT NULL DEFAULT '.gitea/workflows/build-disk-image.yml',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (account_id, name));"

	"CREATE TABLE disk_image_webhook ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 100),"
	"  secret_enc TEXT NOT NULL,"
	"  secret_preview TEXT NOT NULL CHECK (length(secret_preview) = 8),"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),"
	"  received_count INTEGER NOT NULL DEFAULT 0 CHECK (received_count >= 0),"
	"  last_received_at INTEGER,"
	"  last_rotated_at INTEGER,"
	"  created_by TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX idx_diw_account_label_unique"
	"  ON disk_image_webhook (account_id, label COLLATE NOCASE);"

	"CREATE TABLE disk_image_publication ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  node_platform_id TEXT NOT NULL REFERENCES node_platform(id),"
	"  git_sha TEXT NOT NULL CHECK (length(git_sha) BETWEEN 1 AND 128),"
	"  oci_ref TEXT,"
	"  oci_digest TEXT CHECK (oci_digest IS NULL OR"
	"    (substr(oci_digest, 1, 7) = 'sha256:' AND " HEX64("substr(oci_digest, 8)") ")),"
	"  artifact_sha256 TEXT CHECK (artifact_sha256 IS NULL OR " HEX64("artifact_sha256") "),"
	"  size_bytes INTEGER CHECK (size_bytes IS NULL OR size_bytes > 0),"
	"  arch TEXT NOT NULL CHECK (arch IN ('amd64', 'arm64')),"
	"  firmware_ref TEXT,"
	"  sbom_url TEXT,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'awaiting_upload',"
	"    'verifying', 'published', 'failed', 'retired', 'purged')),"
	"  cosign_verified INTEGER NOT NULL DEFAULT 0 CHECK (cosign_verified IN (0, 1)),"
	"  cosign_identity TEXT,"
	"  cosign_issuer TEXT,"
	"  signature_kind TEXT NOT NULL DEFAULT 'none'"
	"    CHECK (signature_kind IN ('keyless', 'key', 'none')),"
	"  tlog_index INTEGER CHECK (tlog_index IS NULL OR tlog_index >= 0),"
	"  error_message TEXT,"
	"  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),"
	"  payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),"
	"  webhook_id TEXT REFERENCES disk_image_webhook(id) ON DELETE SET NULL,"
	"  built_at INTEGER,"
	"  verified_at INTEGER,"
	"  published_at INTEGER,"
	"  retired_at INTEGER,"
	"  purged_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  CHECK (status != 'published' OR published_at IS NOT NULL),"
	"  UNIQUE (node_platform_id, git_sha));"
	"CREATE INDEX idx_dip_platform_status ON disk_image_publication (node_platform_id, status);"
	"CREATE INDEX idx_dip_status ON disk_image_publication (status);"
	"CREATE INDEX idx_dip_platform_created_desc"
	"  ON disk_image_publication (node_platform_id, created_at DESC);"

	/* The boot pointer may only point at a published row of the same platform, and the
	 * row it points at cannot leave published until the pointer moves. */
	"CREATE TRIGGER trg_platform_default_published"
	"  BEFORE UPDATE OF default_publication_id ON node_platform"
	"  WHEN NEW.default_publication_id IS NOT NULL AND NOT EXISTS ("
	"    SELECT 1 FROM disk_image_publication p WHERE p.id = NEW.default_publication_id"
	"    AND p.node_platform_id = NEW.id AND p.status = 'published')"
	"  BEGIN SELECT RAISE(ABORT, 'the default publication must be a published row of this platform'); END;"
	"CREATE TRIGGER trg_default_stays_published"
	"  BEFORE UPDATE OF status ON disk_image_publication"
	"  WHEN NEW.status != 'published' AND EXISTS ("
	"    SELECT 1 FROM node_platform np WHERE np.default_publication_id = NEW.id)"
	"  BEGIN SELECT RAISE(ABORT, 'the platform default must stay published: move the default first'); END;"

	"CREATE TABLE webhook_delivery ("
	"  id INTEGER PRIMARY KEY,"
	"  webhook_id TEXT,"  /* no FK: attempts on unknown ids are recorded too */
	"  account_id TEXT,"
	"  received_at INTEGER NOT NULL,"
	"  remote_addr TEXT,"
	"  body_sha256 TEXT CHECK (body_sha256 IS NULL OR " HEX64("body_sha256") "),"
	"  body_size INTEGER NOT NULL DEFAULT 0 CHECK (body_size >= 0),"
	"  signature_ok INTEGER NOT NULL DEFAULT 0 CHECK (signature_ok IN (0, 1)),"
	"  http_status INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  reason TEXT,"
	"  publication_id TEXT);"
	"CREATE INDEX idx_delivery_webhook_time ON webhook_delivery (webhook_id, received_at DESC);"
	"CREATE INDEX idx_delivery_account_time ON webhook_delivery (account_id, id DESC);"

	"CREATE TABLE ci_worker ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),"
	"  role TEXT NOT NULL DEFAULT 'ci_worker' CHECK (role = 'ci_worker'),"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),"
	"  token_digest TEXT NOT NULL UNIQUE CHECK (" HEX64("token_digest") "),"
	"  last_seen_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX idx_worker_account_name_live"
	"  ON ci_worker (account_id, name COLLATE NOCASE) WHERE status != 'revoked';"

	"CREATE TABLE event ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id TEXT,"
	"  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 200),"
	"  severity TEXT NOT NULL CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),"
	"  source TEXT NOT NULL,"
	"  subject_id TEXT,"
	"  payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX idx_event_account_id ON event (account_id, id DESC);"
	"CREATE INDEX idx_event_kind ON event (kind, id DESC);";

static const char m2_operations[] =
	/* Per-platform trusted_root.json override (the built-in Sigstore root otherwise). */
	"ALTER TABLE node_platform ADD COLUMN trusted_root TEXT;"

	"CREATE TABLE job ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('ingest', 'sweep', 'purge')),"
	"  subject_id TEXT NOT NULL,"
	"  account_id TEXT,"
	"  state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'leased', 'done', 'dead')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  run_after INTEGER NOT NULL,"
	"  lease_until INTEGER,"
	"  leased_by TEXT,"
	"  last_error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX idx_job_ready ON job (state, run_after);"
	"CREATE UNIQUE INDEX idx_job_live_subject ON job (kind, subject_id)"
	"  WHERE state IN ('ready', 'leased');"

	"CREATE TABLE alert ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id TEXT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),"
	"  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acked', 'resolved')),"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  resolved_at INTEGER,"
	"  acked_by TEXT,"
	"  detail TEXT);"
	"CREATE UNIQUE INDEX idx_alert_live ON alert (account_id, rule, subject)"
	"  WHERE state != 'resolved';"

	"CREATE TABLE policy ("
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  category TEXT NOT NULL CHECK (category IN ('promote', 'rollback', 'retention_update',"
	"    'retention_prune', 'webhook_rotate_secret', 'webhook_revoke')),"
	"  mode TEXT NOT NULL CHECK (mode IN ('auto_approve', 'notify_and_proceed',"
	"    'require_approval', 'block')),"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, category));"

	"CREATE TABLE approval ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES account(id),"
	"  category TEXT NOT NULL,"
	"  params TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),"
	"  requested_by TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),"
	"  decided_by TEXT,"
	"  decided_at INTEGER,"
	"  reason TEXT,"
	"  expires_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX idx_approval_state ON approval (account_id, state);"

	"CREATE TABLE gitea_run_cache ("
	"  repo TEXT NOT NULL,"
	"  run_id INTEGER NOT NULL,"
	"  workflow TEXT,"
	"  title TEXT,"
	"  event TEXT,"
	"  status TEXT,"
	"  conclusion TEXT,"
	"  head_sha TEXT,"
	"  head_branch TEXT,"
	"  html_url TEXT,"
	"  labels TEXT,"
	"  run_started_at INTEGER,"
	"  completed_at INTEGER,"
	"  created_at_remote INTEGER,"
	"  fetched_at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, run_id));"

	"CREATE TABLE gitea_runner_cache ("
	"  repo TEXT NOT NULL,"
	"  runner_id INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  labels TEXT,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  busy INTEGER NOT NULL DEFAULT 0,"
	"  fetched_at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, runner_id));";

/*
 * The poller in `serve` (core/serve_poller.c): what it last saw of each run's jobs, and
 * one row saying whether Gitea answered, which version, and when it will look again.
 */
static const char m3_gitea_poller[] =
	"CREATE TABLE gitea_job_cache ("
	"  repo TEXT NOT NULL,"
	"  job_id INTEGER NOT NULL,"
	"  run_id INTEGER NOT NULL,"
	"  name TEXT,"
	"  status TEXT,"
	"  conclusion TEXT,"
	"  labels TEXT,"
	"  runner_name TEXT,"
	"  created_at_remote INTEGER,"
	"  started_at INTEGER,"
	"  completed_at INTEGER,"
	"  fetched_at INTEGER NOT NULL,"
	"  PRIMARY KEY (repo, job_id));"
	"CREATE INDEX idx_gitea_job_cache_run ON gitea_job_cache (repo, run_id);"

	"CREATE TABLE gitea_status ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  url TEXT NOT NULL,"
	"  reachable INTEGER NOT NULL DEFAULT 0,"
	"  version TEXT,"
	"  last_error TEXT,"
	"  failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),"
	"  repos INTEGER NOT NULL DEFAULT 0,"
	"  last_poll_at INTEGER NOT NULL,"
	"  last_ok_at INTEGER,"
	"  next_poll_at INTEGER);"

	/* `worker terminate`: revoked for good, and when (status stays 'revoked'). */
	"ALTER TABLE ci_worker ADD COLUMN terminated_at INTEGER;";
/* What serve, the Gitea poller and the registry check last saw, for status bars. */
static const char m4_service_status[] =
	"CREATE TABLE service_status ("
	"  name TEXT PRIMARY KEY,"
	"  ok INTEGER NOT NULL DEFAULT 0,"
	"  detail TEXT,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER,"
	"  checked_at INTEGER NOT NULL);";
/* The console reads serve's run cache instead of asking Gitea itself: it shows run numbers. */
static const char m6_run_number[] =
	"ALTER TABLE gitea_run_cache ADD COLUMN run_number INTEGER;";

/*
 * Indexes in insertion order: a descending index on a growing key takes every new entry
 * at its left edge, where SQLite splits pages half full and rewrites their neighbours on
 * each batch of deliveries. Queries wanting newest first walk these backwards.
 */
static const char m5_ascending_indexes[] =
	"DROP INDEX idx_dip_platform_created_desc;"
	"CREATE INDEX idx_dip_platform_created"
	"  ON disk_image_publication (node_platform_id, created_at);"
	"DROP INDEX idx_delivery_webhook_time;"
	"CREATE INDEX idx_delivery_webhook_time ON webhook_delivery (webhook_id, received_at);"
	"DROP INDEX idx_delivery_account_time;"
	"CREATE INDEX idx_delivery_account_time ON webhook_delivery (account_id, id);"
	"DROP INDEX idx_event_account_id;"
	"CREATE INDEX idx_event_account_id ON event (account_id, id);"
	"DROP INDEX idx_event_kind;"
	"CREATE INDEX idx_event_kind ON event (kind, id);";

/*
 * One live job per subject, keyed so that a new publication's job lands at the index's
 * end: behind the subject's random UUID each delivery dirtied a fresh leaf of this index
 * (a WAL page, its sync and its checkpoint: 15-19 % of a burst's deliveries a second).
 * subject_seq is the publication's rowid for ingest jobs, NULL (0 in the key) for others;
 * the subject id stays in the key, so two subjects never merge. A VACUUM may renumber
 * publications' rowids, after which a redelivery could queue a second live job for the
 * same publication; diskops never runs VACUUM.
 */
static const char m7_job_subject_seq[] =
	"ALTER TABLE job ADD COLUMN subject_seq INTEGER;"
	"UPDATE job SET subject_seq = (SELECT p.rowid FROM disk_image_publication p"
	"  WHERE p.id = job.subject_id) WHERE kind = 'ingest';"
	"DROP INDEX idx_job_live_subject;"
	"CREATE UNIQUE INDEX idx_job_live_subject"
	"  ON job (kind, ifnull(subject_seq, 0), subject_id) WHERE state IN ('ready', 'leased');";

static const dk_store_migration migrations[] = {
	{ 1, "core tables", m1_core },
	{ 2, "jobs, alerts, policies, approvals, gitea cache", m2_operations },
	{ 3, "gitea poller: job cache and status; worker terminate", m3_gitea_poller },
	{ 4, "service status: serve heartbeat, gitea and registry reachability", m4_service_status },
	{ 5, "ascending indexes for appended rows", m5_ascending_indexes },
	{ 6, "gitea run cache: run numbers", m6_run_number },
	{ 7, "live jobs keyed by the publication's rowid", m7_job_subject_seq },
};

const dk_store_migration *
dk_store__migrations(int *count)
{
	*count = (int)(sizeof(migrations) / sizeof(migrations[0]));
	return migrations;
}
