/* core/gitea's readers of what Gitea sends: times (with offsets, "not set" as the epoch),
 * OWNER/REPO, status words. Internal functions, tested directly. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/gitea.h"
#include "../../core/gitea_internal.h"

static int64_t
t(const char *value)
{
	json_t *j = json_pack("{s:s}", "t", value);
	int64_t v = gitea_jtime(j, "t");

	json_decref(j);
	return v;
}

static void
times(void **state)
{
	(void)state;
	assert_int_equal(t("2026-11-23T10:00:00Z"), 1795428000);
	assert_int_equal(t("2026-11-23T10:00:00.1234567Z"), 1795428000);
	/* Run times come in the server's local offset. */
	assert_int_equal(t("2026-11-23T12:00:00+02:00"), 1795428000);
	assert_int_equal(t("2026-11-23T05:30:00-04:30"), 1795428000);
	/* Not set: the epoch, in whatever offset. */
	assert_int_equal(t("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t("1970-01-01T08:00:00+08:00"), 0);
	assert_int_equal(t("garbage"), 0);
	assert_int_equal(gitea_jtime(NULL, "t"), 0);
}

static void
split_repo(void **state)
{
	char *o = NULL, *r = NULL;

	(void)state;
	assert_int_equal(dk_gitea_split_repo(&o, &r, "ops/disk-images"), 0);
	assert_string_equal(o, "ops");
	assert_string_equal(r, "disk-images");
	free(o);
	free(r);
	assert_int_equal(dk_gitea_split_repo(&o, &r, "ops"), DK_EINVALID);
	assert_int_equal(dk_gitea_split_repo(&o, &r, "/x"), DK_EINVALID);
	assert_int_equal(dk_gitea_split_repo(&o, &r, "a/b/c"), DK_EINVALID);
	assert_int_equal(dk_gitea_split_repo(&o, &r, NULL), DK_EINVALID);
	assert_null(o);
}

static void
status_words(void **state)
{
	(void)state;
	assert_true(dk_gitea_status_done("completed"));
	assert_false(dk_gitea_status_done("in_progress"));
	assert_false(dk_gitea_status_done("queued"));
	assert_false(dk_gitea_status_done(""));
	assert_false(dk_gitea_status_done(NULL));
	assert_string_equal(dk_gitea_feature_since(DK_GITEA_CANCEL), "1.28");
	assert_string_equal(dk_gitea_feature_since(DK_GITEA_RUNS_API), "1.25");
}

static void
escaping(void **state)
{
	char *p = gitea_repo_path("o w", "r/x", "/actions/runs/%d", 5);

	(void)state;
	assert_string_equal(p, "/repos/o%20w/r%2Fx/actions/runs/5");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(times),
		cmocka_unit_test(split_repo),
		cmocka_unit_test(status_words),
		cmocka_unit_test(escaping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
