#ifndef DISKOPS_CLI_COMMANDS_H
#define DISKOPS_CLI_COMMANDS_H

#include "cli/cli.h"
#include "cli/cli_gitea.h"

/*
 * Every headless command, one line each: noun, verb, handler, arguments, summary, help.
 * The dispatch, `diskops --help` and `diskops <noun> --help` are all generated from it.
 */
#define CLI_COMMANDS(X) \
	X(console, "console", NULL, cmd_console, \
	  "[--read-only] [--no-color] [--ascii] [--mouse] [--log FILE]", \
	  "open the operator console (what `diskops` alone does on a terminal)", \
	  "  --read-only  hide and refuse every action that changes something\n" \
	  "  --no-color   no colour at all (also when NO_COLOR is set)\n" \
	  "  --ascii      ASCII line drawing (automatic when the locale is not UTF-8)\n" \
	  "  --mouse      mouse wheel and clicks (off by default: it breaks text selection)\n" \
	  "  --log FILE   open the log view on a local file (follows it as it grows)\n" \
	  "Keys: ? inside the console; bindings in config.ini [keys], e.g. `quit = Q C-q`.\n") \
	X(init, "init", NULL, cmd_init, "", \
	  "create the state dir, database, master key and default account", \
	  "Safe to run again: existing state is kept and reported.\n") \
	X(account_create, "account", "create", cmd_account_create, "NAME", \
	  "create an account (tenancy)", "") \
	X(account_list, "account", "list", cmd_account_list, "", \
	  "list accounts", "") \
	X(platform_create, "platform", "create", cmd_platform_create, \
	  "NAME --arch amd64|arm64 [settings]", \
	  "create a node platform", CLI_PLATFORM_SETTINGS_HELP) \
	X(platform_list, "platform", "list", cmd_platform_list, "", \
	  "list node platforms with their default image", "") \
	X(platform_show, "platform", "show", cmd_platform_show, "NAME|ID", \
	  "show one platform: trust policy, default image, retention", "") \
	X(platform_set, "platform", "set", cmd_platform_set, "NAME|ID [settings]", \
	  "change a platform's settings", \
	  "  --name NEW                   rename the platform\n" CLI_PLATFORM_SETTINGS_HELP) \
	X(publication_list, "publication", "list", cmd_publication_list, \
	  "[--platform P] [--status S] [--limit N]", \
	  "list publications, newest first", \
	  "  --platform NAME|ID  only this platform\n" \
	  "  --status S          queued, awaiting_upload, verifying, published, failed,\n" \
	  "                      retired or purged\n" \
	  "  --limit N           at most N rows (default 50, up to 1000)\n") \
	X(publication_show, "publication", "show", cmd_publication_show, "ID", \
	  "show one publication (an id prefix of 8+ characters is enough)", "") \
	X(publication_process, "publication", "process", cmd_publication_process, "ID", \
	  "run a publication's ingest now, without the daemon", "") \
	X(ingest, "ingest", NULL, cmd_ingest, "--platform P OCI-REF [--git-sha S]", \
	  "ingest an artifact from a registry now, without a webhook (verify, publish)", \
	  "  --platform NAME|ID  the platform it is for (its trust policy decides)\n" \
	  "  --git-sha S         the build's key: the same git sha again is idempotent\n" \
	  "                      (default: the manifest's org.opencontainers.image.revision\n" \
	  "                      annotation, else the manifest digest sha256:...)\n" \
	  "Exit 0 published (or published already), 4 verification failed, 3 reference or\n" \
	  "platform not found, 6 the git sha is published with another artifact or retired.\n") \
	X(upload, "upload", NULL, cmd_upload, \
	  "--platform P (--kernel F --initramfs F --rootfs F | --image F.img) --repo REGISTRY/REPO " \
	  "--tag T --key KEY [--git-sha S] [--no-ingest]", \
	  "push local files as a signed OCI artifact, then ingest it (air-gapped sites)", \
	  "  --platform NAME|ID     the platform to publish on (not needed with --no-ingest)\n" \
	  "  --kernel/--initramfs/--rootfs F  a boot set (all three), or\n" \
	  "  --image F.img          one raw disk image\n" \
	  "  --repo REGISTRY/REPO   where to push, e.g. registry.lan:5000/acct/disk-images/edge\n" \
	  "  --tag T                the tag to push under\n" \
	  "  --key KEY              PEM private key (diskops keygen); the platform must trust\n" \
	  "                         KEY.pub (platform set --trusted-key)\n" \
	  "  --git-sha S            the build's git sha (manifest annotation\n" \
	  "                         org.opencontainers.image.revision; default the digest)\n" \
	  "  --no-ingest            push and sign only; print the pinned REGISTRY/REPO@sha256:...\n" \
	  "Every file and the key are checked before anything is pushed (exit 2 naming it).\n") \
	X(webhook_create, "webhook", "create", cmd_webhook_create, \
	  "--label LABEL [--set-gitea-secrets OWNER/REPO]", \
	  "create a build webhook; prints its URL and secret (shown once)", \
	  "  --label LABEL                  a name for the webhook, unique in the account\n" \
	  "                                 (ignoring case)\n" \
	  "  --set-gitea-secrets OWNER/REPO also set POWERNODE_DISK_IMAGE_WEBHOOK_URL, _SECRET\n" \
	  "                                 and POWERNODE_API_BASE as that repo's Actions\n" \
	  "                                 secrets (checked first: nothing is created when\n" \
	  "                                 Gitea refuses)\n" \
	  "  --api-base URL                 POWERNODE_API_BASE (default [serve] public_url)\n") \
	X(webhook_rotate, "webhook", "rotate", cmd_webhook_rotate, "ID|LABEL", \
	  "new secret for a webhook (shown once); the old one stops working", "") \
	X(webhook_revoke, "webhook", "revoke", cmd_webhook_revoke, "ID|LABEL", \
	  "revoke a webhook: its URL answers unknown_webhook from now on", "") \
	X(webhook_list, "webhook", "list", cmd_webhook_list, "", \
	  "list webhooks: status, secret preview, deliveries received", "") \
	X(webhook_deliveries, "webhook", "deliveries", cmd_webhook_deliveries, \
	  "[--webhook ID|LABEL] [--limit N]", \
	  "recent delivery attempts, good and bad, newest first", \
	  "  --webhook ID|LABEL  only this webhook\n" \
	  "  --limit N           at most N rows (default 50, up to 1000)\n") \
	X(jobs_list, "jobs", "list", cmd_jobs_list, "[--state S] [--limit N]", \
	  "list queued and finished jobs, newest first", \
	  "  --state S  ready, leased, done or dead\n" \
	  "  --limit N  at most N rows (default 50, up to 1000)\n") \
	X(jobs_retry, "jobs", "retry", cmd_jobs_retry, "ID", \
	  "queue a dead job again with its attempts reset", "") \
	X(worker_create, "worker", "create", cmd_worker_create, "--name NAME", \
	  "create a CI worker; prints its token (shown once)", "") \
	X(worker_list, "worker", "list", cmd_worker_list, "", "list CI workers", "") \
	X(worker_rotate, "worker", "rotate", cmd_worker_rotate, "ID|NAME", \
	  "new token for a CI worker (shown once); the old one stops working", "") \
	X(worker_revoke, "worker", "revoke", cmd_worker_revoke, "ID|NAME", \
	  "revoke a CI worker", "") \
	X(worker_terminate, "worker", "terminate", cmd_worker_terminate, "ID|NAME", \
	  "end a CI worker for good: token revoked, jobs it holds back to the queue", "") \
	X(token_create, "token", "create", cmd_token_create, \
	  "--name N --role viewer|operator|admin [--ttl 30d]", \
	  "issue an operator API token (JWT, printed once)", \
	  "  --name N     who the token is for (shown in events as the actor)\n" \
	  "  --role R     viewer (read), operator (+ platform policy), admin (everything)\n" \
	  "  --ttl AGE    lifetime: 30m, 12h, 30d (default 30d)\n") \
	X(serve, "serve", NULL, cmd_serve, \
	  "[--listen HOST:PORT] [--public-url URL] [--tls-cert F --tls-key F]", \
	  "run the daemon: webhook receiver, REST and worker API, ingest jobs, /metrics", \
	  "  --listen HOST:PORT        address to bind (default [serve] listen, 127.0.0.1:8080;\n" \
	  "                            port 0 picks a free one)\n" \
	  "  --public-url URL          base of the webhook URLs handed out (default http://LISTEN)\n" \
	  "  --tls-cert F --tls-key F  serve HTTPS with this PEM certificate and key\n" \
	  "  --workers N               ingest worker threads (default [serve] workers, 2)\n" \
	  "  --http-threads N          HTTP event-loop threads (default 2)\n" \
	  "  --connection-timeout S    close idle or stalled connections after S seconds (30)\n" \
	  "  --ready-file PATH         write the bound HOST:PORT here once listening\n" \
	  "  --no-ingest               receive and queue only: run no ingest workers\n" \
	  "SIGTERM or SIGINT: stop accepting, finish requests in flight and each job's\n" \
	  "current step, exit 0.\n") \
	X(rollback, "rollback", NULL, cmd_rollback, "--platform P [--to PUBLICATION] [--reason TEXT]", \
	  "move a platform's boot image back (default: the newest retired image)", \
	  "  --platform NAME|ID   the platform\n" \
	  "  --to ID              the publication to boot (default: newest retired, else the\n" \
	  "                       newest other published one)\n" \
	  "  --reason TEXT        recorded with the event\n" \
	  "  --yes                required without a terminal; a terminal is asked\n") \
	X(promote, "promote", NULL, cmd_promote, "PUBLICATION [--reason TEXT]", \
	  "make a publication its platform's boot image", \
	  "  --reason TEXT        recorded with the event\n" \
	  "  --yes                required without a terminal; a terminal is asked\n") \
	X(approvals_list, "approvals", "list", cmd_approvals_list, "[--all]", \
	  "list pending approvals (--all: decided and expired ones too)", "") \
	X(approvals_approve, "approvals", "approve", cmd_approvals_approve, "ID", \
	  "approve and carry out a parked action (not your own)", "") \
	X(approvals_reject, "approvals", "reject", cmd_approvals_reject, "ID --reason TEXT", \
	  "reject a parked action", "") \
	X(policy_list, "policy", "list", cmd_policy_list, "", \
	  "show the policy in force for each category", "") \
	X(policy_set, "policy", "set", cmd_policy_set, "CATEGORY MODE", \
	  "set a category's mode", \
	  "  CATEGORY  promote, rollback, retention_update, retention_prune,\n" \
	  "            webhook_rotate_secret, webhook_revoke\n" \
	  "  MODE      auto_approve, notify_and_proceed, require_approval, block\n") \
	X(retention_sweep, "retention", "sweep", cmd_retention_sweep, "[--platform P] [--dry-run]", \
	  "retire beyond each platform's count, purge retired images past the grace", \
	  "  --platform NAME|ID  only this platform (default: every platform)\n" \
	  "  --dry-run           list what would be retired, purged and deleted; change nothing\n") \
	X(retention_set, "retention", "set", cmd_retention_set, "--platform P --count N", \
	  "set how many published images a platform keeps (1..50)", "") \
	X(alerts_list, "alerts", "list", cmd_alerts_list, "[--all]", \
	  "list open and acknowledged alerts (--all: resolved ones too)", "") \
	X(alerts_ack, "alerts", "ack", cmd_alerts_ack, "ID", \
	  "acknowledge an alert", "") \
	X(alerts, "alerts", NULL, cmd_alerts, "[--check] [--all]", \
	  "list alerts; --check exits 1 while any alert is open (for cron)", \
	  "  --check   print open alerts and exit 1 when any is open and unacknowledged\n") \
	X(agent_tick, "agent", "tick", cmd_agent_tick, "", \
	  "run one pass of the Disk Image Manager (alerts, approval expiry, stuck cleanup)", "") \
	X(verify_blob, "verify-blob", NULL, cmd_verify_blob, \
	  "FILE|sha256:HEX --bundle B (--certificate-identity[-regexp] X " \
	  "--certificate-oidc-issuer[-regexp] Y | --key PUB) [--trusted-root R] [--tlog T]", \
	  "verify a blob's Sigstore or cosign bundle offline (exit 4: not verified)", \
	  "  --bundle FILE                        Sigstore bundle v0.1-v0.3 or cosign sign-blob bundle\n" \
	  "  --certificate-identity X             keyless: exact certificate SAN\n" \
	  "  --certificate-identity-regexp RE     keyless: SAN regexp (Go RE2, unanchored search)\n" \
	  "  --certificate-oidc-issuer Y          keyless: exact OIDC issuer\n" \
	  "  --certificate-oidc-issuer-regexp RE  keyless: issuer regexp (Go RE2, unanchored)\n" \
	  "  --key FILE                           key-based: PEM public key; repeat for several\n" \
	  "  --trusted-root FILE                  trusted_root.json (default: built-in Sigstore\n" \
	  "                                       production root)\n" \
	  "  --tlog required|optional|ignore      transparency log policy (default required)\n") \
	X(keygen, "keygen", NULL, cmd_keygen, "--out KEY", \
	  "create an ECDSA P-256 signing key: KEY (mode 0600) and KEY.pub", "") \
	X(verify, "verify", NULL, cmd_verify, "OCI-REF --platform P", \
	  "verify an artifact in the registry as ingest would; writes nothing (exit 4: not verified)", \
	  "  --platform NAME|ID  whose trust policy (keys or identity/issuer) and arch apply\n" \
	  "Checks the manifest digest, the layers (.img or kernel + initramfs + rootfs),\n" \
	  "the signature (bundle referrers, legacy .sig, .cosign-bundle layer), an\n" \
	  "attestation when present, and every file's sha256 and size as it streams.\n") \
	X(pull, "pull", NULL, cmd_pull, "PLATFORM|PUBLICATION --out DIR", \
	  "write a published image's verified files and SHA256SUMS into DIR", \
	  "  --out DIR  where the files go (created when missing); existing files of the\n" \
	  "             same names are replaced atomically, others are left alone\n" \
	  "A platform pulls its default publication. Only a published publication is\n" \
	  "pulled (exit 6 otherwise); it is verified again against the platform's current\n" \
	  "trust policy and the digests recorded at publish (exit 4 when it does not hold),\n" \
	  "and nothing is left in DIR when it fails. Progress on stderr when a terminal.\n") \
	X(events, "events", NULL, cmd_events, "[--prefix KIND] [--limit N] [--since AGE]", \
	  "list recent events, newest first", \
	  "  --prefix KIND  only kinds starting with KIND (e.g. system.disk_image)\n" \
	  "  --limit N      at most N events (default 50, up to 1000)\n" \
	  "  --since AGE    only events newer than AGE (30m, 12h, 7d)\n") \
	CLI_GITEA_COMMANDS(X) \
	CLI_GITOPS_COMMANDS(X)

