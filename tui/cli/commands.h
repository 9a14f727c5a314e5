#ifndef DISKOPS_CLI_COMMANDS_H
#define DISKOPS_CLI_COMMANDS_H

#include "cli/cli.h"

/*
 * Every headless command, one line each: noun, verb, handler, arguments, summary, help.
 * The dispatch, `diskops --help` and `diskops <noun> --help` are all generated from it.
 */
#define CLI_COMMANDS(X) \
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
	X(webhook_create, "webhook", "create", cmd_webhook_create, "--label LABEL", \
	  "create a build webhook; prints its URL and secret (shown once)", \
	  "  --label LABEL  a name for the webhook, unique in the account (ignoring case)\n") \
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
	X(events, "events", NULL, cmd_events, "[--prefix KIND] [--limit N] [--since AGE]", \
	  "list recent events, newest first", \
	  "  --prefix KIND  only kinds starting with KIND (e.g. system.disk_image)\n" \
	  "  --limit N      at most N events (default 50, up to 1000)\n" \
	  "  --since AGE    only events newer than AGE (30m, 12h, 7d)\n")

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
