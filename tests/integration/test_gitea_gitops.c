/*
 * core/gitops against real git: the Gitea emulator's smart-HTTP repos (token auth) and
 * a file:// bare repo. Clone, template, commit, push, a push that lost the race, the tag
 * push trigger, and the commit log between two shas.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "gitea_fixture.h"
#include "diskops/clock.h"
#include "diskops/gitops.h"

static char *tmp;

static int
setup(void **state)
{
	(void)state;
	E = emu_start("1.27", NULL);
	tmp = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	long unknown;

	(void)state;
	unknown = emu_unknown_calls(E);
	assert_int_equal(emu_stop(E), 0);
	tu_rmrf(tmp);
	free(tmp);
	return unknown == 0 ? 0 : -1;
}

static char *
clone_url(const char *owner, const char *repo)
{
	char *u;

	assert_true(asprintf(&u, "%s/%s/%s.git", E->url, owner, repo) > 0);
	return u;
}

static dk_gitops *
open_clone(const char *name, const char *owner, const char *repo, const char *token)
{
	dk_gitops_remote r = { .username = owner, .token = token };
	char *dir = tu_path(tmp, name);
	dk_gitops *g = NULL;
	int rc;

	r.url = clone_url(owner, repo);
	rc = dk_gitops_open(&g, dir, &r);
	if (rc < 0)
		fail_msg("open %s: %s", name, dk_error_last()->message);
	free((char *)r.url);
	free(dir);
	return g;
}

/* Writes a file into a clone's working tree and stages it. */
static void
stage_file(const char *dir, const char *name, const char *text)
{
	git_repository *repo;
	git_index *idx;
	char *path = tu_path(dir, name);

	assert_int_equal(tu_write_file(path, text, 0644), 0);
	free(path);
	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, dir), 0);
	assert_int_equal(git_repository_index(&idx, repo), 0);
	assert_int_equal(git_index_add_bypath(idx, name), 0);
	assert_int_equal(git_index_write(idx), 0);
	git_index_free(idx);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static const dk_gitops_author ada = { "Ada Operator", "ada@example.org" };

/* Gitea's view of a file on main, NULL when absent. */
static char *
remote_file(const char *repo, const char *path)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_content *c = NULL;
	char *text = NULL;

	if (dk_gitea_content_get(g, &c, "alice", repo, path, NULL) == 0)
		text = strdup((const char *)c->data);
	dk_gitea_content_free(c);
	dk_gitea_free(g);
	return text;
}

static void
template_commit_push_over_https(void **state)
{
	dk_gitops_template t = { .platform = "rpi4", .arch = "arm64" };
	dk_gitops *g = open_clone("a", "alice", "build", EMU_ALICE);
	char sha[41], *wf, *sh, *path;
	int written;
	struct stat st;

	(void)state;
	assert_string_equal(dk_gitops_branch(g), "main");
	assert_int_equal(strlen(dk_gitops_head(g)), 40);
	assert_int_equal(dk_gitops_write_template(g, &written, &t, false), 0);
	assert_int_equal(written, 2);
	path = tu_path(tmp, "a/build.sh");
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & 0100);
	{
		/* The skeleton is valid bash, and refuses to pretend it built something. */
		const char *check[] = { "bash", "-n", path, NULL };
		const char *run[] = { "bash", path, "build", NULL };
		const char *env[] = { "OCI_REGISTRY=registry.invalid", NULL };
		tu_run_result r;

		assert_int_equal(tu_run(&r, check, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, run, env, NULL), 1);
		assert_contains(r.err, "no build yet: edit build() in build.sh");
		tu_run_result_free(&r);
	}
	free(path);
	dk_clock_set(1700000000);
	assert_int_equal(dk_gitops_commit(g, sha, "Add the disk image workflow", &ada), 0);
	assert_int_equal(strlen(sha), 40);
	assert_int_equal(dk_gitops_push(g), 0);

	wf = remote_file("build", DK_GITOPS_WORKFLOW_PATH);
	sh = remote_file("build", "build.sh");
	assert_non_null(wf);
	assert_non_null(sh);
	/* What the pipeline needs of it, as Gitea now serves it. */
	assert_contains(wf, "workflow_dispatch");
	assert_contains(wf, "runs-on: [disk-image-builder, arm64]");
	assert_contains(wf, "timeout-minutes: 90");
	assert_contains(wf, "default: \"rpi4\"");
	assert_contains(wf, "- \"system-disk-image/v*\"");
	assert_contains(sh, "set -euo pipefail");
	assert_contains(sh, "cosign sign --yes --key env://COSIGN_PRIVATE_KEY");
	assert_contains(sh, "openssl dgst -sha256 -hmac");
	assert_contains(sh, "X-Powernode-Signature: sha256=$sig");
	assert_contains(sh, "diskops upload --no-ingest");
	free(wf);
	free(sh);

	/* Written when absent only: a second run leaves the operator's files alone. */
	assert_int_equal(dk_gitops_write_template(g, &written, &t, false), 0);
	assert_int_equal(written, 0);
	assert_int_equal(dk_gitops_commit(g, sha, "nothing", &ada), 0);
	assert_string_equal(sha, "");
	dk_gitops_free(g);

	/* A fresh open of the same dir fetches and stands on the pushed commit. */
	g = open_clone("a", "alice", "build", EMU_ALICE);
	{
		dk_gitops_commit_list *l = NULL;
		dk_gitops *h = open_clone("a2", "alice", "build", EMU_ALICE);

		assert_string_equal(dk_gitops_head(g), dk_gitops_head(h));
		assert_int_equal(dk_gitops_log(&l, g, "HEAD", dk_gitops_head(g)), DK_EINVALID);
		dk_gitops_free(h);
	}
	dk_gitops_free(g);
	dk_clock_set(0);
}

