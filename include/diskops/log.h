#ifndef DISKOPS_LOG_H
#define DISKOPS_LOG_H

#include <stdio.h>

/*
 * Leveled logfmt lines ("time=… level=… <fields>") on stderr. Every line passes the
 * redaction filter first: registered secret values, pndis_/swt_ tokens and
 * Authorization values become [redacted].
 */

typedef enum {
	DK_LOG_DEBUG = 0,
	DK_LOG_INFO,
	DK_LOG_WARN,
	DK_LOG_ERROR,
	DK_LOG_OFF
} dk_log_level;

void dk_log(dk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define dk_log_debug(...) dk_log(DK_LOG_DEBUG, __VA_ARGS__)
#define dk_log_info(...)  dk_log(DK_LOG_INFO, __VA_ARGS__)
#define dk_log_warn(...)  dk_log(DK_LOG_WARN, __VA_ARGS__)
#define dk_log_error(...) dk_log(DK_LOG_ERROR, __VA_ARGS__)

void dk_log_set_level(dk_log_level level);
dk_log_level dk_log_get_level(void);
/* "debug", "info", "warn", "error", "off"; returns DK_EINVALID for anything else. */
int dk_log_parse_level(dk_log_level *out, const char *name);
/* Where lines go; NULL means stderr. The caller keeps ownership of the FILE. */
void dk_log_set_sink(FILE *sink);

/* Adds a value that must never appear in a log line (a copy is kept). */
void dk_log_register_secret(const char *value);
void dk_log_forget_secrets(void);

/* The filter itself: *out is a new string the caller frees. */
int dk_log_redact(char **out, const char *line);

/* Quotes a value for logfmt when it needs it; *out is freed by the caller. */
char *dk_log_quote(const char *value);

#endif
