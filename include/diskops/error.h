#ifndef DISKOPS_ERROR_H
#define DISKOPS_ERROR_H

/*
 * libgit2-style errors: functions that can fail return int, 0 on success or a
 * negative DK_E* code; the message is kept per thread and read with
 * dk_error_last().
 */

typedef enum {
	DK_OK = 0,
	DK_ERROR = -1,      /* anything without a more precise code */
	DK_EINVALID = -2,   /* bad input: name, value, range, format */
	DK_ENOTFOUND = -3,
	DK_EVERIFY = -4,    /* signature or digest verification failed */
	DK_EPENDING = -5,   /* parked for approval */
	DK_ECONFLICT = -6,  /* exists already, or a concurrent change won */
	DK_ESTATE = -7,     /* illegal state transition */
	DK_EAUTH = -8,      /* authentication or permission */
	DK_ESTORE = -9,     /* database unusable: corrupt, locked, newer schema */
	DK_EIO = -10,       /* file system or network I/O */
	DK_ENOMEM = -11,
	DK_EUSAGE = -12     /* a front end was called wrongly */
} dk_error_code;

typedef struct {
	int code;
	const char *message;
} dk_error;

/* The last error recorded on this thread; never NULL (code 0 and "" when none). */
const dk_error *dk_error_last(void);

/* Records an error and returns its code, so `return dk_error_set(...)` reads naturally. */
int dk_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepends "<context>: " to the current message, keeping its code; returns the code. */
int dk_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void dk_error_clear(void);

/* A short stable name for a code ("not_found", "conflict", ...), for JSON and REST. */
const char *dk_error_code_name(int code);

/* The CLI exit code for an error code (DESIGN §10). */
int dk_error_exit_code(int code);

#endif
