#ifndef DISKOPS_CLIUTIL_H
#define DISKOPS_CLIUTIL_H

#include <jansson.h>

#include "testutil.h"

/*
 * Runs the built diskops ($DISKOPS_BIN, default ./diskops) against a private state dir
 * and config home, so a developer's own configuration never leaks into a test.
 */

typedef struct {
	char *dir;              /* temp root, removed by cli_env_free */
	char *state_dir;        /* <dir>/state */
	char *config_home;      /* <dir>/config (XDG_CONFIG_HOME) */
	const char *extra_env[8];
} cli_env;

cli_env *cli_env_new(void);
void cli_env_free(cli_env *e);

/* Runs `diskops ARGS...` (NULL-terminated); returns the exit status. */
int cli_run(cli_env *e, tu_run_result *r, ...);
/* Same, with stdin text. */
int cli_run_input(cli_env *e, tu_run_result *r, const char *input, ...);
/* Runs and parses stdout as JSON; fails the test when it is not JSON. */
json_t *cli_json(cli_env *e, ...);

#endif
