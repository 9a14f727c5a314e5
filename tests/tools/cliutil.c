#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"

cli_env *
cli_env_new(void)
{
	cli_env *e = calloc(1, sizeof(*e));

	e->dir = tu_mkdtemp();
	e->state_dir = tu_path(e->dir, "state");
	e->config_home = tu_path(e->dir, "config");
	return e;
}

void
cli_env_free(cli_env *e)
{
	if (!e)
		return;
	tu_rmrf(e->dir);
	free(e->dir);
	free(e->state_dir);
	free(e->config_home);
	free(e);
}

static int
run_va(cli_env *e, tu_run_result *r, const char *input, va_list ap)
{
	const char *argv[64];
	const char *env[16];
	char state[600], config[600];
	const char *bin = getenv("DISKOPS_BIN");
	int n = 0, ne = 0;
	const char *a;

	argv[n++] = bin && *bin ? bin : "./diskops";
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = a;
	argv[n] = NULL;
	snprintf(state, sizeof(state), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(config, sizeof(config), "XDG_CONFIG_HOME=%s", e->config_home);
	env[ne++] = state;
	env[ne++] = config;
	env[ne++] = "DISKOPS_CONFIG=";
	env[ne++] = "DISKOPS_ACCOUNT_DEFAULT=";
	env[ne++] = "TZ=UTC";
	for (int i = 0; i < 8 && e->extra_env[i]; i++)
		env[ne++] = e->extra_env[i];
	env[ne] = NULL;
	return tu_run(r, argv, env, input);
}

int
cli_run(cli_env *e, tu_run_result *r, ...)
{
	va_list ap;
	int rc;

	va_start(ap, r);
	rc = run_va(e, r, NULL, ap);
	va_end(ap);
	return rc;
}

int
cli_run_input(cli_env *e, tu_run_result *r, const char *input, ...)
{
	va_list ap;
	int rc;

	va_start(ap, input);
	rc = run_va(e, r, input, ap);
	va_end(ap);
	return rc;
}

json_t *
cli_json(cli_env *e, ...)
{
	tu_run_result r;
	json_error_t err;
	json_t *j;
	va_list ap;

	va_start(ap, e);
	run_va(e, &r, NULL, ap);
	va_end(ap);
	if (r.status != 0)
		fprintf(stderr, "cli_json: exit %d: %s\n", r.status, r.err);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, &err);
	if (!j)
		fprintf(stderr, "cli_json: not JSON (%s): %s\n", err.text, r.out);
	assert_non_null(j);
	tu_run_result_free(&r);
	return j;
}
