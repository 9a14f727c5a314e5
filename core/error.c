#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diskops/error.h"

#define DK_ERROR_MAX 1024

static _Thread_local char err_buf[DK_ERROR_MAX];
static _Thread_local dk_error err_last = { 0, "" };

const dk_error *
dk_error_last(void)
{
	return &err_last;
}

int
dk_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
	err_last.code = code;
	err_last.message = err_buf;
	return code;
}

int
dk_error_prefix(const char *fmt, ...)
{
	char ctx[DK_ERROR_MAX], old[DK_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err_buf, sizeof(old));
	/* Long messages are cut, never overflowed; the length is deliberately unused. */
	if (snprintf(err_buf, sizeof(err_buf), "%s: %s", ctx, old) < 0)
		err_buf[0] = '\0';
	err_last.message = err_buf;
	if (err_last.code == 0)
		err_last.code = DK_ERROR;
	return err_last.code;
}

void
dk_error_clear(void)
{
	err_buf[0] = '\0';
	err_last.code = 0;
	err_last.message = err_buf;
}

const char *
dk_error_code_name(int code)
{
	switch (code) {
	case DK_OK: return "ok";
	case DK_EINVALID: return "invalid";
	case DK_ENOTFOUND: return "not_found";
	case DK_EVERIFY: return "verification_failed";
	case DK_EPENDING: return "approval_pending";
	case DK_ECONFLICT: return "conflict";
	case DK_ESTATE: return "invalid_state";
	case DK_EAUTH: return "unauthorized";
	case DK_ESTORE: return "store_error";
	case DK_EIO: return "io_error";
	case DK_ENOMEM: return "out_of_memory";
	case DK_EUSAGE: return "usage";
	default: return "error";
	}
}

int
dk_error_exit_code(int code)
{
	switch (code) {
	case DK_OK: return 0;
	case DK_EUSAGE:
	case DK_EINVALID: return 2;
	case DK_ENOTFOUND: return 3;
	case DK_EVERIFY: return 4;
	case DK_EPENDING: return 5;
	case DK_ECONFLICT:
	case DK_ESTATE: return 6;
	default: return 1;
	}
}
