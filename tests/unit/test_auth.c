#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "diskops/auth.h"
#include "diskops/clock.h"
#include "diskops/error.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcde";
static const unsigned char other[32] = "fedcba9876543210fedcba987654321";

static void
roles_grant_in_order(void **state)
{
	(void)state;
	assert_true(dk_role_allows(DK_ROLE_VIEWER, "system.platforms.read"));
	assert_false(dk_role_allows(DK_ROLE_VIEWER, "system.platforms.manage_disk_image_policy"));
	assert_true(dk_role_allows(DK_ROLE_OPERATOR, "system.platforms.manage_disk_image_policy"));
	assert_false(dk_role_allows(DK_ROLE_OPERATOR, "system.disk_image_webhooks.create"));
	assert_true(dk_role_allows(DK_ROLE_ADMIN, "system.disk_image_webhooks.create"));
	assert_false(dk_role_allows(DK_ROLE_ADMIN, "no.such.permission"));
}

static void
tokens_verify_and_expire(void **state)
{
	dk_auth_claims c;
	char *t = NULL;

	(void)state;
	dk_clock_set(1900000000);
	assert_int_equal(dk_auth_token_issue(&t, key, 32, "alice", "acct-1", DK_ROLE_OPERATOR, 3600), 0);
	assert_int_equal(dk_auth_token_verify(&c, key, 32, t), 0);
	assert_string_equal(c.subject, "alice");
	assert_string_equal(c.account_id, "acct-1");
	assert_int_equal(c.role, DK_ROLE_OPERATOR);
	dk_auth_claims_clear(&c);
	assert_int_equal(dk_auth_token_verify(&c, other, 32, t), DK_EAUTH);
	dk_clock_advance(3600);
	assert_int_equal(dk_auth_token_verify(&c, key, 32, t), DK_EAUTH);
	free(t);
	/* unsigned ("alg":"none") and garbage tokens */
	assert_int_equal(dk_auth_token_verify(&c, key, 32,
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0."), DK_EAUTH);
	assert_int_equal(dk_auth_token_verify(&c, key, 32, "x.y.z"), DK_EAUTH);
	assert_int_equal(dk_auth_token_verify(&c, key, 32, ""), DK_EAUTH);
	dk_clock_set(0);
}

static void
key_file_is_private_and_stable(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, DK_AUTH_KEY_FILE);
	unsigned char *a = NULL, *b = NULL;
	size_t na, nb;
	struct stat st;

	(void)state;
	assert_int_equal(dk_auth_key_load(&a, &na, dir), 0);
	assert_int_equal(dk_auth_key_load(&b, &nb, dir), 0);
	assert_int_equal(na, 32);
	assert_memory_equal(a, b, 32);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	chmod(path, 0644);
	free(b);
	assert_int_equal(dk_auth_key_load(&b, &nb, dir), DK_EAUTH);
	free(a);
	tu_rmrf(dir);
	free(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roles_grant_in_order),
		cmocka_unit_test(tokens_verify_and_expire),
		cmocka_unit_test(key_file_is_private_and_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
