-- Deliveries, a CI worker's last contact, Gitea runners and approvals for the console's
-- operations views (tests and screenshots). Needs seed.sql, the webhook "ci-builds" and
-- the worker "builder-1" (created through the CLI first). Times are relative to now.
UPDATE node_platform SET build_repo = 'ops/images' WHERE name = 'ubuntu-24.04-lts';
UPDATE ci_worker SET last_seen_at = strftime('%s', 'now') - 40 WHERE name = 'builder-1';

INSERT INTO webhook_delivery (webhook_id, account_id, received_at, remote_addr, body_sha256,
  body_size, signature_ok, http_status, outcome, reason, publication_id)
SELECT w.id, w.account_id, strftime('%s', 'now') - x.age, x.remote, x.sha, 212, x.sig, x.http,
  x.outcome, x.reason, x.pub
FROM disk_image_webhook w JOIN (
  SELECT 86400 AS age, '10.20.0.14' AS remote,
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' AS sha, 1 AS sig,
    202 AS http, 'queued' AS outcome, NULL AS reason,
    'd94a7e21-5b3d-4f6e-8a1b-000000000003' AS pub
  UNION ALL SELECT 86300, '10.20.0.14',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1, 200, 'idempotent_hit',
    NULL, 'd94a7e21-5b3d-4f6e-8a1b-000000000003'
  UNION ALL SELECT 7300, '10.20.0.14',
    'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 1, 202, 'queued', NULL,
    'e05b3f7a-5b3d-4f6e-8a1b-000000000004'
  UNION ALL SELECT 3600, '203.0.113.9',
    'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 0, 401, 'error',
    'bad_signature', NULL
  UNION ALL SELECT 1800, '10.20.0.14',
    'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd', 1, 422, 'error',
    'unknown_platform', NULL
  UNION ALL SELECT 300, '10.20.0.14',
    'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 1, 202, 'queued', NULL,
    'f3c6d218-5b3d-4f6e-8a1b-000000000005'
) x WHERE w.label = 'ci-builds';

INSERT INTO gitea_runner_cache (repo, runner_id, name, labels, online, busy, fetched_at)
VALUES ('ops/images', 11, 'runner-amd64-1', 'ubuntu-24.04,amd64', 1, 1, strftime('%s', 'now') - 20),
       ('ops/images', 12, 'runner-amd64-2', 'ubuntu-24.04,amd64', 1, 0, strftime('%s', 'now') - 20),
       ('ops/images', 13, 'runner-arm64-1', 'debian-12,arm64', 0, 0, strftime('%s', 'now') - 20);

-- A rollback carol asked for (pending), a retention change (pending), a rejected promote.
INSERT INTO approval (id, account_id, category, params, requested_by, state, decided_by,
  decided_at, reason, expires_at, created_at)
SELECT '7a1c0b9e-2f4d-4e8a-9c3b-000000000001', p.account_id, 'rollback',
  json_object('action', 'rollback', 'expected_default', 'd94a7e21-5b3d-4f6e-8a1b-000000000003',
    'platform_id', p.id, 'reason', 'kernel panic on boot',
    'target_publication_id', 'c2f85d13-5b3d-4f6e-8a1b-000000000002'),
  'carol@192.0.2.7', 'pending', NULL, NULL, NULL,
  strftime('%s', 'now') + 43200 - 1800, strftime('%s', 'now') - 1800
FROM node_platform p WHERE p.name = 'ubuntu-24.04-lts';
INSERT INTO approval (id, account_id, category, params, requested_by, state, decided_by,
  decided_at, reason, expires_at, created_at)
SELECT '8b2d1caf-3e5f-4f9b-8d4c-000000000002', p.account_id, 'retention_update',
  json_object('platform_id', p.id, 'count', 3), 'carol@192.0.2.7', 'pending', NULL, NULL, NULL,
  strftime('%s', 'now') + 43200 - 600, strftime('%s', 'now') - 600
FROM node_platform p WHERE p.name = 'edge-arm';
INSERT INTO approval (id, account_id, category, params, requested_by, state, decided_by,
  decided_at, reason, expires_at, created_at)
SELECT '9c3e2db0-4f60-4a0c-9e5d-000000000003', p.account_id, 'promote',
  json_object('action', 'promote', 'expected_default', '', 'platform_id', p.id,
    'reason', NULL, 'target_publication_id', '0a7d9e45-5b3d-4f6e-8a1b-000000000006'),
  'bob', 'rejected', 'alice', strftime('%s', 'now') - 86000, 'not signed by CI',
  strftime('%s', 'now') - 90000 + 43200, strftime('%s', 'now') - 90000
FROM node_platform p WHERE p.name = 'edge-arm';
