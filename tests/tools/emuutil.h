#ifndef DISKOPS_EMUUTIL_H
#define DISKOPS_EMUUTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "testutil.h"

/*
 * Starts the Gitea emulator (tests/gitea-emulator) on an ephemeral port with a private
 * data dir. Users: alice (token EMU_ALICE, password "alice-pw"), who owns alice/build and
 * the org "acme"; bob (token EMU_BOB), who owns nothing; root (token EMU_ROOT), a site
 * admin. One runner "builder-1" online with labels disk-image-builder,amd64.
 */
#define EMU_ALICE "alice-token-0123456789"
#define EMU_BOB "bob-token-0123456789"
#define EMU_ROOT "root-token-0123456789"

typedef struct {
	pid_t pid;
	unsigned short port;
	char *url;              /* http://127.0.0.1:PORT */
	char *dir;              /* temp root: data/, unknown.log */
	char *data;
} emu_t;

/* version "1.25" etc.; extra emulator arguments, NULL-terminated. Fails the test when
 * the emulator does not start. */
emu_t *emu_start(const char *version, ...);
/* SIGTERM, wait; returns the exit status (0 on a clean stop). */
int emu_stop(emu_t *e);

/* A raw call: returns the HTTP status, *body (may be NULL) the reply. */
long emu_http(emu_t *e, const char *method, const char *path, const char *token,
	      const char *json, char **body);
/* Calls Gitea never got from us that the emulator had to refuse (501). */
long emu_unknown_calls(emu_t *e);
/* How many times clients called one API route, e.g.
 * emu_calls(e, "GET /repos/{owner}/{repo}/actions/runs") (swagger's template). */
long emu_calls(emu_t *e, const char *route);
/* Writes <repo>.git/emulator-runner.sh: the job script of that repo's runs. */
void emu_runner_script(emu_t *e, const char *owner, const char *repo, const char *script);
/* Blocks until the job is done (the emulator answers when it is). */
void emu_wait_job(emu_t *e, long long job_id);
/* The path of a file in the emulator's temp root. */
char *emu_path(emu_t *e, const char *name);

#endif
