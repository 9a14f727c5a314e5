-- Publications, a default per platform, and alerts for the console tests and screenshots.
-- Needs the platforms ubuntu-24.04-lts and edge-arm (created through the CLI first).
-- Times are relative to now so the ages read the same on every run.
INSERT INTO disk_image_publication (id, account_id, node_platform_id, git_sha, oci_ref,
  oci_digest, artifact_sha256, size_bytes, arch, status, cosign_verified, cosign_identity,
  cosign_issuer, signature_kind, tlog_index, error_message, attempt_count, built_at,
  verified_at, published_at, retired_at, created_at, updated_at)
SELECT x.id, p.account_id, p.id, x.sha, 'registry.example.com/os/' || p.name || ':' || substr(x.sha, 1, 7),
  'sha256:' || x.digest, x.digest, x.size, p.arch, x.status, x.verified, x.ident,
  CASE WHEN x.kind = 'keyless' THEN 'https://token.actions.example.com' END, x.kind,
  CASE WHEN x.verified = 1 AND x.kind = 'keyless' THEN 91500000 + x.n END, x.err, 1,
  strftime('%s', 'now') - x.age - 600,
  CASE WHEN x.verified = 1 THEN strftime('%s', 'now') - x.age - 60 END,
  CASE WHEN x.status IN ('published', 'retired') THEN strftime('%s', 'now') - x.age END,
  CASE WHEN x.status = 'retired' THEN strftime('%s', 'now') - x.age + 3600 END,
  strftime('%s', 'now') - x.age - 600, strftime('%s', 'now') - x.age
FROM node_platform p JOIN (
  SELECT 1 AS n, 'ubuntu-24.04-lts' AS plat, 'b71e4c09-5b3d-4f6e-8a1b-000000000001' AS id,
    '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d' AS sha,
    '1111111111111111111111111111111111111111111111111111111111111111' AS digest,
    1288490189 AS size, 'retired' AS status, 1 AS verified,
    'https://git.example.com/ops/images/.gitea/workflows/build-disk-image.yml@refs/heads/main' AS ident,
    'keyless' AS kind, NULL AS err, 432000 AS age
  UNION ALL SELECT 2, 'ubuntu-24.04-lts', 'c2f85d13-5b3d-4f6e-8a1b-000000000002',
    '2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e',
    '2222222222222222222222222222222222222222222222222222222222222222', 1290000000, 'published', 1,
    'https://git.example.com/ops/images/.gitea/workflows/build-disk-image.yml@refs/heads/main',
    'keyless', NULL, 259200
  UNION ALL SELECT 3, 'ubuntu-24.04-lts', 'd94a7e21-5b3d-4f6e-8a1b-000000000003',
    '3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f',
    '3333333333333333333333333333333333333333333333333333333333333333', 1301234567, 'published', 1,
    'https://git.example.com/ops/images/.gitea/workflows/build-disk-image.yml@refs/heads/main',
    'keyless', NULL, 86400
  UNION ALL SELECT 4, 'ubuntu-24.04-lts', 'e05b3f7a-5b3d-4f6e-8a1b-000000000004',
    '4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70',
    '4444444444444444444444444444444444444444444444444444444444444444', 1302000000, 'failed', 0,
    'https://git.example.com/someone/fork/.gitea/workflows/build.yml@refs/heads/wip',
    'keyless', 'certificate identity does not match the platform''s identity regexp', 7200
  UNION ALL SELECT 5, 'ubuntu-24.04-lts', 'f3c6d218-5b3d-4f6e-8a1b-000000000005',
    '5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081',
    '5555555555555555555555555555555555555555555555555555555555555555', 1303000000, 'verifying', 0,
    NULL, 'keyless', NULL, 300
  UNION ALL SELECT 6, 'edge-arm', '0a7d9e45-5b3d-4f6e-8a1b-000000000006',
    '6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192',
    '6666666666666666666666666666666666666666666666666666666666666666', 734003200, 'retired', 1,
    'ci-signing-key', 'key', NULL, 1209600
  UNION ALL SELECT 7, 'edge-arm', '18e2b6c3-5b3d-4f6e-8a1b-000000000007',
    '708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3',
    '7777777777777777777777777777777777777777777777777777777777777777', 736100352, 'published', 1,
    'ci-signing-key', 'key', NULL, 604800
) x ON x.plat = p.name;

UPDATE node_platform SET default_publication_id = 'd94a7e21-5b3d-4f6e-8a1b-000000000003',
  disk_image_oci_ref = 'registry.example.com/os/ubuntu-24.04-lts@sha256:3333333333333333333333333333333333333333333333333333333333333333',
  disk_image_publication_status = 'published'
  WHERE name = 'ubuntu-24.04-lts';
UPDATE node_platform SET default_publication_id = '18e2b6c3-5b3d-4f6e-8a1b-000000000007',
  disk_image_oci_ref = 'registry.example.com/os/edge-arm@sha256:7777777777777777777777777777777777777777777777777777777777777777',
  disk_image_publication_status = 'published'
  WHERE name = 'edge-arm';

INSERT INTO alert (account_id, rule, subject, severity, state, first_seen, last_seen, detail)
SELECT account_id, 'signature_rejected', 'ubuntu-24.04-lts', 'error', 'open',
  strftime('%s', 'now') - 7200, strftime('%s', 'now') - 7200,
  'build 4d5e6f7 was signed by an identity outside the platform policy'
FROM node_platform WHERE name = 'ubuntu-24.04-lts';
INSERT INTO alert (account_id, rule, subject, severity, state, first_seen, last_seen, acked_by, detail)
SELECT account_id, 'stuck_run', 'edge-arm', 'warning', 'acked',
  strftime('%s', 'now') - 90000, strftime('%s', 'now') - 86400, 'alice',
  'workflow run 812 queued for 95 minutes with no runner'
FROM node_platform WHERE name = 'edge-arm';
