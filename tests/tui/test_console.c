/*
 * The console as an operator sees it: the real binary in a private tmux server, driven
 * with send-keys and read with capture-pane. Every step waits for the screen to show
 * what it should; the only time limits are hang guards.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "consoleutil.h"
#include "tmuxutil.h"
#include "storeutil.h"
#include "diskops/status.h"
#include "../../tui/actions.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)

static void
navigate_every_view(int width, int height, cli_env *e)
{
	tm_session *t = tm_start(e, width, height, "", "");
	char *head, *row;

	tm_wait(t, "diskops › overview");
	tm_wait(t, "ubuntu-24.04-lts");
	ct_contains(t->last, "edge-arm");
	ct_contains(t->last, "account default │ 2 platforms │ 1 open alert");
	ct_assert_fits(t, width);

	/* overview → publications → publication, then back with Esc */
	tm_keys(t, "G", "Enter", NULL);
	tm_wait(t, "ubuntu-24.04-lts › publications");
	ct_contains(t->last, "● d94a7e21 published");
	ct_lacks(t->last, "retired");
	head = tm_line(t, "STATUS");
	row = tm_line(t, "d94a7e21");
	assert_int_equal(ct_column_of(head, "STATUS"), ct_column_of(row, "published"));
	assert_int_equal(ct_column_of(head, "GIT SHA"), ct_column_of(row, "3c4d5e6"));
	free(head);
	free(row);
	ct_assert_fits(t, width);
	tm_keys(t, "a", NULL);
	tm_wait(t, "b71e4c09 retired");
	tm_keys(t, "a", NULL);
	tm_wait_gone(t, "b71e4c09");
	tm_keys(t, "j", "j", "Enter", NULL);
	tm_wait(t, "› d94a7e21");
	ct_contains(t->last, "yes: nodes boot this image");
	ct_contains(t->last, "sha256:3333333333333333");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "3/4");
	ct_contains(t->last, "ubuntu-24.04-lts › publications");
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "publications");
	ct_contains(t->last, "diskops › overview");

	/* number keys, Tab and BTab */
	tm_keys(t, "3", NULL);
	tm_wait(t, "diskops › events");
	ct_contains(t->last, "system.node_platform_created");
	tm_keys(t, "4", NULL);
	tm_wait(t, "diskops › alerts");
	ct_contains(t->last, "signature_rejected");
	ct_contains(t->last, "acked");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › runs");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › webhooks");
	tm_keys(t, "1", NULL);
	tm_wait(t, "diskops › overview");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "BTab", NULL);
	tm_wait_gone(t, "› publications");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › approvals");
	tm_keys(t, "4", NULL);
	tm_wait(t, "diskops › alerts");
	tm_keys(t, "1", NULL);
	tm_wait(t, "diskops › overview");

	/* `/` with n and N, then the command line */
	tm_keys(t, "/", NULL);
	tm_type(t, "edge");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "/edge: match 1 of 1");
	tm_keys(t, "n", NULL);
	tm_wait(t, "1/2");
	/* The command line edits like the dialogs' fields: fix a typo in the middle. */
	tm_keys(t, ":", NULL);
	tm_type(t, "platrm edge-arm");
	tm_wait(t, ":platrm edge-arm");
	tm_keys(t, "Home", "Right", "Right", "Right", "Right", NULL);
	tm_type(t, "fo");
	tm_wait(t, ":platform edge-arm");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "edge-arm › publications");
	tm_keys(t, ":", NULL);
	tm_type(t, "events");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "diskops › events");
	tm_keys(t, ":", NULL);
	tm_type(t, "nonsense");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "unknown command \"nonsense\"");
	tm_keys(t, ":", NULL);
	tm_type(t, "q");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "console exited 0");
	tm_stop(t);
}

static void
navigation_at_80x24(void **state)
{
	navigate_every_view(80, 24, *state);
}

static void
navigation_at_132x43(void **state)
{
	navigate_every_view(132, 43, *state);
}

static void
resize_down_and_back(void **state)
{
	tm_session *t = tm_start(*state, 132, 43, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "Enter", "j", NULL);
	tm_wait(t, "2/4");
	tm_resize(t, 80, 24);
	tm_wait(t, "2/4");
	/* The status bar sits on the last but one row of the new size. */
	free(t->last);
	t->last = tm_capture(t, false);
	ct_assert_fits(t, 80);
	ct_contains(t->last, "ubuntu-24.04-lts › publications");
	ct_contains(t->last, "2/4");
	tm_resize(t, 79, 24);
	tm_wait(t, "terminal too small: 79x24");
	tm_resize(t, 80, 23);
	tm_wait(t, "terminal too small: 80x23");
	tm_resize(t, 132, 43);
	tm_wait_gone(t, "too small");
	tm_wait(t, "2/4");
	ct_contains(t->last, "ubuntu-24.04-lts › publications");
	ct_assert_fits(t, 132);
	/* Keys still work after all that. */
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "diskops › overview");
	ct_quit(t);
	tm_stop(t);
}