static void
bad_token_and_gitea_down(void **state)
{
	dk_gitops_remote r = { .username = "alice", .token = "wrong-token-xyz" };
	dk_gitops *g = NULL;
	char *dir = tu_path(tmp, "bad");

	(void)state;
	/* Reading a public repo needs no token; writing does. */
	g = open_clone("bad", "alice", "build", "wrong-token-xyz");
	stage_file(dk_gitops_workdir(g), "try.txt", "try\n");
	assert_int_equal(dk_gitops_commit(g, NULL, "try", &ada), 0);
	assert_error(dk_gitops_push(g), DK_EAUTH, "refused the credentials");
	assert_null(strstr(dk_error_last()->message, "wrong-token-xyz"));
	dk_gitops_free(g);
	assert_null(remote_file("build", "try.txt"));

	r.url = "http://127.0.0.1:1/alice/build.git";
	free(dir);
	dir = tu_path(tmp, "down");
	assert_error(dk_gitops_open(&g, dir, &r), DK_EIO, "cannot reach http://127.0.0.1:1/alice/build.git");
	assert_null(g);
	/* A dir holding a clone of something else is not silently reused. */
	r.url = clone_url("alice", "other");
	free(dir);
	dir = tu_path(tmp, "a");
	assert_error(dk_gitops_open(&g, dir, &r), DK_EINVALID, "holds a clone of another repository");
	free((char *)r.url);
	free(dir);
}

static void
push_rejected_non_fast_forward(void **state)
{
	dk_gitea *api = client(EMU_ALICE);
	dk_gitea_commit_opts o = { .message = "someone else was faster" };
	dk_gitops *g;
	char sha[41], *before, *after;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/api/v1/user/repos", EMU_ALICE,
				  "{\"name\":\"race\",\"auto_init\":true}", NULL), 201);
	g = open_clone("race", "alice", "race", EMU_ALICE);
	before = remote_file("race", "README.md");
	/* The branch moves on Gitea after our fetch. */
	assert_int_equal(dk_gitea_content_put(api, NULL, "alice", "race", "NOTES", "x\n", 2, &o), 0);
	assert_int_equal(dk_gitops_write_template(g, NULL, NULL, false), 0);
	assert_int_equal(dk_gitops_commit(g, sha, "Add the workflow", &ada), 0);
	assert_error(dk_gitops_push(g), DK_ECONFLICT, "rejected (non-fast-forward)");
	assert_contains(dk_error_last()->message, "nothing was forced");
	assert_contains(dk_error_last()->message, "push: push to ");
	/* Gitea kept the other commit; ours is not there. */
	assert_null(remote_file("race", DK_GITOPS_WORKFLOW_PATH));
	after = remote_file("race", "NOTES");
	assert_string_equal(after, "x\n");
	dk_gitops_free(g);

	/* Running again starts from the remote tip and succeeds. */
	g = open_clone("race", "alice", "race", EMU_ALICE);
	assert_int_equal(dk_gitops_write_template(g, NULL, NULL, false), 0);
	assert_int_equal(dk_gitops_commit(g, sha, "Add the workflow", &ada), 0);
	assert_int_equal(dk_gitops_push(g), 0);
	free(after);
	after = remote_file("race", "NOTES");
	assert_string_equal(after, "x\n");
	free(after);
	after = remote_file("race", DK_GITOPS_WORKFLOW_PATH);
	assert_non_null(after);
	free(after);
	free(before);
	dk_gitops_free(g);
	dk_gitea_free(api);
}

