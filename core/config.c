#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/log.h"

typedef enum {
	KEY_STRING,
	KEY_SECRET,     /* a string that is registered with the log filter and guards the file mode */
	KEY_INT,
	KEY_BOOL,
	KEY_PAIRS       /* a free-form section: any name, kept as (name, value) pairs in order */
} key_type;

/* Where a value came from; later layers win. */
typedef enum {
	FROM_DEFAULT = 0,
	FROM_FILE,
	FROM_ENV,
	FROM_FLAG
} key_source;

/*
 * One row per key drives defaults, the INI file, DISKOPS_<SECTION>_<KEY> and
 * dk_config_set. Every lookup goes through find_key(), so a free-form section (the
 * console's [keys]) can later be a row with name "*" and its own type whose storage is
 * a list rather than a field; nothing else assumes a fixed set of names.
 */
struct key_def {
	const char *section;
	const char *name;
	key_type type;
	size_t offset;          /* into dk_config: char * for strings, int otherwise */
	const char *def;        /* parsed like any other value; NULL leaves a string unset */
	int min, max;           /* KEY_INT only */
	int (*check)(const char *value); /* extra validation; sets the error message */
};

static int check_nonempty(const char *value);
static int check_log_level(const char *value);

#define OFF(field) offsetof(dk_config, field)
#define STR(sec, key, field, def, chk) { sec, key, KEY_STRING, OFF(field), def, 0, 0, chk }
#define SECRET(sec, key, field) { sec, key, KEY_SECRET, OFF(field), NULL, 0, 0, NULL }
#define INT(sec, key, field, def, lo, hi) { sec, key, KEY_INT, OFF(field), #def, lo, hi, NULL }
#define BOOL(sec, key, field, def) { sec, key, KEY_BOOL, OFF(field), def, 0, 1, NULL }
#define PAIRS(sec, field) { sec, "*", KEY_PAIRS, OFF(field), NULL, 0, 0, NULL }

static const struct key_def keys[] = {
	/* state.dir's default depends on the environment; see default_dir(). */
	STR("state", "dir", state_dir, NULL, check_nonempty),
	INT("state", "busy_timeout_ms", busy_timeout_ms, 5000, 0, 600000),
	STR("account", "default", account, "default", check_nonempty),
	STR("log", "level", log_level, "info", check_log_level),
	STR("serve", "listen", listen, "127.0.0.1:8080", check_nonempty),
	/* Derived from serve.listen unless set; see derive(). */
	STR("serve", "public_url", public_url, NULL, NULL),
	INT("serve", "workers", workers, 2, 1, 64),
	STR("gitea", "url", gitea_url, NULL, NULL),
	SECRET("gitea", "token", gitea_token),
	STR("gitea", "author", git_author, NULL, NULL),
	STR("gitea", "ssh_key", git_ssh_key, NULL, NULL),
	INT("gitea", "poll_seconds", gitea_poll_seconds, 30, 5, 86400),
	STR("registry", "host", registry_host, NULL, NULL),
	STR("registry", "username", registry_username, NULL, NULL),
	SECRET("registry", "password", registry_password),
	BOOL("registry", "insecure", registry_insecure, "false"),
	INT("alerts", "tick_seconds", tick_seconds, 300, 1, 86400),
	INT("alerts", "stuck_run_minutes", stuck_run_minutes, 90, 1, 10080),
	INT("alerts", "queued_no_runner_minutes", queued_no_runner_minutes, 15, 1, 10080),
	INT("alerts", "webhook_missing_minutes", webhook_missing_minutes, 10, 1, 10080),
	INT("alerts", "ingest_stuck_minutes", ingest_stuck_minutes, 15, 1, 10080),
	INT("alerts", "signature_rejections", signature_rejections, 3, 1, 10000),
	INT("retention", "grace_days", grace_days, 7, 0, 3650),
	/* The console's key bindings; it validates action and key names itself. */
	PAIRS("keys", keys),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* dk_config is the public part; callers only ever get pointers we allocated. */
struct config_priv {
	dk_config pub;
	key_source source[N_KEYS];
};

static int
check_nonempty(const char *value)
{
	if (*value == '\0')
		return dk_error_set(DK_EINVALID, "must not be empty");
	return 0;
}

static int
check_log_level(const char *value)
{
	dk_log_level level;

	if (dk_log_parse_level(&level, value) < 0)
		return dk_error_set(DK_EINVALID, "\"%s\" is not one of debug, info, warn, error, off", value);
	return 0;
}

static const struct key_def *
find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcasecmp(keys[i].section, section) != 0)
			continue;
		if (strcmp(keys[i].name, "*") == 0 || strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

/* A free-form section keeps every line: later lines for the same name win when read. */
static int
add_pair(dk_config *c, const char *name, const char *value)
{
	dk_config_pair *grown;
	char *n = strdup(name), *v = strdup(value);

	grown = n && v ? realloc(c->keys, (c->n_keys + 1) * sizeof(*c->keys)) : NULL;
	if (!grown) {
		free(n);
		free(v);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	c->keys = grown;
	c->keys[c->n_keys].name = n;
	c->keys[c->n_keys].value = v;
	c->n_keys++;
	return 0;
}

static int
parse_int(int *out, const struct key_def *k, const char *value)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end != '\0' || errno == ERANGE || v < k->min || v > k->max)
		return dk_error_set(DK_EINVALID, "\"%s\" is not a number between %d and %d",
				    value, k->min, k->max);
	*out = (int)v;
	return 0;
}

