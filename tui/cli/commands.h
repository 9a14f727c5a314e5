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
