#ifndef DISKOPS_TMUXUTIL_H
#define DISKOPS_TMUXUTIL_H

#include <stdbool.h>

#include "cliutil.h"

/*
 * The console under tmux: a private server (-L), no user config (-f /dev/null), a fixed
 * size, TERM=xterm-256color, LANG=C.UTF-8 and TZ=UTC, against a cli_env's state. Tests
 * synchronise by polling the screen for text; the time limits are hang guards only.
 */

typedef struct {
	char sock[64];
	cli_env *env;
	char *last;             /* the last capture, for failure messages */
} tm_session;

#define TM_GUARD_MS 20000

/* Starts `diskops console ARGS` (args may be ""); env_prefix is extra "K=V …" or "". */
tm_session *tm_start(cli_env *e, int width, int height, const char *env_prefix, const char *args);
void tm_stop(tm_session *t);
/* Stops every session still running: a failed assertion leaves its session behind, so
 * teardowns call this. */
void tm_stop_all(void);

/* The visible screen; with escapes, SGR sequences kept (capture-pane -e -N). Caller frees. */
char *tm_capture(tm_session *t, bool escapes);
/* send-keys; each argument is one tmux key (e.g. "Enter", "Escape", "j", "C-l"). */
void tm_keys(tm_session *t, ...);
/* Types text literally (send-keys -l). */
void tm_type(tm_session *t, const char *text);
void tm_resize(tm_session *t, int width, int height);
/* A tmux command on this server, its stdout returned (caller frees). */
char *tm_cmd(tm_session *t, ...);

/* Polls until the screen contains (or no longer contains) text; fails the test after
 * TM_GUARD_MS with the last screen. */
void tm_wait(tm_session *t, const char *text);
void tm_wait_gone(tm_session *t, const char *text);
/* The screen line containing text (empty string when none); caller frees. */
char *tm_line(tm_session *t, const char *text);

#endif
