#ifndef DISKOPS_GITEA_FIXTURE_H
#define DISKOPS_GITEA_FIXTURE_H

/* Shared by the Gitea client tests: the emulator in use, a client on it, assertions,
 * and a workflow with workflow_dispatch. */

#include <stdio.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/gitea.h"
#include "emuutil.h"

static emu_t *E;

static inline dk_gitea *
client(const char *token)
{
	dk_gitea *g = NULL;

	assert_int_equal(dk_gitea_open(&g, E->url, token), 0);
	return g;
}

static inline void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in: %s", needle, haystack ? haystack : "(null)");
}

static inline void
assert_error(int rc, int code, const char *needle)
{
	if (rc != code)
		fail_msg("expected error %d, got %d: %s", code, rc, dk_error_last()->message);
	assert_contains(dk_error_last()->message, needle);
}

__attribute__((unused)) static const char workflow_yml[] =
	"name: build disk image\n"
	"on:\n"
	"  workflow_dispatch:\n"
	"    inputs:\n"
	"      platform:\n"
	"        default: x\n"
	"jobs:\n"
	"  build-image:\n"
	"    runs-on: [disk-image-builder, amd64]\n"
	"    timeout-minutes: 60\n"
	"    steps:\n"
	"      - run: ./build.sh\n";

/* Puts a workflow file on main of alice/<repo> (creating or updating it). */
static inline void
put_workflow(dk_gitea *g, const char *repo, const char *file, const char *text)
{
	dk_gitea_commit_opts o = { .message = "workflow" };
	dk_gitea_content *c = NULL;
	char path[256];

	snprintf(path, sizeof(path), ".gitea/workflows/%s", file);
	if (dk_gitea_content_get(g, &c, "alice", repo, path, NULL) == 0)
		o.sha = c->sha;
	assert_int_equal(dk_gitea_content_put(g, NULL, "alice", repo, path, text, strlen(text), &o),
			 0);
	dk_gitea_content_free(c);
}

static inline int64_t
first_job(dk_gitea *g, const char *repo, int64_t run_id)
{
	dk_gitea_job_list *jobs = NULL;
	int64_t id;

	assert_int_equal(dk_gitea_job_list_get(g, &jobs, "alice", repo, run_id), 0);
	assert_int_equal(jobs->count, 1);
	id = jobs->items[0].id;
	dk_gitea_job_list_free(jobs);
	return id;
}

#endif
