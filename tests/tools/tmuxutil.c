#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmuxutil.h"

#define TM_MAX_LIVE 16
static tm_session *live[TM_MAX_LIVE];

static char *
run_tmux(tm_session *t, const char **args, int n)
{
	const char *argv[40];
	tu_run_result r;
	int k = 0;

	argv[k++] = "tmux";
	argv[k++] = "-L";
	argv[k++] = t->sock;
	argv[k++] = "-f";
	argv[k++] = "/dev/null";
	for (int i = 0; i < n && k < 39; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	tu_run(&r, argv, NULL, NULL);
	free(r.err);
	return r.out;
}

char *
tm_cmd(tm_session *t, ...)
{
	const char *args[32];
	const char *a;
	int n = 0;
	va_list ap;

	va_start(ap, t);
	while ((a = va_arg(ap, const char *)) != NULL && n < 32)
		args[n++] = a;
	va_end(ap);
	return run_tmux(t, args, n);
}

/* The server daemonises with the client's descriptors: a pipe would never see EOF, so
 * the starting client gets /dev/null instead of tu_run's pipes. */
static void
start_server(tm_session *t, const char *w, const char *h, const char *cmd)
{
	int status, fd;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("tmux", "tmux", "-L", t->sock, "-f", "/dev/null", "new-session", "-d",
		       "-s", "c", "-x", w, "-y", h, cmd, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

tm_session *
tm_start(cli_env *e, int width, int height, const char *env_prefix, const char *args)
{
	static int counter;
	tm_session *t = calloc(1, sizeof(*t));
	const char *bin = getenv("DISKOPS_BIN");
	char w[16], h[16], *cmd;

	snprintf(t->sock, sizeof(t->sock), "dkconsole-%d-%d", (int)getpid(), counter++);
	t->env = e;
	snprintf(w, sizeof(w), "%d", width);
	snprintf(h, sizeof(h), "%d", height);
	/* The pane outlives the console so its exit status (and any sanitizer report) can
	 * be read from the screen. */
	assert_true(asprintf(&cmd, "env -u NO_COLOR -u ESCDELAY TERM=xterm-256color LANG=C.UTF-8"
			     " LC_ALL=C.UTF-8 TZ=UTC DISKOPS_STATE_DIR='%s' XDG_CONFIG_HOME='%s'"
			     " DISKOPS_CONFIG= DISKOPS_ACCOUNT_DEFAULT= %s '%s' console %s;"
			     " echo \"console exited $?\"; sleep 600",
			     e->state_dir, e->config_home, env_prefix,
			     bin && *bin ? bin : "./diskops", args) > 0);
	start_server(t, w, h, cmd);
	free(cmd);
	for (int i = 0; i < TM_MAX_LIVE; i++) {
		if (!live[i]) {
			live[i] = t;
			break;
		}
	}
	return t;
}

void
tm_stop(tm_session *t)
{
	if (!t)
		return;
	for (int i = 0; i < TM_MAX_LIVE; i++) {
		if (live[i] == t)
			live[i] = NULL;
	}
	free(tm_cmd(t, "kill-server", NULL));
	free(t->last);
	free(t);
}

void
tm_stop_all(void)
{
	for (int i = 0; i < TM_MAX_LIVE; i++)
		tm_stop(live[i]);
}

char *
tm_capture(tm_session *t, bool escapes)
{
	if (escapes)
		return tm_cmd(t, "capture-pane", "-p", "-e", "-N", "-t", "c:", NULL);
	/* -J: a long error line printed after the console exits reads as one line. */
	return tm_cmd(t, "capture-pane", "-p", "-J", "-t", "c:", NULL);
}

void
tm_keys(tm_session *t, ...)
{
	const char *args[32] = { "send-keys", "-t", "c:" };
	const char *a;
	int n = 3;
	va_list ap;

	va_start(ap, t);
	while ((a = va_arg(ap, const char *)) != NULL && n < 32)
		args[n++] = a;
	va_end(ap);
	free(run_tmux(t, args, n));
}

void
tm_type(tm_session *t, const char *text)
{
	free(tm_cmd(t, "send-keys", "-t", "c:", "-l", text, NULL));
}

void
tm_resize(tm_session *t, int width, int height)
{
	char w[16], h[16];

	snprintf(w, sizeof(w), "%d", width);
	snprintf(h, sizeof(h), "%d", height);
	free(tm_cmd(t, "resize-window", "-t", "c:", "-x", w, "-y", h, NULL));
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wait_for(tm_session *t, const char *text, bool present)
{
	long deadline = now_ms() + TM_GUARD_MS;
	struct timespec pause = { 0, 20 * 1000000 };

	for (;;) {
		free(t->last);
		t->last = tm_capture(t, false);
		if ((strstr(t->last, text) != NULL) == present)
			return;
		if (now_ms() > deadline)
			fail_msg("%s \"%s\" on the screen after %d ms; the screen:\n%s",
				 present ? "no" : "still", text, TM_GUARD_MS, t->last);
		nanosleep(&pause, NULL);
	}
}

void
tm_wait(tm_session *t, const char *text)
{
	wait_for(t, text, true);
}

void
tm_wait_gone(tm_session *t, const char *text)
{
	wait_for(t, text, false);
}

char *
tm_line(tm_session *t, const char *text)
{
	char *screen = tm_capture(t, false), *p = strstr(screen, text), *start, *end, *out;

	if (!p) {
		free(screen);
		return strdup("");
	}
	for (start = p; start > screen && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	out = strndup(start, end ? (size_t)(end - start) : strlen(start));
	free(screen);
	return out;
}