/* The build repo: bootstrap (core/bootstrap.c) and git (core/gitops.c). */
#define CLI_GITOPS_COMMANDS(X) \
	X(bootstrap, "bootstrap", NULL, cmd_bootstrap, \
	  "--owner O --repo R --label L [--api-base URL] [--read-token] [--commit-workflow] " \
	  "[--force]", \
	  "make a Gitea repo ready to build disk images: webhook, CI worker, secrets, runner", \
	  "  --owner O           the repo's owner (user or org); the repo is created when\n" \
	  "                      missing\n" \
	  "  --repo R            the repo's name\n" \
	  "  --label L           the webhook and CI worker to create or rotate (idempotent)\n" \
	  "  --api-base URL      POWERNODE_API_BASE and the webhook URL's base\n" \
	  "                      (default [serve] public_url)\n" \
	  "  --platform P        also: P's build repo, variables POWERNODE_PLATFORM/_ARCH,\n" \
	  "                      the template's default platform\n" \
	  "  --read-token        mint PLATFORM_READ_TOKEN (read:repository, read:user); Gitea\n" \
	  "                      wants the password: DISKOPS_GITEA_PASSWORD or stdin\n" \
	  "  --commit-workflow   commit .gitea/workflows/build-disk-image.yml and build.sh\n" \
	  "                      (libgit2 push) where absent\n" \
	  "  --force             with --commit-workflow: rewrite them from the template\n" \
	  "  --author \"N <E>\"    commit author (default [gitea] author, else the Unix user)\n" \
	  "  --clone-url URL     clone over this URL (ssh://, file://) instead of Gitea's HTTPS\n" \
	  "  --runner-labels L   runner labels (default disk-image-builder,ARCH)\n" \
	  "  --yes               required without a terminal (secrets are created or rotated)\n" \
	  "Checks the Gitea token, the repo and the owner's rights before rotating anything.\n" \
	  "Prints one line per step (ok, created, rotated, skipped, error: ...); exit 1 when\n" \
	  "a step failed. Secrets are shown once.\n") \
	X(trigger, "trigger", NULL, cmd_trigger, \
	  "--platform P|--repo O/R --tag system-disk-image/vX.Y.Z [--target SHA]", \
	  "start a build by pushing a tag (the workflow's push trigger)", \
	  CLI_GITEA_REPO_HELP \
	  "  --tag T             system-disk-image/vX.Y.Z[-pre]; never moved once pushed\n" \
	  "  --target SHA        the commit to tag (default: the branch tip)\n" \
	  "  --message TEXT      the tag's message (default: the tag)\n" \
	  "  --author \"N <E>\"    tagger (default [gitea] author, else the Unix user)\n" \
	  "  --clone-url URL     clone over this URL (ssh://, file://) instead of Gitea's HTTPS\n" \
	  "The clone lives in STATE_DIR/gitops/OWNER/REPO and follows the remote.\n")