static int
parse_bool(int *out, const char *value)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID, "\"%s\" is not one of true, false, yes, no, 1, 0, on, off", value);
}

static void
free_string(char *s, key_type type)
{
	if (s && type == KEY_SECRET)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Stores one value; the message names only the problem, callers prefix where it came from. */
static int
set_value(struct config_priv *cfg, const struct key_def *k, const char *name, const char *value,
	  key_source from)
{
	char *base = (char *)&cfg->pub + k->offset, *copy;
	int rc;

	if (k->check && (rc = k->check(value)) < 0)
		return rc;
	switch (k->type) {
	case KEY_INT:
		if ((rc = parse_int((int *)(void *)base, k, value)) < 0)
			return rc;
		break;
	case KEY_BOOL:
		if ((rc = parse_bool((int *)(void *)base, value)) < 0)
			return rc;
		break;
	case KEY_PAIRS:
		if ((rc = add_pair(&cfg->pub, name, value)) < 0)
			return rc;
		break;
	case KEY_STRING:
	case KEY_SECRET:
		copy = strdup(value);
		if (!copy)
			return dk_error_set(DK_ENOMEM, "out of memory");
		if (k->type == KEY_SECRET)
			dk_log_register_secret(copy);
		free_string(*(char **)(void *)base, k->type);
		*(char **)(void *)base = copy;
		break;
	}
	cfg->source[k - keys] = from;
	return 0;
}

static key_source
source_of(const struct config_priv *cfg, const char *section, const char *name)
{
	const struct key_def *k = find_key(section, name);

	return k ? cfg->source[k - keys] : FROM_DEFAULT;
}

/* Values that default to something computed from other values. */
static int
derive(struct config_priv *cfg)
{
	dk_config *c = &cfg->pub;
	char *url;

	if (source_of(cfg, "serve", "public_url") != FROM_DEFAULT)
		return 0;
	if (asprintf(&url, "http://%s", c->listen) < 0)
		return dk_error_set(DK_ENOMEM, "out of memory");
	free(c->public_url);
	c->public_url = url;
	return 0;
}

/* "$<xdg_var>/diskops" when the variable is an absolute path (as the XDG spec requires), else "$HOME/<fallback>/diskops". */
static char *
default_dir(const char *xdg_var, const char *fallback)
{
	const char *xdg = getenv(xdg_var), *home = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[4096], *out;

	if (xdg && xdg[0] == '/')
		return asprintf(&out, "%s/diskops", xdg) < 0 ? NULL : out;
	if (!home || !*home) {
		if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0 || !res)
			return NULL;
		home = res->pw_dir;
	}
	return asprintf(&out, "%s/%s/diskops", home, fallback) < 0 ? NULL : out;
}

int
dk_config_defaults(dk_config **out)
{
	struct config_priv *cfg;
	int rc = 0;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].def && (rc = set_value(cfg, &keys[i], keys[i].name, keys[i].def, FROM_DEFAULT)) < 0)
			goto done;
	}
	cfg->pub.state_dir = default_dir("XDG_STATE_HOME", ".local/state");
	if (!cfg->pub.state_dir) {
		rc = dk_error_set(DK_EINVALID, "no state directory: neither XDG_STATE_HOME nor HOME is set");
		goto done;
	}
	if ((rc = derive(cfg)) < 0)
		goto done;
	*out = &cfg->pub;
	cfg = NULL;
