#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"

#define REDACTED "[redacted]"
#define MAX_SECRETS 64

/* Token shapes are redacted whether or not they were registered: a secret can reach a
 * log through a path that never saw it being created (a request body, a header). */
static const char token_pattern[] =
	"(?:pndis_|swt_)[A-Za-z0-9_-]+"
	"|(?i:authorization)(?::[ \\t]*|=\"?)\\K[^\"\\r\\n]+";

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static dk_log_level log_level = DK_LOG_INFO;
static FILE *log_sink;
static char *secrets[MAX_SECRETS];
static size_t n_secrets;
static pcre2_code *token_re;

static const char *level_names[] = { "debug", "info", "warn", "error", "off" };

void
dk_log_set_level(dk_log_level level)
{
	log_level = level;
}

dk_log_level
dk_log_get_level(void)
{
	return log_level;
}

int
dk_log_parse_level(dk_log_level *out, const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (dk_log_level)i;
			return 0;
		}
	}
	return dk_error_set(DK_EINVALID, "log level \"%s\" is not one of debug, info, warn, error, off", name);
}

void
dk_log_set_sink(FILE *sink)
{
	pthread_mutex_lock(&log_lock);
	log_sink = sink;
	pthread_mutex_unlock(&log_lock);
}

void
dk_log_register_secret(const char *value)
{
	if (!value || strlen(value) < 6)
		return;
	/* Generated tokens are caught by their shape; keeping the list to configured
	 * secrets means it never fills up in a long-running serve. */
	if (strncmp(value, "pndis_", 6) == 0 || strncmp(value, "swt_", 4) == 0)
		return;
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < n_secrets; i++) {
		if (strcmp(secrets[i], value) == 0)
			goto done;
	}
	if (n_secrets == MAX_SECRETS) {
		free(secrets[0]);
		memmove(secrets, secrets + 1, (MAX_SECRETS - 1) * sizeof(*secrets));
		n_secrets--;
	}
	secrets[n_secrets] = strdup(value);
	if (secrets[n_secrets])
		n_secrets++;
done:
	pthread_mutex_unlock(&log_lock);
}

void
dk_log_forget_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	n_secrets = 0;
	pthread_mutex_unlock(&log_lock);
}

static void
compile_token_regex(void)
{
	int errcode;
	PCRE2_SIZE erroff;

	token_re = pcre2_compile((PCRE2_SPTR)token_pattern, PCRE2_ZERO_TERMINATED, 0,
				 &errcode, &erroff, NULL);
}

static pcre2_code *
token_regex(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, compile_token_regex);
	return token_re;
}

/* Replaces every occurrence of needle in *s (reallocating). Called with log_lock held. */
static int
replace_all(char **s, const char *needle)
{
	size_t nlen = strlen(needle), rlen = strlen(REDACTED);
	char *p;

	while ((p = strstr(*s, needle)) != NULL) {
		size_t off = (size_t)(p - *s), len = strlen(*s);
		char *n = malloc(len - nlen + rlen + 1);

		if (!n)
			return DK_ENOMEM;
		memcpy(n, *s, off);
		memcpy(n + off, REDACTED, rlen);
		memcpy(n + off + rlen, p + nlen, len - off - nlen + 1);
		free(*s);
		*s = n;
	}
	return 0;
}

static int
redact_locked(char **out, const char *line)
{
	pcre2_code *re = token_regex();
	PCRE2_SIZE outlen;
	PCRE2_UCHAR *buf = NULL;
	char *s = NULL;
	int rc;

	*out = NULL;
	s = strdup(line);
	if (!s)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = 0; i < n_secrets; i++) {
		if ((rc = replace_all(&s, secrets[i])) < 0)
			goto fail;
	}
	if (!re) {
		*out = s;
		return 0;
	}
	outlen = strlen(s) + 64;
	for (;;) {
		buf = malloc(outlen);
		if (!buf) {
			rc = DK_ENOMEM;
			goto fail;
		}
		rc = pcre2_substitute(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0,
				      PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
				      NULL, NULL, (PCRE2_SPTR)REDACTED, PCRE2_ZERO_TERMINATED,
				      buf, &outlen);
		if (rc != PCRE2_ERROR_NOMEMORY)
			break;
		free(buf);
		buf = NULL;
	}
	if (rc < 0) {
		rc = DK_ERROR;
		goto fail;
	}
	free(s);
	*out = (char *)buf;
	return 0;
fail:
	free(s);
	free(buf);
	return dk_error_set(rc, "log redaction failed");
}

int
dk_log_redact(char **out, const char *line)
{
	int rc;

	pthread_mutex_lock(&log_lock);
	rc = redact_locked(out, line);
	pthread_mutex_unlock(&log_lock);
	return rc;
}

char *
dk_log_quote(const char *value)
{
	size_t len = 2;
	int needs = (*value == '\0');
	char *out, *o;

	for (const char *p = value; *p; p++) {
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
			needs = 1;
		len += (*p == '"' || *p == '\\' || *p == '\n') ? 2 : 1;
	}
	if (!needs)
		return strdup(value);
	out = o = malloc(len + 1);
	if (!out)
		return NULL;
	*o++ = '"';
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = *p;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if ((unsigned char)*p < 0x20) {
			*o++ = ' ';
		} else {
			*o++ = *p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

void
dk_log(dk_log_level level, const char *fmt, ...)
{
	char body[4096], line[4200], ts[32];
	char *clean = NULL;
	struct tm tm;
	time_t now;
	va_list ap;

	if (level < log_level || level >= DK_LOG_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	now = (time_t)dk_clock_now();
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(line, sizeof(line), "time=%s level=%s %s", ts, level_names[level], body);

	pthread_mutex_lock(&log_lock);
	if (redact_locked(&clean, line) == 0) {
		fprintf(log_sink ? log_sink : stderr, "%s\n", clean);
		fflush(log_sink ? log_sink : stderr);
	}
	pthread_mutex_unlock(&log_lock);
	free(clean);
}