/* Gitea Actions (tui/cli/cmd_runs.c, cmd_logs.c, cmd_secret.c); [gitea] url and token. */
#define CLI_GITEA_COMMANDS(X) \
	X(dispatch, "dispatch", NULL, cmd_dispatch, \
	  "--platform P|--repo O/R [--ref REF] [-i KEY=VALUE]...", \
	  "start the build workflow on Gitea; prints the run id and URL", \
	  CLI_GITEA_REPO_HELP \
	  "  --workflow FILE     the workflow file (default: the platform's, else\n" \
	  "                      .gitea/workflows/build-disk-image.yml)\n" \
	  "  --ref REF           refs/heads/BRANCH, refs/tags/TAG or a branch\n" \
	  "                      (default refs/heads/main)\n" \
	  "  -i, --input K=V     a workflow input (string); repeat for several\n" \
	  "Gitea 1.26+ returns the run id; on 1.25 the run is found in the runs list.\n") \
	X(runs_list, "runs", "list", cmd_runs_list, \
	  "[--platform P|--repo O/R] [--status S]... [--limit N]", \
	  "list workflow runs of the build repo, newest first", \
	  CLI_GITEA_REPO_HELP \
	  "  --status S          queued, waiting, in_progress, completed, success,\n" \
	  "                      failure, cancelled, skipped; repeat for any of several\n" \
	  "  --event E           workflow_dispatch, push, ...\n" \
	  "  --branch B          runs of this branch\n" \
	  "  --limit N           at most N runs (default 20, up to 1000)\n") \
	X(runs_show, "runs", "show", cmd_runs_show, "RUN [--platform P|--repo O/R]", \
	  "show a run: its jobs and their steps, with durations", CLI_GITEA_REPO_HELP) \
	X(runs_rerun, "runs", "rerun", cmd_runs_rerun, "RUN [--platform P|--repo O/R]", \
	  "run a finished run again (Gitea 1.26+)", CLI_GITEA_REPO_HELP) \
	X(runs_cancel, "runs", "cancel", cmd_runs_cancel, "RUN [--platform P|--repo O/R]", \
	  "cancel a run (Gitea 1.28+; older Gitea has no API for it, and this says so)", \
	  CLI_GITEA_REPO_HELP) \
	X(logs, "logs", NULL, cmd_logs, \
	  "JOB|--run RUN [--platform P|--repo O/R] [--follow] [--grep RE] [--tail N]", \
	  "print a job's log; --follow streams it until the job ends", \
	  CLI_GITEA_REPO_HELP \
	  "  --run RUN           the job of this run (when it has exactly one)\n" \
	  "  --follow            keep reading as the log grows (Range polling every\n" \
	  "                      --interval while it runs, backing off when idle); the\n" \
	  "                      exit code is the job's: 0 success, 1 anything else\n" \
	  "  --grep RE           only lines matching RE (RE2 syntax), before --tail\n" \
	  "  --tail N            only the last N lines of what is there now\n" \
	  "  --timestamps        keep Gitea's time at the start of each line\n" \
	  "  --interval SECONDS  poll interval while following (default 1)\n" \
	  "With --json, one JSON object per line: {\"time\": ..., \"line\": ...}.\n") \
	X(secret_set, "secret", "set", cmd_secret_set, "NAME --repo O/R|--platform P < VALUE", \
	  "set a repo Actions secret; the value is read from stdin, never argv", \
	  CLI_GITEA_REPO_HELP \
	  "Needs the repo owner, an org owner or a site admin token. One trailing\n" \
	  "newline of the value is dropped; on a terminal it is read without echo.\n") \
	X(runners_list, "runners", "list", cmd_runners_list, "[--platform P|--repo O/R]", \
	  "list the Actions runners available to the build repo", CLI_GITEA_REPO_HELP)

#define CLI_PLATFORM_SETTINGS_HELP \
	"  --arch amd64|arm64           CPU architecture of the nodes\n" \
	"  --retention N                published images to keep, 1..50 (default 3)\n" \
	"  --identity-regexp RE         keyless: certificate identity (Go RE2 syntax)\n" \
	"  --issuer-regexp RE           keyless: OIDC issuer (Go RE2 syntax)\n" \
	"  --trusted-key FILE           key-based: a PEM public key; repeat for several\n" \
	"                               (replaces the platform's list)\n" \
	"  --clear-trusted-keys         remove every trusted key\n" \
	"  --tlog required|optional|ignore  transparency log policy (default required)\n" \
	"  --build-repo OWNER/REPO      the Gitea repository that builds the image\n" \
	"  --workflow-file PATH         workflow in that repo\n" \
	"                               (default .gitea/workflows/build-disk-image.yml)\n"

#define X(id, noun, verb, fn, args, summary, help) int fn(struct cli *c, int argc, char **argv);
CLI_COMMANDS(X)
#undef X

#endif
