#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"

static void
redacts_token_shapes(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(dk_log_redact(&out, "secret=pndis_AbC-12_xyz0123456789 next=1"), 0);
	assert_string_equal(out, "secret=[redacted] next=1");
	free(out);
	assert_int_equal(dk_log_redact(&out, "token=swt_QQQQQQQQQQQQQQ"), 0);
	assert_string_equal(out, "token=[redacted]");
	free(out);
}

static void
redacts_authorization_values(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(dk_log_redact(&out, "header=\"Authorization: Bearer eyJhbGciOi.abc\" status=401"), 0);
	assert_string_equal(out, "header=\"Authorization: [redacted]\" status=401");
	free(out);
	assert_int_equal(dk_log_redact(&out, "authorization=\"token 0123abcd\" x=1"), 0);
	assert_string_equal(out, "authorization=\"[redacted]\" x=1");
	free(out);
}

static void
redacts_registered_secrets(void **state)
{
	char *out;

	(void)state;
	dk_log_register_secret("hunter2-registry-password");
	assert_int_equal(dk_log_redact(&out, "pw=hunter2-registry-password again=hunter2-registry-password"), 0);
	assert_string_equal(out, "pw=[redacted] again=[redacted]");
	free(out);
	dk_log_forget_secrets();
	assert_int_equal(dk_log_redact(&out, "pw=hunter2-registry-password"), 0);
	assert_string_equal(out, "pw=hunter2-registry-password");
	free(out);
}

static void
log_lines_are_logfmt_and_filtered(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "log"), *text;
	FILE *f = fopen(path, "w+");

	(void)state;
	dk_clock_set(1795000000);
	dk_log_set_sink(f);
	dk_log_set_level(DK_LOG_INFO);
	dk_log_debug("msg=hidden");
	dk_log_warn("msg=%s secret=%s", "bad_signature", "pndis_abcdefgh12345678");
	dk_log_set_sink(NULL);
	fclose(f);
	text = tu_read_file(path, NULL);
	assert_non_null(text);
	assert_string_equal(text, "time=2026-11-18T11:06:40Z level=warn msg=bad_signature secret=[redacted]\n");
	free(text);
	dk_clock_set(0);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void
quotes_values_that_need_it(void **state)
{
	char *q;

	(void)state;
	q = dk_log_quote("plain");
	assert_string_equal(q, "plain");
	free(q);
	q = dk_log_quote("two words \"quoted\"");
	assert_string_equal(q, "\"two words \\\"quoted\\\"\"");
	free(q);
	q = dk_log_quote("");
	assert_string_equal(q, "\"\"");
	free(q);
}

static void
level_names_parse(void **state)
{
	dk_log_level l;

	(void)state;
	assert_int_equal(dk_log_parse_level(&l, "warn"), 0);
	assert_int_equal(l, DK_LOG_WARN);
	assert_int_equal(dk_log_parse_level(&l, "loud"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "loud"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redacts_token_shapes),
		cmocka_unit_test(redacts_authorization_values),
		cmocka_unit_test(redacts_registered_secrets),
		cmocka_unit_test(log_lines_are_logfmt_and_filtered),
		cmocka_unit_test(quotes_values_that_need_it),
		cmocka_unit_test(level_names_parse),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
