#ifndef DISKOPS_CLI_COMMANDS_H
#define DISKOPS_CLI_COMMANDS_H

#include "cli/cli.h"

/*
 * Every headless command, one line each: noun, verb, handler, arguments, summary, help.
 * The dispatch, `diskops --help` and `diskops <noun> --help` are all generated from it.
 */
#define CLI_COMMANDS(X) \
	X(console, "console", NULL, cmd_console, "[--read-only] [--no-color] [--ascii] [--mouse]", \
	  "open the operator console (what `diskops` alone does on a terminal)", \
	  "  --read-only  hide and refuse every action that changes something\n" \
	  "  --no-color   no colour at all (also when NO_COLOR is set)\n" \
	  "  --ascii      ASCII line drawing (automatic when the locale is not UTF-8)\n" \
	  "  --mouse      mouse wheel and clicks (off by default: it breaks text selection)\n" \
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