done:
	dk_config_free(cfg ? &cfg->pub : NULL);
	return rc;
}

struct parse_ctx {
	struct config_priv *cfg;
	const char *file;
	FILE *fp;
	int lineno;             /* of the line inih is handling, counted by read_line */
	int err_line;           /* line of the first error we recorded, 0 when none */
	int err_code;
	char err_msg[1024];
	const char *secret;     /* "gitea.token" when the file sets a secret */
	char secret_name[64];
};

/* inih keeps going after an error; only the first one is worth reporting. */
static void
record_error(struct parse_ctx *ctx, int code)
{
	if (ctx->err_line)
		return;
	ctx->err_line = ctx->lineno;
	ctx->err_code = code;
	snprintf(ctx->err_msg, sizeof(ctx->err_msg), "%s", dk_error_last()->message);
}

/*
 * inih's handler gets no line number (the packaged library is built without
 * INI_HANDLER_LINENO), so the reader counts lines: inih calls it once per line and then
 * handles that line before reading the next. It also refuses over-long lines, which
 * inih would silently split into two.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	size_t len;
	int c;

	if (!fgets(str, num, ctx->fp))
		return NULL;
	ctx->lineno++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(ctx->fp)) {
		while ((c = fgetc(ctx->fp)) != EOF && c != '\n')
			;
		dk_error_set(DK_EINVALID, "%s:%d: line is longer than %d characters",
			     ctx->file, ctx->lineno, num - 3);
		record_error(ctx, DK_EINVALID);
		str[0] = '\0';
	}
	return str;
}

static int
ini_handler_cb(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	const struct key_def *k = find_key(section, name);
	int rc;

	if (!k) {
		if (*section == '\0')
			dk_error_set(DK_EINVALID, "%s:%d: key \"%s\" is outside any [section]",
				     ctx->file, ctx->lineno, name);
		else
			dk_error_set(DK_EINVALID, "%s:%d: unknown key \"%s.%s\"",
				     ctx->file, ctx->lineno, section, name);
		record_error(ctx, DK_EINVALID);
		return 0;
	}
	if (k->type == KEY_SECRET && !ctx->secret) {
		snprintf(ctx->secret_name, sizeof(ctx->secret_name), "%s.%s", k->section, k->name);
		ctx->secret = ctx->secret_name;
	}
	if ((rc = set_value(ctx->cfg, k, name, value, FROM_FILE)) < 0) {
		dk_error_prefix("%s:%d: %s.%s", ctx->file, ctx->lineno, k->section, k->name);
		record_error(ctx, rc);
		return 0;
	}
	return 1;
}

static int
load_file(struct config_priv *cfg, const char *path, int explicit_path)
{
	struct parse_ctx ctx = { .cfg = cfg, .file = path };
	struct stat st;
	int rc = 0, line;

	ctx.fp = fopen(path, "re");
	if (!ctx.fp) {
		if (errno == ENOENT && !explicit_path)
			return 0;
		return dk_error_set(errno == ENOENT ? DK_ENOTFOUND : DK_EIO,
				    "config file %s: %s", path, strerror(errno));
	}
	if (fstat(fileno(ctx.fp), &st) < 0) {
		rc = dk_error_set(DK_EIO, "config file %s: %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dk_error_set(DK_EINVALID, "config file %s is not a regular file", path);
		goto done;
	}
	line = ini_parse_stream(read_line, &ctx, ini_handler_cb, &ctx);
	/* A leaked secret matters more than a typo elsewhere in the file. */
	if (ctx.secret && (st.st_mode & 077)) {
		rc = dk_error_set(DK_EAUTH, "%s holds %s but is readable by others: run chmod 600 %s",
				  path, ctx.secret, path);
		goto done;
	}
	if (line < 0) {
		rc = dk_error_set(line == -2 ? DK_ENOMEM : DK_EIO, "config file %s: cannot read", path);
		goto done;
	}
	/* inih reports the first bad line, which is a syntax error when it precedes ours. */
	if (line > 0 && (ctx.err_line == 0 || line < ctx.err_line)) {
		rc = dk_error_set(DK_EINVALID, "%s:%d: expected \"key = value\" or \"[section]\"", path, line);
		goto done;
	}
	if (ctx.err_line) {
		rc = dk_error_set(ctx.err_code, "%s", ctx.err_msg);
		goto done;
	}
	free(cfg->pub.path);
	cfg->pub.path = strdup(path);
	if (!cfg->pub.path)
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	fclose(ctx.fp);
	return rc;
}