static void
help_lists_every_bound_action(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	ct_check_help(t, VB_OVERVIEW, false);
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	ct_check_help(t, VB_PUBLICATIONS, false);
	tm_keys(t, "3", NULL);
	tm_wait(t, "› events");
	ct_check_help(t, VB_EVENTS, false);
	ct_quit(t);
	tm_stop(t);
}

static void
colours_of_every_view(tm_session *t, bool expect)
{
	static const char *const keys[] = { "1", "2", "3", "4" };
	static const char *const titles[] = { "› overview", "› publications", "› events", "› alerts" };
	bool any = false;

	for (int i = 0; i < 4; i++) {
		char *screen;

		tm_keys(t, keys[i], NULL);
		tm_wait(t, titles[i]);
		screen = tm_capture(t, true);
		if (!expect && ct_has_colour(screen))
			fail_msg("colour escapes with colour off:\n%s", screen);
		any |= ct_has_colour(screen);
		free(screen);
	}
	assert_int_equal(any, expect);
}

static void
no_color_means_no_colour_escapes(void **state)
{
	tm_session *t;

	/* The check is real: with colour on, the same screens do carry colour. */
	t = tm_start(*state, 132, 43, "", "");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, true);
	ct_quit(t);
	tm_stop(t);

	t = tm_start(*state, 132, 43, "NO_COLOR=1", "");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, false);
	ct_quit(t);
	tm_stop(t);

	t = tm_start(*state, 80, 24, "", "--no-color");
	tm_wait(t, "ubuntu-24.04-lts");
	colours_of_every_view(t, false);
	ct_quit(t);
	tm_stop(t);
}

static void
ascii_line_drawing(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "--ascii");

	tm_wait(t, "diskops > overview");
	ct_contains(t->last, "account default | 2 platforms");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "* d94a7e21");
	ct_lacks(t->last, "●");
	ct_lacks(t->last, "…");
	ct_quit(t);
	tm_stop(t);
}

static void
read_only_hides_and_refuses(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	ct_lacks(t->last, "read-only");
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	/* Not read-only: R answers (here a refusal, the row is the default already). */
	tm_keys(t, "R", NULL);
	tm_wait(t, "is already the def");
	ct_quit(t);
	tm_stop(t);

	t = tm_start(*state, 80, 24, "", "--read-only");
	tm_wait(t, "│ read-only");
	tm_keys(t, "2", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "R", NULL);
	tm_wait(t, "read-only: rollback refused");
	tm_keys(t, ":", NULL);
	tm_type(t, "rollback");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "read-only: rollback refused");
	ct_lacks(t->last, "[ Rollback ]");
	ct_check_help(t, VB_PUBLICATIONS, true);
	tm_keys(t, "4", NULL);
	tm_wait(t, "signature_rejected");
	tm_keys(t, "a", NULL);
	tm_wait(t, "read-only: ack refused");
	ct_quit(t);
	tm_stop(t);
}

static void
alert_ack_by_key(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "USER=dave", "");
	tu_run_result r;

	tm_wait(t, "1 open alert");
	tm_keys(t, "4", NULL);
	tm_wait(t, "signature_rejected");
	tm_keys(t, "a", NULL);
	tm_wait(t, "acknowledged");
	tm_wait(t, "0 open alerts");
	assert_int_equal(RUN(e, &r, "alerts", "list", "--json"), 0);
	ct_contains(r.out, "dave");
	tu_run_result_free(&r);
	ct_quit(t);
	tm_stop(t);
}

static void
another_process_shows_without_a_key(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "", "");
	tu_run_result r;

	tm_wait(t, "2 platforms");
	assert_int_equal(RUN(e, &r, "platform", "create", "late-arrival", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	/* No key is sent: the 500 ms data_version check brings it in. */
	tm_wait(t, "late-arrival");
	tm_wait(t, "3 platforms");
	ct_quit(t);
	tm_stop(t);
}

static void
yank_uses_osc52(void **state)
{
	tm_session *t = tm_start(*state, 80, 24, "", "");
	char *buf;

	free(tm_cmd(t, "set-option", "-g", "set-clipboard", "on", NULL));
	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "› publications");
	tm_keys(t, "j", "j", "y", NULL);
	tm_wait(t, "copied sha256:3333");
	buf = tm_cmd(t, "show-buffer", NULL);
	assert_string_equal(buf, "sha256:3333333333333333333333333333333333333333333333333333333333333333");
	free(buf);
	ct_quit(t);
	tm_stop(t);
}

