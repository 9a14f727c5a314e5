#ifndef DISKOPS_CLI_GITEA_H
#define DISKOPS_CLI_GITEA_H

#include "cli/cli.h"
#include "diskops/gitea.h"

/* Which Gitea repository a command acts on, and its workflow file. */
struct cli_repo {
	char *owner, *name, *workflow;
};

/* --repo and --platform, shared by every Gitea command. */
#define CLI_GITEA_OPT_REPO (CLI_OPT__COMMAND + 90)
#define CLI_GITEA_OPT_PLATFORM (CLI_OPT__COMMAND + 91)
#define CLI_GITEA_OPTIONS \
	{ "repo", required_argument, NULL, CLI_GITEA_OPT_REPO }, \
	{ "platform", required_argument, NULL, CLI_GITEA_OPT_PLATFORM }

#define CLI_GITEA_REPO_HELP \
	"  --repo OWNER/REPO   the Gitea repository\n" \
	"  --platform NAME     the platform's build repo (platform set --build-repo);\n" \
	"                      the default when exactly one platform has a build repo\n"

/* Gitea from [gitea] url, token (DISKOPS_GITEA_URL, DISKOPS_GITEA_TOKEN). */
int cli_gitea_open(struct cli *c, dk_gitea **out);

/* --repo wins, then --platform, then the account's only platform with a build repo. */
int cli_gitea_repo(struct cli *c, struct cli_repo *out, const char *repo, const char *platform);
void cli_repo_clear(struct cli_repo *r);

/* "1h02m", "3m07s", "12s"; "-" when either end is unset. buf >= 16 bytes. */
const char *cli_duration(char *buf, int64_t from, int64_t to);

#endif
