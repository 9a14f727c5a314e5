#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/valid.h"

static void
names(void **state)
{
	static const char *const good[] = { "ubuntu-24.04-lts", "a", "rpi4", "x_y.z", "0abc" };
	static const char *const bad[] = {
		"", "Ubuntu", "-lead", "trail-", "has space", "semi;colon", "ünïcode", ".hidden",
		"a234567890123456789012345678901234567890123456789012345678901234",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_int_equal(dk_valid_name("platform name", good[i]), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(dk_valid_name("platform name", bad[i]), DK_EINVALID);
		assert_non_null(strstr(dk_error_last()->message, "platform name \""));
	}
	assert_int_equal(dk_valid_name("x", NULL), DK_EINVALID);
}

static void
fields(void **state)
{
	int v;

	(void)state;
	assert_int_equal(dk_valid_arch("amd64"), 0);
	assert_int_equal(dk_valid_arch("arm64"), 0);
	assert_int_equal(dk_valid_arch("x86_64"), DK_EINVALID);
	assert_int_equal(dk_valid_retention(1), 0);
	assert_int_equal(dk_valid_retention(50), 0);
	assert_int_equal(dk_valid_retention(0), DK_EINVALID);
	assert_int_equal(dk_valid_retention(51), DK_EINVALID);
	assert_string_equal(dk_error_last()->message,
			    "retention 51 is out of range: keep between 1 and 50 published images");
	assert_int_equal(dk_valid_tlog_policy("ignore"), 0);
	assert_int_equal(dk_valid_tlog_policy("Required"), DK_EINVALID);
	assert_int_equal(dk_valid_repo("ops/image-build"), 0);
	assert_int_equal(dk_valid_repo("ops"), DK_EINVALID);
	assert_int_equal(dk_valid_repo("a/b/c"), DK_EINVALID);
	assert_int_equal(dk_valid_repo("../x"), DK_EINVALID);
	assert_int_equal(dk_valid_repo_path("workflow file", ".gitea/workflows/b.yml"), 0);
	assert_int_equal(dk_valid_repo_path("workflow file", "/etc/passwd"), DK_EINVALID);
	assert_int_equal(dk_valid_repo_path("workflow file", "a/../../b"), DK_EINVALID);
	assert_int_equal(dk_valid_repo_path("workflow file", "a/.."), DK_EINVALID);
	assert_int_equal(dk_valid_repo_path("workflow file", "a/..b/c"), 0);
	assert_true(dk_is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	assert_false(dk_is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	assert_false(dk_is_sha256_hex("e3b0c4"));
	assert_int_equal(dk_parse_int(&v, "limit", "25", 1, 100), 0);
	assert_int_equal(v, 25);
	assert_int_equal(dk_parse_int(&v, "limit", "25x", 1, 100), DK_EINVALID);
	assert_int_equal(dk_parse_int(&v, "limit", "99999999999999999999", 1, 100), DK_EINVALID);
	assert_int_equal(dk_parse_int(&v, "limit", "", 1, 100), DK_EINVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(fields),
	};
	return cmocka_run_group_tests_name("valid", tests, NULL, NULL);
}
