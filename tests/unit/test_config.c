#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/log.h"

extern char **environ;

struct fixture {
	char *dir;
	char *file;     /* <dir>/config.ini, written by each test as needed */
	char *home;     /* restored on teardown */
};

/* Every test starts from a clean environment: no DISKOPS_* and XDG dirs inside its temp dir. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *xdg;

	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "DISKOPS_", 8) == 0) {
				char name[256];
				size_t n = strcspn(*e, "=");

				snprintf(name, sizeof(name), "%.*s", (int)n, *e);
				unsetenv(name);
				again = 1;
				break;
			}
		}
	}
	f->dir = tu_mkdtemp();
	f->home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	f->file = tu_path(f->dir, "config.ini");
	xdg = tu_path(f->dir, "xdg-config");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	free(xdg);
	xdg = tu_path(f->dir, "xdg-state");
	setenv("XDG_STATE_HOME", xdg, 1);
	free(xdg);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->home)
		setenv("HOME", f->home, 1);
	free(f->home);
	tu_rmrf(f->dir);
	free(f->file);
	free(f->dir);
	free(f);
	dk_log_forget_secrets();
	return 0;
}

static void
defaults_are_documented_values(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *want;

	assert_int_equal(dk_config_load(&cfg, NULL), 0);
	assert_null(cfg->path);
	want = tu_path(f->dir, "xdg-state/diskops");
	assert_string_equal(cfg->state_dir, want);
	free(want);
	assert_int_equal(cfg->busy_timeout_ms, 5000);
	assert_string_equal(cfg->account, "default");
	assert_string_equal(cfg->log_level, "info");
	assert_string_equal(cfg->listen, "127.0.0.1:8080");
	assert_string_equal(cfg->public_url, "http://127.0.0.1:8080");
	assert_int_equal(cfg->workers, 2);
	assert_null(cfg->gitea_url);
	assert_null(cfg->gitea_token);
	assert_null(cfg->registry_password);
	assert_int_equal(cfg->registry_insecure, 0);
	assert_int_equal(cfg->tick_seconds, 300);
	assert_int_equal(cfg->gitea_poll_seconds, 30);
	assert_int_equal(cfg->stuck_run_minutes, 90);
	assert_int_equal(cfg->queued_no_runner_minutes, 15);
	assert_int_equal(cfg->webhook_missing_minutes, 10);
	assert_int_equal(cfg->ingest_stuck_minutes, 15);
	assert_int_equal(cfg->signature_rejections, 3);
	assert_int_equal(cfg->grace_days, 7);
	dk_config_free(cfg);
}

static void
xdg_and_home_locate_file_and_state(void **state)
{
	struct fixture *f = *state;
	char *home = tu_path(f->dir, "home"), *p, *want;
	dk_config *cfg;

	/* The default file under XDG_CONFIG_HOME is read. */
	p = tu_path(f->dir, "xdg-config");
	mkdir(p, 0700);
	free(p);
	p = tu_path(f->dir, "xdg-config/diskops");
	mkdir(p, 0700);
	free(p);
	p = tu_path(f->dir, "xdg-config/diskops/config.ini");
	assert_int_equal(tu_write_file(p, "[serve]\nworkers = 9\n", 0600), 0);
	assert_int_equal(dk_config_load(&cfg, NULL), 0);
	assert_string_equal(cfg->path, p);
	assert_int_equal(cfg->workers, 9);
	dk_config_free(cfg);
	free(p);

	/* Without XDG variables (or with relative ones) HOME is used. */
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_STATE_HOME", "relative/ignored", 1);
	setenv("HOME", home, 1);
	assert_int_equal(dk_config_load(&cfg, NULL), 0);
	assert_null(cfg->path);
	want = tu_path(home, ".local/state/diskops");
	assert_string_equal(cfg->state_dir, want);
	free(want);
	dk_config_free(cfg);

	p = tu_path(home, ".config/diskops");
	assert_int_equal(mkdir(home, 0700), 0);
	want = tu_path(home, ".config");
	assert_int_equal(mkdir(want, 0700), 0);
	free(want);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tu_path(home, ".config/diskops/config.ini");
	assert_int_equal(tu_write_file(p, "[retention]\ngrace_days = 3\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, NULL), 0);
	assert_string_equal(cfg->path, p);
	assert_int_equal(cfg->grace_days, 3);
	dk_config_free(cfg);
	free(p);
	free(home);
}

static void
file_env_and_set_override_in_order(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;

	assert_int_equal(tu_write_file(f->file,
		"; comment\n[state]\ndir = /srv/diskops\nbusy_timeout_ms = 100\n"
		"[serve]\nlisten = 0.0.0.0:9000\nworkers = 4\n"
		"[registry]\nhost = reg.example:5000\ninsecure = yes\n"
		"[alerts]\ntick_seconds = 60\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), 0);
	assert_string_equal(cfg->path, f->file);
	assert_string_equal(cfg->state_dir, "/srv/diskops");
	assert_int_equal(cfg->busy_timeout_ms, 100);
	assert_string_equal(cfg->listen, "0.0.0.0:9000");
	assert_string_equal(cfg->public_url, "http://0.0.0.0:9000");
	assert_int_equal(cfg->workers, 4);
	assert_string_equal(cfg->registry_host, "reg.example:5000");
	assert_int_equal(cfg->registry_insecure, 1);
	assert_int_equal(cfg->tick_seconds, 60);
	dk_config_free(cfg);

	setenv("DISKOPS_STATE_DIR", "/env/state", 1);
	setenv("DISKOPS_STATE_BUSY_TIMEOUT_MS", "250", 1);
	setenv("DISKOPS_SERVE_LISTEN", "127.0.0.1:7000", 1);
	setenv("DISKOPS_REGISTRY_INSECURE", "off", 1);
	setenv("DISKOPS_GITEA_URL", "", 1);
	setenv("DISKOPS_CONFIG", f->file, 1);
	assert_int_equal(dk_config_load(&cfg, NULL), 0);
	assert_string_equal(cfg->path, f->file);
	assert_string_equal(cfg->state_dir, "/env/state");
	assert_int_equal(cfg->busy_timeout_ms, 250);
	assert_string_equal(cfg->public_url, "http://127.0.0.1:7000");
	assert_int_equal(cfg->registry_insecure, 0);
	assert_int_equal(cfg->workers, 4);
	assert_null(cfg->gitea_url);

	assert_int_equal(dk_config_set(cfg, "state.dir", "/flag/state"), 0);
	assert_int_equal(dk_config_set(cfg, "serve.listen", "[::1]:8443"), 0);
	assert_int_equal(dk_config_set(cfg, "registry.insecure", "TRUE"), 0);
	assert_string_equal(cfg->state_dir, "/flag/state");
	assert_string_equal(cfg->public_url, "http://[::1]:8443");
	assert_int_equal(cfg->registry_insecure, 1);

	/* An explicit public_url is kept when listen changes later. */
	assert_int_equal(dk_config_set(cfg, "serve.public_url", "https://ops.example"), 0);
	assert_int_equal(dk_config_set(cfg, "serve.listen", "127.0.0.1:1"), 0);
	assert_string_equal(cfg->public_url, "https://ops.example");
	dk_config_free(cfg);
}

static void
unknown_keys_name_file_line_and_key(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *want;

	assert_int_equal(tu_write_file(f->file,
		"[serve]\nlisten = :1\n\n[serve]\nlisen = :2\n[bogus]\nx = 1\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_null(cfg);
	assert_true(asprintf(&want, "%s:5: unknown key \"serve.lisen\"", f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	assert_int_equal(tu_write_file(f->file, "[state]\ndir = /x\n[bogus]\nx = 1\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_true(asprintf(&want, "%s:4: unknown key \"bogus.x\"", f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	assert_int_equal(tu_write_file(f->file, "[state]\nthis line has no equals sign\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_true(asprintf(&want, "%s:2: expected \"key = value\" or \"[section]\"", f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(dk_config_set(cfg, "serve.nope", "1"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message, "unknown key \"serve.nope\"");
	assert_int_equal(dk_config_set(cfg, "nodot", "1"), DK_EINVALID);
	dk_config_free(cfg);
}

static void
bad_numbers_are_refused(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *want;

	assert_int_equal(tu_write_file(f->file, "[serve]\nworkers = lots\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_true(asprintf(&want, "%s:2: serve.workers: \"lots\" is not a number between 1 and 64", f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	assert_int_equal(tu_write_file(f->file, "[retention]\ngrace_days = 99999\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "retention.grace_days: \"99999\" is not a number between 0 and 3650"));

	setenv("DISKOPS_ALERTS_TICK_SECONDS", "5x", 1);
	assert_int_equal(dk_config_load(&cfg, NULL), DK_EINVALID);
	assert_string_equal(dk_error_last()->message,
			    "DISKOPS_ALERTS_TICK_SECONDS: \"5x\" is not a number between 1 and 86400");
	unsetenv("DISKOPS_ALERTS_TICK_SECONDS");

	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(dk_config_set(cfg, "serve.workers", "0"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message, "serve.workers: \"0\" is not a number between 1 and 64");
	assert_int_equal(dk_config_set(cfg, "serve.workers", "99999999999999999999"), DK_EINVALID);
	assert_int_equal(cfg->workers, 2);
	/* Polling Gitea more often than every 5 s would hammer it for nothing. */
	assert_int_equal(dk_config_set(cfg, "gitea.poll_seconds", "1"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message,
			    "gitea.poll_seconds: \"1\" is not a number between 5 and 86400");
	assert_int_equal(cfg->gitea_poll_seconds, 30);
	assert_int_equal(dk_config_set(cfg, "log.level", "loud"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message,
			    "log.level: \"loud\" is not one of debug, info, warn, error, off");
	dk_config_free(cfg);
}

static void
bools_accept_the_usual_spellings(void **state)
{
	static const char *const truthy[] = { "true", "yes", "1", "on", "On" };
	static const char *const falsy[] = { "false", "no", "0", "off", "NO" };
	struct fixture *f = *state;
	dk_config *cfg;
	char *want;

	assert_int_equal(dk_config_defaults(&cfg), 0);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(dk_config_set(cfg, "registry.insecure", truthy[i]), 0);
		assert_int_equal(cfg->registry_insecure, 1);
		assert_int_equal(dk_config_set(cfg, "registry.insecure", falsy[i]), 0);
		assert_int_equal(cfg->registry_insecure, 0);
	}
	dk_config_free(cfg);

	assert_int_equal(tu_write_file(f->file, "[registry]\n\ninsecure = maybe\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_true(asprintf(&want, "%s:3: registry.insecure: \"maybe\" is not one of "
			     "true, false, yes, no, 1, 0, on, off", f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	setenv("DISKOPS_REGISTRY_INSECURE", "2", 1);
	assert_int_equal(dk_config_load(&cfg, NULL), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "DISKOPS_REGISTRY_INSECURE: \"2\""));
}

static void
secrets_need_a_private_file(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *want;

	assert_int_equal(tu_write_file(f->file, "[gitea]\nurl = https://git.example\ntoken = 0123abcd0123abcd\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EAUTH);
	assert_null(cfg);
	assert_true(asprintf(&want, "%s holds gitea.token but is readable by others: run chmod 600 %s",
			     f->file, f->file) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	assert_int_equal(chmod(f->file, 0640), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EAUTH);

	assert_int_equal(tu_write_file(f->file, "[registry]\npassword = hunter2hunter2\n", 0604), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EAUTH);
	assert_non_null(strstr(dk_error_last()->message, "holds registry.password"));

	assert_int_equal(tu_write_file(f->file, "[gitea]\ntoken = 0123abcd0123abcd\n", 0600), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), 0);
	assert_string_equal(cfg->gitea_token, "0123abcd0123abcd");
	dk_config_free(cfg);

	/* The same value through the environment does not care about the file's mode. */
	assert_int_equal(tu_write_file(f->file, "[gitea]\nurl = https://git.example\n", 0644), 0);
	setenv("DISKOPS_GITEA_TOKEN", "from-the-environment", 1);
	assert_int_equal(dk_config_load(&cfg, f->file), 0);
	assert_string_equal(cfg->gitea_url, "https://git.example");
	assert_string_equal(cfg->gitea_token, "from-the-environment");
	dk_config_free(cfg);
}

static void
loaded_secrets_are_redacted_from_logs(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *line;

	assert_int_equal(tu_write_file(f->file, "[gitea]\ntoken = tok-abcdef-123456\n", 0600), 0);
	setenv("DISKOPS_REGISTRY_PASSWORD", "pw-from-env-987", 1);
	assert_int_equal(dk_config_load(&cfg, f->file), 0);
	assert_int_equal(dk_config_set(cfg, "gitea.token", "tok-from-flag-42"), 0);
	assert_int_equal(dk_log_redact(&line, "a=tok-abcdef-123456 b=pw-from-env-987 c=tok-from-flag-42"), 0);
	assert_string_equal(line, "a=[redacted] b=[redacted] c=[redacted]");
	free(line);
	dk_config_free(cfg);
}

static void
explicit_missing_file_is_not_found(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;
	char *want, *missing = tu_path(f->dir, "nope.ini");

	assert_int_equal(dk_config_load(&cfg, missing), DK_ENOTFOUND);
	assert_true(asprintf(&want, "config file %s: No such file or directory", missing) > 0);
	assert_string_equal(dk_error_last()->message, want);
	free(want);

	setenv("DISKOPS_CONFIG", missing, 1);
	assert_int_equal(dk_config_load(&cfg, NULL), DK_ENOTFOUND);
	free(missing);

	assert_int_equal(dk_config_load(&cfg, f->dir), DK_EINVALID);
}

static void
state_dir_is_created_0700(void **state)
{
	struct fixture *f = *state;
	char *deep = tu_path(f->dir, "a/b/state"), *mid = tu_path(f->dir, "a"), *file;
	dk_config *cfg;
	struct stat st;

	umask(022);
	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(dk_config_set(cfg, "state.dir", deep), 0);
	assert_int_equal(dk_config_ensure_state_dir(cfg), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(mid, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* An existing directory keeps its mode; running again is fine. */
	assert_int_equal(chmod(deep, 0750), 0);
	assert_int_equal(dk_config_ensure_state_dir(cfg), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);

	file = dk_config_state_path(cfg, "diskops.db");
	assert_true(strlen(file) == strlen(deep) + strlen("/diskops.db"));
	assert_int_equal(tu_write_file(file, "x", 0600), 0);
	assert_int_equal(dk_config_set(cfg, "state.dir", file), 0);
	assert_int_equal(dk_config_ensure_state_dir(cfg), DK_EIO);
	assert_non_null(strstr(dk_error_last()->message, file));
	assert_non_null(strstr(dk_error_last()->message, "Not a directory"));
	assert_int_equal(dk_config_set(cfg, "state.dir", ""), DK_EINVALID);

	free(file);
	dk_config_free(cfg);
	free(mid);
	free(deep);
}

static void
long_lines_are_refused(void **state)
{
	struct fixture *f = *state;
	char text[600];
	dk_config *cfg;

	snprintf(text, sizeof(text), "[gitea]\nurl = https://%0400d\n", 0);
	assert_int_equal(tu_write_file(f->file, text, 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, ":2: line is longer than"));
}

/* [keys] is free-form: any name passes through in file order, for the console to judge. */
static void
keys_section_is_passed_through(void **state)
{
	struct fixture *f = *state;
	dk_config *cfg;

	assert_int_equal(tu_write_file(f->file,
		"[keys]\nquit = x\nrollback =\nNotAnAction = C-q F1\n[log]\nlevel = warn\n", 0644), 0);
	assert_int_equal(dk_config_load(&cfg, f->file), 0);
	assert_int_equal(cfg->n_keys, 3);
	assert_string_equal(cfg->keys[0].name, "quit");
	assert_string_equal(cfg->keys[0].value, "x");
	assert_string_equal(cfg->keys[1].name, "rollback");
	assert_string_equal(cfg->keys[1].value, "");
	assert_string_equal(cfg->keys[2].name, "NotAnAction");
	assert_string_equal(cfg->keys[2].value, "C-q F1");
	assert_string_equal(cfg->log_level, "warn");
	assert_int_equal(dk_config_set(cfg, "keys.help", "h"), 0);
	assert_int_equal(cfg->n_keys, 4);
	assert_string_equal(cfg->keys[3].name, "help");
	dk_config_free(cfg);

	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(cfg->n_keys, 0);
	assert_null(cfg->keys);
	dk_config_free(cfg);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(defaults_are_documented_values),
		T(xdg_and_home_locate_file_and_state),
		T(file_env_and_set_override_in_order),
		T(unknown_keys_name_file_line_and_key),
		T(bad_numbers_are_refused),
		T(bools_accept_the_usual_spellings),
		T(secrets_need_a_private_file),
		T(loaded_secrets_are_redacted_from_logs),
		T(explicit_missing_file_is_not_found),
		T(state_dir_is_created_0700),
		T(long_lines_are_refused),
		T(keys_section_is_passed_through),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
