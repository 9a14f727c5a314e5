#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/uuid.h"

static void
set_returns_code_and_keeps_message(void **state)
{
	(void)state;
	assert_int_equal(dk_error_set(DK_ENOTFOUND, "platform \"%s\" not found", "x"), DK_ENOTFOUND);
	assert_int_equal(dk_error_last()->code, DK_ENOTFOUND);
	assert_string_equal(dk_error_last()->message, "platform \"x\" not found");
	dk_error_clear();
	assert_int_equal(dk_error_last()->code, 0);
	assert_string_equal(dk_error_last()->message, "");
}

static void
prefix_adds_context_and_keeps_code(void **state)
{
	(void)state;
	dk_error_set(DK_EIO, "disk full");
	assert_int_equal(dk_error_prefix("migration %d", 2), DK_EIO);
	assert_string_equal(dk_error_last()->message, "migration 2: disk full");
}

static void
long_messages_are_cut_not_overflowed(void **state)
{
	char big[3000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dk_error_set(DK_ERROR, "%s", big);
	assert_int_equal(strlen(dk_error_last()->message), 1023);
	dk_error_prefix("ctx");
	assert_int_equal(strlen(dk_error_last()->message), 1023);
	assert_memory_equal(dk_error_last()->message, "ctx: aaa", 8);
}

static void
exit_codes_follow_the_design(void **state)
{
	(void)state;
	assert_int_equal(dk_error_exit_code(0), 0);
	assert_int_equal(dk_error_exit_code(DK_ERROR), 1);
	assert_int_equal(dk_error_exit_code(DK_EIO), 1);
	assert_int_equal(dk_error_exit_code(DK_ESTORE), 1);
	assert_int_equal(dk_error_exit_code(DK_EUSAGE), 2);
	assert_int_equal(dk_error_exit_code(DK_EINVALID), 2);
	assert_int_equal(dk_error_exit_code(DK_ENOTFOUND), 3);
	assert_int_equal(dk_error_exit_code(DK_EVERIFY), 4);
	assert_int_equal(dk_error_exit_code(DK_EPENDING), 5);
	assert_int_equal(dk_error_exit_code(DK_ECONFLICT), 6);
	assert_int_equal(dk_error_exit_code(DK_ESTATE), 6);
	assert_string_equal(dk_error_code_name(DK_ENOTFOUND), "not_found");
	assert_string_equal(dk_error_code_name(DK_EPENDING), "approval_pending");
}

static void
clock_is_settable_and_formats(void **state)
{
	char buf[32];
	int64_t d;

	(void)state;
	dk_clock_set(1800000000);
	assert_int_equal(dk_clock_now(), 1800000000);
	dk_clock_advance(3600);
	assert_int_equal(dk_clock_now(), 1800003600);
	assert_string_equal(dk_clock_iso(buf, 1800000000), "2027-01-15T08:00:00Z");
	assert_string_equal(dk_clock_age(buf, 1800003600 - 5), "just now");
	assert_string_equal(dk_clock_age(buf, 1800003600 - 90), "1m");
	assert_string_equal(dk_clock_age(buf, 1800003600 - 3 * 86400), "3d");
	assert_string_equal(dk_clock_age(buf, 0), "-");
	dk_clock_set(0);
	assert_true(dk_clock_now() > 1700000000);
	assert_int_equal(dk_clock_parse_duration(&d, "30d"), 0);
	assert_int_equal(d, 30 * 86400);
	assert_int_equal(dk_clock_parse_duration(&d, "90"), 0);
	assert_int_equal(d, 90);
	assert_int_equal(dk_clock_parse_duration(&d, "2w"), 0);
	assert_int_equal(d, 14 * 86400);
	assert_int_equal(dk_clock_parse_duration(&d, "5x"), DK_EINVALID);
	assert_int_equal(dk_clock_parse_duration(&d, "-5m"), DK_EINVALID);
	assert_int_equal(dk_clock_parse_duration(&d, "m"), DK_EINVALID);
	assert_int_equal(dk_clock_parse_duration(&d, "5mm"), DK_EINVALID);
}

static void
uuids_are_v4_and_distinct(void **state)
{
	char a[DK_UUID_LEN + 1], b[DK_UUID_LEN + 1];

	(void)state;
	dk_uuid_v4(a);
	dk_uuid_v4(b);
	assert_true(dk_uuid_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_false(dk_uuid_valid("not-a-uuid"));
	assert_false(dk_uuid_valid("F2969BE2-5D25-4497-9519-9A6D18912321"));
}

/* Ids come from a pool of random bytes: a forked child must not hand out the parent's. */
static void
uuids_differ_between_parent_and_forked_child(void **state)
{
	char mine[DK_UUID_LEN + 1], theirs[DK_UUID_LEN + 1] = "";
	int fds[2], status;
	pid_t pid;

	(void)state;
	dk_uuid_v4(mine); /* fills this thread's pool before the fork */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char id[DK_UUID_LEN + 1];

		dk_uuid_v4(id);
		_exit(write(fds[1], id, DK_UUID_LEN) == DK_UUID_LEN ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], theirs, DK_UUID_LEN), DK_UUID_LEN);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	dk_uuid_v4(mine);
	assert_true(dk_uuid_valid(theirs));
	assert_string_not_equal(mine, theirs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_returns_code_and_keeps_message),
		cmocka_unit_test(prefix_adds_context_and_keeps_code),
		cmocka_unit_test(long_messages_are_cut_not_overflowed),
		cmocka_unit_test(exit_codes_follow_the_design),
		cmocka_unit_test(clock_is_settable_and_formats),
		cmocka_unit_test(uuids_are_v4_and_distinct),
		cmocka_unit_test(uuids_differ_between_parent_and_forked_child),
	};
	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
