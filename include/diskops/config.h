#ifndef DISKOPS_CONFIG_H
#define DISKOPS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Configuration: built-in defaults, then the INI file
 * ($XDG_CONFIG_HOME/diskops/config.ini, or the path given), then DISKOPS_<SECTION>_<KEY>
 * environment variables, then flags (dk_config_set from the front end). Every key
 * lives in one table in core/config.c, which drives all four layers.
 */

typedef struct {
	char *name;
	char *value;
} dk_config_pair;

typedef struct dk_config {
	char *path;                 /* the file read, or NULL when none existed */

	/* [state] */
	char *state_dir;            /* default $XDG_STATE_HOME/diskops (~/.local/state/diskops) */
	int busy_timeout_ms;        /* SQLite busy timeout, default 5000 */

	/* [account] */
	char *account;              /* account used when --account is not given, default "default" */

	/* [log] */
	char *log_level;            /* debug|info|warn|error|off, default info */

	/* [serve] */
	char *listen;               /* default 127.0.0.1:8080 */
	char *public_url;           /* default http://<listen> */
	int workers;                /* ingest worker threads, default 2 */

	/* [gitea] */
	char *gitea_url;
	char *gitea_token;          /* secret */
	char *git_author;           /* "Name <email>" of build-repo commits; default the Unix user */
	char *git_ssh_key;          /* private key for ssh:// clone URLs; default the ssh-agent */
	int gitea_poll_seconds;     /* serve's run/runner cache refresh, default 30 */

	/* [registry] */
	char *registry_host;
	char *registry_username;
	char *registry_password;    /* secret */
	int registry_insecure;      /* 0/1 */

	/* [alerts] */
	int tick_seconds;           /* default 300 */
	int stuck_run_minutes;      /* default 90 */
	int queued_no_runner_minutes; /* default 15 */
	int webhook_missing_minutes;  /* default 10 */
	int ingest_stuck_minutes;     /* default 15 */
	int signature_rejections;     /* per webhook per hour, default 3 */

	/* [retention] */
	int grace_days;             /* default 7 */

	/* [keys]: free-form "action = keys" lines, in file order, for the console to
	 * interpret (bind and unbind); the config module only carries them. */
	dk_config_pair *keys;
	size_t n_keys;
} dk_config;

/*
 * Loads defaults + file + environment. `path` NULL means the default location, where a
 * missing file is fine; an explicit path that does not exist is an error. Errors:
 * DK_EINVALID naming file, line and key for unknown sections/keys and bad values;
 * DK_EAUTH when a file holding a secret (gitea.token, registry.password) is readable by
 * group or others ("… run chmod 600 FILE").
 */
int dk_config_load(dk_config **out, const char *path);

/* A config with built-in defaults only (no file, no environment). */
int dk_config_defaults(dk_config **out);

/* Sets one key by its "section.key" name (e.g. "serve.listen"), as a flag would. */
int dk_config_set(dk_config *cfg, const char *name, const char *value);

/* Creates the state directory (and parents) with mode 0700 if missing. */
int dk_config_ensure_state_dir(const dk_config *cfg);

/* "<state_dir>/<name>"; caller frees. */
char *dk_config_state_path(const dk_config *cfg, const char *name);

void dk_config_free(dk_config *cfg);

#endif