static void
tag_push_triggers_a_run(void **state)
{
	dk_gitea *api = client(EMU_ALICE);
	dk_gitea_run_list *runs = NULL;
	dk_gitea_run_filter f = { .event = "push" };
	dk_gitops *g;
	char sha[41];

	(void)state;
	assert_error(dk_gitops_tag_valid("v1.2.3"), DK_EINVALID, "system-disk-image/vX.Y.Z");
	assert_error(dk_gitops_tag_valid("system-disk-image/v1.2"), DK_EINVALID, "X.Y.Z");
	assert_error(dk_gitops_tag_valid("system-disk-image/v01.2.3"), DK_EINVALID, "X.Y.Z");
	assert_error(dk_gitops_tag_valid("system-disk-image/v1.2.3 "), DK_EINVALID, "X.Y.Z");
	assert_error(dk_gitops_tag_valid("system-disk-image/v1.2.3-a..b"), DK_EINVALID, "ref name");
	assert_int_equal(dk_gitops_tag_valid("system-disk-image/v1.2.3"), 0);
	assert_int_equal(dk_gitops_tag_valid("system-disk-image/v10.0.1-rc.1"), 0);

	emu_runner_script(E, "alice", "build", "echo built from tag $GITHUB_REF\n");
	g = open_clone("tag", "alice", "build", EMU_ALICE);
	assert_error(dk_gitops_tag_push(g, sha, "bad/tag", NULL, NULL, &ada), DK_EINVALID,
		     "must look like");
	assert_int_equal(dk_gitops_tag_push(g, sha, "system-disk-image/v1.0.0", NULL, "first", &ada), 0);
	assert_string_equal(sha, dk_gitops_head(g));
	/* The push trigger: Gitea started the workflow for the tag. */
	assert_int_equal(dk_gitea_run_list_get(api, &runs, "alice", "build", &f), 0);
	assert_int_equal(runs->count, 1);
	assert_string_equal(runs->items[0].head_sha, sha);
	assert_contains(runs->items[0].path, "build-disk-image.yml@refs/tags/system-disk-image/v1.0.0");
	dk_gitea_run_list_free(runs);

	/* Tags are never moved, also from a clone that did not make it. */
	dk_gitops_free(g);
	g = open_clone("tag2", "alice", "build", EMU_ALICE);
	assert_error(dk_gitops_tag_push(g, sha, "system-disk-image/v1.0.0", NULL, NULL, &ada),
		     DK_ECONFLICT, "exists on");
	assert_error(dk_gitops_tag_push(g, sha, "system-disk-image/v1.0.1", "abcdef0123", NULL, &ada),
		     DK_ENOTFOUND, "target abcdef0123 is not a commit");
	dk_gitops_free(g);
	dk_gitea_free(api);
}

/* A bare repo on disk, reached as file://. */
static char *
bare_repo(const char *name)
{
	git_repository *r = NULL;
	char *path = tu_path(tmp, name), *url;

	git_libgit2_init();
	assert_int_equal(git_repository_init(&r, path, 1), 0);
	git_repository_free(r);
	git_libgit2_shutdown();
	assert_true(asprintf(&url, "file://%s", path) > 0);
	free(path);
	return url;
}