static void
save_display_writes_the_screen(void **state)
{
	cli_env *e = *state;
	tm_session *t = tm_start(e, 80, 24, "", "");
	char *path = tu_path(e->dir, "screen.txt"), cmd[600], *text;

	tm_wait(t, "ubuntu-24.04-lts");
	snprintf(cmd, sizeof(cmd), "save-display %s", path);
	tm_keys(t, ":", NULL);
	tm_type(t, cmd);
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "saved the screen");
	text = tu_read_file(path, NULL);
	assert_non_null(text);
	ct_contains(text, " diskops › overview");
	ct_contains(text, " edge-arm ");
	ct_contains(text, "account default │ 2 platforms");
	/* Plain text: 24 lines, no escapes, no trailing blanks. */
	ct_lacks(text, "\033");
	ct_lacks(text, " \n");
	free(text);
	free(path);
	ct_quit(t);
	tm_stop(t);
}

static void
config_keys_rebind_and_unbind(void **state)
{
	cli_env *e = *state;
	char *dir = tu_path(e->config_home, "diskops"), *file = tu_path(dir, "config.ini");
	tm_session *t;

	assert_int_equal(mkdir(e->config_home, 0700) == 0 || errno == EEXIST, 1);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tu_write_file(file, "[keys]\nquit = x\nhelp =\nmove-down = j Down J\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "ubuntu-24.04-lts");
	ct_contains(t->last, "x quit");
	tm_keys(t, "?", NULL);
	tm_wait(t, "? is not bound in this view");
	tm_keys(t, "J", NULL);
	tm_wait(t, "2/2");
	tm_keys(t, "x", NULL);
	tm_wait(t, "console exited 0");
	tm_stop(t);

	assert_int_equal(tu_write_file(file, "[keys]\nfly = f\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "console exited 2");
	ct_contains(t->last, "unknown action \"fly\"");
	tm_stop(t);
	assert_int_equal(tu_write_file(file, "[keys]\nquit = Hyper-q\n", 0600), 0);
	t = tm_start(e, 80, 24, "", "");
	tm_wait(t, "console exited 2");
	ct_contains(t->last, "unknown key \"Hyper-q\"");
	tm_stop(t);
	free(file);
	free(dir);
}

static void
console_needs_a_terminal(void **state)
{
	tu_run_result r;

	assert_int_equal(RUN(*state, &r, "console"), 2);
	ct_contains(r.err, "needs a terminal");
	tu_run_result_free(&r);
}

/* serve's heartbeat row, as `diskops serve` writes it every 30 s. */
static void
serve_beats(cli_env *e, int64_t at)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_service_status st = { .name = "serve", .ok = true, .pid = 1, .started_at = at,
				 .checked_at = at };
	char *path = tu_path(e->state_dir, "diskops.db");
	dk_store *s;

	o.no_create = true;
	assert_int_equal(dk_store_open(&s, path, &o), 0);
	assert_int_equal(dk_store_service_status_put(s, &st), 0);
	dk_store_free(s);
	free(path);
}

/*
 * The console on a pty of its own: reads its first paint (into first, NUL-terminated),
 * then counts what it writes during `idle_ms` of no input, calling during(e) once
 * `during_ms` into that window; quits with Q and checks the clean exit.
 */
static size_t
idle_bytes(cli_env *e, int idle_ms, int during_ms, void (*during)(cli_env *e), char *first,
	   size_t first_len)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	const char *bin = getenv("DISKOPS_BIN");
	char buf[4096], env_state[600], env_config[600];
	int master, status;
	size_t total = 0, idle = 0;
	bool called = false;
	struct timespec start, end, now;
	pid_t pid;

	snprintf(env_state, sizeof(env_state), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(env_config, sizeof(env_config), "XDG_CONFIG_HOME=%s", e->config_home);
	pid = forkpty(&master, NULL, NULL, &ws);
	assert_true(pid >= 0);
	if (pid == 0) {
		putenv(env_state);
		putenv(env_config);
		putenv((char *)"TERM=xterm-256color");
		putenv((char *)"LANG=C.UTF-8");
		putenv((char *)"DISKOPS_CONFIG=");
		putenv((char *)"DISKOPS_ACCOUNT_DEFAULT=");
		execl(bin && *bin ? bin : "./diskops", "diskops", "console", (char *)NULL);
		_exit(127);
	}
	/* The first paint: read until the bottom line has gone out and a quiet spell follows. */
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, total && memmem(first, total, "quit", 4) ? 300 : TM_GUARD_MS) <= 0)
			break;
		if ((n = read(master, buf, sizeof(buf))) <= 0)
			break;
		if (total + (size_t)n < first_len) {
			memcpy(first + total, buf, (size_t)n);
			total += (size_t)n;
			first[total] = '\0';
		}
	}
	assert_true(total > 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	end = start;
	end.tv_sec += idle_ms / 1000;
	end.tv_nsec += (long)(idle_ms % 1000) * 1000000;
	for (;;) {
		struct pollfd p = { master, POLLIN, 0 };
		long left, since;
		ssize_t n;
		int wait;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		since = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (during && !called && since >= during_ms) {
			during(e);
			called = true;
			continue;
		}
		if (left <= 0)
			break;
		wait = during && !called && during_ms - since < left ? (int)(during_ms - since) : (int)left;
		if (poll(&p, 1, wait) < 0)
			break;
		if (!(p.revents & POLLIN))
			continue;
		if ((n = read(master, buf, sizeof(buf))) <= 0)
			break;
		idle += (size_t)n;
	}
	assert_int_equal(write(master, "Q", 1), 1);
	/* Drain until the child closes the pty, so it never blocks on a full buffer. */
	while (read(master, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(master);
	return idle;
}

/* Idle means silent: after the first paint, several 500 ms store checks pass unseen. */
static void
idle_console_writes_nothing(void **state)
{
	char first[65536];

	assert_int_equal(idle_bytes(*state, 2000, 0, NULL, first, sizeof(first)), 0);
}

static void
beat_now(cli_env *e)
{
	serve_beats(e, time(NULL));
}

/*
 * With serve running its heartbeat changes the store every 30 s; the console reloads on
 * it but shows nothing that moved ("serve up", no clock), so it writes nothing. The beat
 * lands more than a second after the first paint: a seconds clock would have moved.
 */
static void
idle_console_with_serve_beating_writes_nothing(void **state)
{
	char first[65536];

	serve_beats(*state, time(NULL));
	assert_int_equal(idle_bytes(*state, 3000, 1200, beat_now, first, sizeof(first)), 0);
	/* 80 columns: the short form, "serve ✓". */
	assert_non_null(strstr(first, "serve \u2713"));
}

/*
 * An SSH session that drops without SIGHUP reaching the console (blocked here, as a
 * tracer or a careless wrapper can leave it) must not leave a console spinning on a
 * terminal that is gone: it exits on the hang-up itself.
 */
static void
hung_up_terminal_ends_the_console(void **state)
{
	cli_env *e = *state;
	char *log = tu_path(e->dir, "hangup-marker.log"), *cmd;
	tm_session *t;
	bool gone = false;

	assert_int_equal(tu_write_file(log, "before the hang-up\n", 0644), 0);
	assert_true(asprintf(&cmd, "--log '%s'", log) > 0);
	/* perl-base, and its POSIX module, are on every Debian system. Under ASan the leak
	 * check at exit is off here: its stop-the-world tracer once hung (tracer in waitpid,
	 * the console spinning for it) in this orphaned process whose terminal is gone.
	 * Every other console test still checks for leaks. */
	t = tm_start(e, 80, 24, "ASAN_OPTIONS=detect_leaks=0 perl -MPOSIX -e 'sigprocmask(SIG_BLOCK,"
		     " POSIX::SigSet->new(SIGHUP)); exec @ARGV or die'", cmd);
	tm_wait(t, "before the hang-up");
	tm_stop(t);
	for (int i = 0; i < TM_GUARD_MS / 50 && !gone; i++) {
		char probe[4200];

		/* "[c]" keeps pgrep from finding the shell that runs it. */
		snprintf(probe, sizeof(probe), "pgrep -f '[c]onsole --log %s' >/dev/null", log);
		if (!(gone = system(probe) != 0))
			usleep(50 * 1000);
	}
	if (!gone) {
		char kill[4200];

		/* Not left spinning after the failure. */
		snprintf(kill, sizeof(kill), "pkill -KILL -f '[c]onsole --log %s'", log);
		assert_true(system(kill) >= 0);
	}
	assert_true(gone);
	free(cmd);
	free(log);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, ct_setup, ct_teardown)
	const struct CMUnitTest tests[] = {
		T(navigation_at_80x24),
		T(navigation_at_132x43),
		T(resize_down_and_back),
		T(help_lists_every_bound_action),
		T(no_color_means_no_colour_escapes),
		T(ascii_line_drawing),
		T(read_only_hides_and_refuses),
		T(alert_ack_by_key),
		T(another_process_shows_without_a_key),
		T(yank_uses_osc52),
		T(save_display_writes_the_screen),
		T(config_keys_rebind_and_unbind),
		T(console_needs_a_terminal),
		T(idle_console_writes_nothing),
		T(idle_console_with_serve_beating_writes_nothing),
		T(hung_up_terminal_ends_the_console),
	};
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