static int
load_env(struct config_priv *cfg)
{
	char name[128];
	const char *value;
	size_t n;
	int rc;

	for (size_t i = 0; i < N_KEYS; i++) {
		/* A free-form section has no fixed names to look up. */
		if (keys[i].type == KEY_PAIRS)
			continue;
		n = (size_t)snprintf(name, sizeof(name), "DISKOPS_%s_%s", keys[i].section, keys[i].name);
		for (size_t j = 0; j < n && j < sizeof(name); j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		value = getenv(name);
		/* Empty means unset, as for the XDG variables. */
		if (!value || !*value)
			continue;
		if ((rc = set_value(cfg, &keys[i], keys[i].name, value, FROM_ENV)) < 0)
			return dk_error_prefix("%s", name);
	}
	return 0;
}

static char *
default_config_path(void)
{
	char *dir = default_dir("XDG_CONFIG_HOME", ".config"), *path = NULL;

	if (dir && asprintf(&path, "%s/config.ini", dir) < 0)
		path = NULL;
	free(dir);
	return path;
}

int
dk_config_load(dk_config **out, const char *path)
{
	dk_config *pub = NULL;
	struct config_priv *cfg;
	const char *env = getenv("DISKOPS_CONFIG");
	char *def = NULL;
	int rc, explicit_path = 1;

	*out = NULL;
	if ((rc = dk_config_defaults(&pub)) < 0)
		goto done;
	cfg = (struct config_priv *)pub;
	if (!path && env && *env)
		path = env;
	if (!path) {
		path = def = default_config_path();
		explicit_path = 0;
	}
	if (path && (rc = load_file(cfg, path, explicit_path)) < 0)
		goto done;
	if ((rc = load_env(cfg)) < 0 || (rc = derive(cfg)) < 0)
		goto done;
	*out = pub;
	pub = NULL;
done:
	dk_config_free(pub);
	free(def);
	return rc;
}

int
dk_config_set(dk_config *pub, const char *name, const char *value)
{
	struct config_priv *cfg = (struct config_priv *)pub;
	const char *dot = strchr(name, '.');
	const struct key_def *k = NULL;
	char section[64];
	int rc;

	if (dot && (size_t)(dot - name) < sizeof(section)) {
		memcpy(section, name, (size_t)(dot - name));
		section[dot - name] = '\0';
		k = find_key(section, dot + 1);
	}
	if (!k)
		return dk_error_set(DK_EINVALID, "unknown key \"%s\"", name);
	if ((rc = set_value(cfg, k, dot + 1, value, FROM_FLAG)) < 0)
		return dk_error_prefix("%s.%s", k->section, k->name);
	return derive(cfg);
}

int
dk_config_ensure_state_dir(const dk_config *cfg)
{
	char *p = strdup(cfg->state_dir), *s;
	struct stat st;
	int rc = 0;

	if (!p)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if (!*p) {
		rc = dk_error_set(DK_EINVALID, "state directory is empty");
		goto done;
	}
	/* Walks every prefix so that missing parents are created too, each 0700. */
	for (s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (stat(p, &st) < 0) {
			if (errno != ENOENT || (mkdir(p, 0700) < 0 && errno != EEXIST)) {
				rc = dk_error_set(DK_EIO, "state directory %s: %s", p, strerror(errno));
				goto done;
			}
		} else if (!S_ISDIR(st.st_mode)) {
			rc = dk_error_set(DK_EIO, "state directory %s: %s", p, strerror(ENOTDIR));
			goto done;
		}
		*s = c;
		if (c == '\0')
			break;
	}
done:
	free(p);
	return rc;
}

char *
dk_config_state_path(const dk_config *cfg, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", cfg->state_dir, name) < 0)
		return NULL;
	return path;
}

void
dk_config_free(dk_config *pub)
{
	if (!pub)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].type == KEY_STRING || keys[i].type == KEY_SECRET)
			free_string(*(char **)(void *)((char *)pub + keys[i].offset), keys[i].type);
	}
	for (size_t i = 0; i < pub->n_keys; i++) {
		free(pub->keys[i].name);
		free(pub->keys[i].value);
	}
	free(pub->keys);
	free(pub->path);
	free(pub);
}