static void
log_between_two_shas_over_file_url(void **state)
{
	dk_gitops_remote r = { .branch = "main" };
	dk_gitops_commit_list *l = NULL;
	dk_gitops *g = NULL;
	char c[4][41], *dir = tu_path(tmp, "local");
	dk_gitops_author bob = { "Bob Builder", "bob@example.org" };

	(void)state;
	r.url = bare_repo("origin.git");
	assert_int_equal(dk_gitops_open(&g, dir, &r), 0);
	assert_string_equal(dk_gitops_head(g), "");          /* empty: unborn branch */
	assert_error(dk_gitops_push(g), DK_ESTATE, "no commit");
	for (int i = 0; i < 4; i++) {
		char text[32], msg[64];

		snprintf(text, sizeof(text), "version %d\n", i);
		snprintf(msg, sizeof(msg), "Image change %d\n\nDetails.", i);
		stage_file(dir, "image.conf", text);
		dk_clock_set(1700000000 + i * 60);
		assert_int_equal(dk_gitops_commit(g, c[i], msg, i % 2 ? &bob : &ada), 0);
	}
	assert_int_equal(dk_gitops_push(g), 0);
	dk_gitops_free(g);

	/* Another clone sees the pushed history. */
	free(dir);
	dir = tu_path(tmp, "local2");
	r.branch = NULL;
	assert_int_equal(dk_gitops_open(&g, dir, &r), 0);
	assert_string_equal(dk_gitops_head(g), c[3]);
	assert_int_equal(dk_gitops_log(&l, g, c[0], c[3]), 0);
	assert_int_equal(l->count, 3);
	assert_false(l->backwards);
	assert_string_equal(l->items[0].sha, c[3]);
	assert_string_equal(l->items[0].subject, "Image change 3");
	assert_string_equal(l->items[0].author_name, "Bob Builder");
	assert_string_equal(l->items[0].author_email, "bob@example.org");
	assert_int_equal(l->items[0].time, 1700000180);
	assert_string_equal(l->items[2].sha, c[1]);
	dk_gitops_commit_list_free(l);

	/* A rollback: to is older than from; the commits it undoes, marked backwards. */
	assert_int_equal(dk_gitops_log(&l, g, c[3], c[1]), 0);
	assert_true(l->backwards);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].sha, c[3]);
	assert_string_equal(l->items[1].sha, c[2]);
	dk_gitops_commit_list_free(l);

	/* Abbreviated shas, the same sha, unknown and malformed ones. */
	{
		char a[9], b[9];

		snprintf(a, sizeof(a), "%.8s", c[2]);
		snprintf(b, sizeof(b), "%.8s", c[3]);
		assert_int_equal(dk_gitops_log(&l, g, a, b), 0);
		assert_int_equal(l->count, 1);
		dk_gitops_commit_list_free(l);
	}
	assert_int_equal(dk_gitops_log(&l, g, c[2], c[2]), 0);
	assert_int_equal(l->count, 0);
	dk_gitops_commit_list_free(l);
	assert_error(dk_gitops_log(&l, g, c[0], "0123456789abcdef0123456789abcdef01234567"),
		     DK_ENOTFOUND, "to 0123456789abcdef0123456789abcdef01234567 is not a commit");
	assert_null(l);
	assert_error(dk_gitops_log(&l, g, "main~1", c[0]), DK_EINVALID, "is not a git sha");
	dk_gitops_free(g);
	dk_clock_set(0);
	free(dir);
	free((char *)r.url);
}

static void
authors(void **state)
{
	dk_gitops_author a;
	char buf[256];

	(void)state;
	assert_int_equal(dk_gitops_author_parse(&a, buf, sizeof(buf), "Ada Operator <ada@x.org>"), 0);
	assert_string_equal(a.name, "Ada Operator");
	assert_string_equal(a.email, "ada@x.org");
	assert_error(dk_gitops_author_parse(&a, buf, sizeof(buf), "ada@x.org"), DK_EINVALID,
		     "is not \"Name <email>\"");
	assert_error(dk_gitops_author_parse(&a, buf, sizeof(buf), "<ada@x.org>"), DK_EINVALID,
		     "has no name");
	assert_int_equal(dk_gitops_author_default(&a, buf, sizeof(buf), NULL), 0);
	assert_non_null(strchr(a.email, '@'));
	assert_int_equal(dk_gitops_author_default(&a, buf, sizeof(buf), "Ops <ops@x.org>"), 0);
	assert_string_equal(a.name, "Ops");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(template_commit_push_over_https),
		cmocka_unit_test(bad_token_and_gitea_down),
		cmocka_unit_test(push_rejected_non_fast_forward),
		cmocka_unit_test(tag_push_triggers_a_run),
		cmocka_unit_test(log_between_two_shas_over_file_url),
		cmocka_unit_test(authors),
	};

	return cmocka_run_group_tests_name("gitops (libgit2) on the Gitea emulator", tests, setup,
					   teardown);
}
