#ifndef DISKOPS_TESTUTIL_H
#define DISKOPS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR; removed with tu_rmrf. Caller frees the string. */
char *tu_mkdtemp(void);
void tu_rmrf(const char *path);
/* Reads a whole file into a NUL-terminated buffer (NULL when unreadable). */
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *data, int mode);
char *tu_path(const char *dir, const char *name);

/*
 * Runs argv with the environment given (NULL-terminated "K=V" list appended to
 * the current one), stdin from `input` (may be NULL), and captures stdout and
 * stderr. Returns the exit status (128+signal when killed).
 */
typedef struct {
	int status;
	char *out;
	char *err;
} tu_run_result;

int tu_run(tu_run_result *r, const char *const *argv, const char *const *env, const char *input);
void tu_run_result_free(tu_run_result *r);

/*
 * Path under the shared reference tree: $DISKOPS_SHARED (default ../shared, the
 * checkout beside the repo) + "/reference/sigstore/" + rel. Caller frees.
 */
char *tu_sigstore_path(const char *rel);
/* Reads a shared sigstore vector; NULL when missing. */
char *tu_sigstore_read(const char *rel, size_t *len);

#endif
