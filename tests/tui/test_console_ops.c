/*
 * The console's operations views — webhooks, deliveries, runners/workers, approvals — and
 * the status bar, driven like test_console.c: the real binary in a private tmux server,
 * every step waiting for the screen. Changes are checked in the store through the CLI.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "registry.h"
#include "consoleutil.h"
#include "tmuxutil.h"
#include "storeutil.h"
#include "diskops/secret.h"
#include "diskops/store.h"
#include "diskops/webhook.h"
#include "../integration/serve_fixture.h"
#include "../../tui/actions.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)

#define ROLLBACK_APPROVAL "7a1c0b9e-2f4d-4e8a-9c3b-000000000001"
#define UBUNTU_DEFAULT "d94a7e21-5b3d-4f6e-8a1b-000000000003"
#define UBUNTU_OLDER "c2f85d13-5b3d-4f6e-8a1b-000000000002"

struct ops {
	cli_env *e;
	char secret[128];       /* of the webhook ci-builds, as created */
	char webhook_id[64];
};

/* Runs the CLI and fails the test unless it exits 0. */
#define OK(e, ...) do { \
		tu_run_result r_; \
		int rc_ = RUN((e), &r_, __VA_ARGS__); \
		if (rc_ != 0) \
			fail_msg("exit %d: %s", rc_, r_.err); \
		tu_run_result_free(&r_); \
	} while (0)

/* test_console.c's two platforms with publications and alerts (seed.sql), plus a webhook
 * with deliveries, a revoked webhook, a CI worker, cached runners and approvals
 * (seed_ops.sql). */
static int
setup(void **state)
{
	struct ops *o = calloc(1, sizeof(*o));
	cli_env *e = o->e = cli_env_new();
	json_t *j;

	OK(e, "init");
	OK(e, "platform", "create", "ubuntu-24.04-lts", "--arch", "amd64");
	OK(e, "platform", "create", "edge-arm", "--arch", "arm64");
	j = cli_json(e, "webhook", "create", "--label", "ci-builds", "--json", NULL);
	snprintf(o->secret, sizeof(o->secret), "%s",
		 json_string_value(json_object_get(j, "secret_plaintext")));
	snprintf(o->webhook_id, sizeof(o->webhook_id), "%s",
		 json_string_value(json_object_get(json_object_get(j, "disk_image_webhook"), "id")));
	json_decref(j);
	assert_true(strlen(o->secret) > 20);
	OK(e, "webhook", "create", "--label", "old-hook");
	OK(e, "webhook", "revoke", "old-hook", "--yes");
	OK(e, "worker", "create", "--name", "builder-1");
	ct_seed(e, "tests/tui/seed.sql");
	ct_seed(e, "tests/tui/seed_ops.sql");
	*state = o;
	return 0;
}

static int
teardown(void **state)
{
	struct ops *o = *state;

	tm_stop_all();
	cli_env_free(o->e);
	free(o);
	return 0;
}

static char *
screen(tm_session *t)
{
	free(t->last);
	t->last = tm_capture(t, false);
	return t->last;
}

/* The approval's state and decider, from the CLI. */
static void
approval_of(cli_env *e, const char *id, char *state, char *decided_by, char *reason)
{
	json_t *j = cli_json(e, "approvals", "list", "--all", "--json", NULL), *a;
	size_t i;

	state[0] = decided_by[0] = reason[0] = '\0';
	json_array_foreach(j, i, a) {
		if (strcmp(json_string_value(json_object_get(a, "id")), id) != 0)
			continue;
		snprintf(state, 32, "%s", json_string_value(json_object_get(a, "state")));
		if (json_string_value(json_object_get(a, "decided_by")))
			snprintf(decided_by, 64, "%s", json_string_value(json_object_get(a, "decided_by")));
		if (json_string_value(json_object_get(a, "reason")))
			snprintf(reason, 128, "%s", json_string_value(json_object_get(a, "reason")));
	}
	json_decref(j);
}

static void
navigate_ops_views(int width, int height, struct ops *o)
{
	tm_session *t = tm_start(o->e, width, height, "", "");

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "6", NULL);
	tm_wait(t, "diskops › webhooks");
	ct_contains(t->last, "ci-builds");
	ct_contains(t->last, "revoked");
	/* The preview only, never the secret. */
	ct_lacks(t->last, o->secret);
	ct_assert_aligned(t, "STATUS", "ci-builds", "active");
	ct_assert_fits(t, width);

	tm_keys(t, "7", NULL);
	tm_wait(t, "diskops › deliveries");
	ct_contains(t->last, "error: bad_signature");
	ct_contains(t->last, "error: unknown_platform");
	ct_contains(t->last, "idempotent_hit");
	ct_contains(t->last, "203.0.113.9");
	ct_contains(t->last, "1/6");
	ct_assert_aligned_right(t, "HTTP", "bad_signature", "401");
	ct_assert_aligned(t, "PUB ID", "idempotent_hit", "d94a7e21");
	ct_assert_fits(t, width);

	tm_keys(t, "8", NULL);
	tm_wait(t, "diskops › workers");
	ct_contains(t->last, "CI workers");
	ct_contains(t->last, "builder-1");
	ct_contains(t->last, "Gitea runners");
	ct_contains(t->last, "runner-arm64-1");
	ct_assert_aligned(t, "STATUS", "runner-arm64-1", "offline");
	ct_assert_aligned(t, "STATUS", "runner-amd64-1", "busy");
	ct_assert_aligned(t, "STATUS", "builder-1", "active");
	ct_assert_fits(t, width);

	tm_keys(t, "9", NULL);
	tm_wait(t, "diskops › approvals");
	ct_contains(t->last, "carol@192.0.2");
	ct_contains(t->last, "keep 3 on edge-arm");
	ct_contains(t->last, "rejected by alice");
	ct_assert_aligned(t, "STATE", "retention_update", "pending");
	ct_assert_fits(t, width);

	/* Tab goes round all nine top views (runs after alerts); BTab back. */
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › overview");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › approvals");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › workers");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › deliveries");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › webhooks");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › runs");
	tm_keys(t, "BTab", NULL);
	tm_wait(t, "diskops › alerts");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › runs");
	tm_keys(t, "Tab", NULL);
	tm_wait(t, "diskops › webhooks");

	/* Enter on a webhook: its deliveries only; Esc back to the webhook. */
	tm_keys(t, "g", "Enter", NULL);
	tm_wait(t, "old-hook deliveries");
	ct_contains(t->last, "(nothing here yet)");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "diskops › webhooks");
	tm_keys(t, "G", "Enter", NULL);
	tm_wait(t, "webhooks › ci-builds deliveries");
	ct_contains(t->last, "1/6");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "2/2");
	ct_contains(t->last, "diskops › webhooks");
	/* The command line opens them by name too. */
	tm_keys(t, ":", NULL);
	tm_type(t, "approvals");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "diskops › approvals");
	ct_quit(t);
	tm_stop(t);
}

static void
ops_views_at_80x24(void **state)
{
	navigate_ops_views(80, 24, *state);
}

static void
ops_views_at_132x43(void **state)
{
	navigate_ops_views(132, 43, *state);
}

static void
help_lists_every_action_of_each_view(void **state)
{
	struct ops *o = *state;
	tm_session *t = tm_start(o->e, 80, 24, "", "");
	static const char *const keys[] = { "6", "7", "8", "9" };
	static const unsigned bits[] = { VB_WEBHOOKS, VB_DELIVERIES, VB_WORKERS, VB_APPROVALS };
	static const char *const titles[] = { "› webhooks", "› deliveries", "› workers", "› approvals" };

	tm_wait(t, "ubuntu-24.04-lts");
	for (int i = 0; i < 4; i++) {
		tm_keys(t, keys[i], NULL);
		tm_wait(t, titles[i]);
		ct_check_help(t, bits[i], false);
	}
	/* The views test_console.c's help test does not visit. */
	tm_keys(t, "4", NULL);
	tm_wait(t, "› alerts");
	ct_check_help(t, VB_ALERTS, false);
	tm_keys(t, ":", NULL);
	tm_type(t, "platform ubuntu-24.04-lts");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "ubuntu-24.04-lts › publications");
	tm_keys(t, "j", "j", "Enter", NULL);
	tm_wait(t, "› d94a7e21");
	ct_check_help(t, VB_PUBLICATION, false);
	ct_quit(t);
	tm_stop(t);
}

/* The approvals view with the cursor on carol's pending rollback (the second row). */
static tm_session *
on_rollback_approval(struct ops *o, const char *env_prefix, const char *args)
{
	tm_session *t = tm_start(o->e, 80, 24, env_prefix, args);

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "9", NULL);
	tm_wait(t, "› approvals");
	tm_keys(t, "j", NULL);
	tm_wait(t, "2/3");
	return t;
}

static void
approve_by_a_second_person(void **state)
{
	struct ops *o = *state;
	tm_session *t = on_rollback_approval(o, "USER=dave", "");
	char id[64], st[32], by[64], why[128];
	json_t *j;

	tm_keys(t, "A", NULL);
	tm_wait(t, "[ Approve ]");
	ct_contains(t->last, "Approve request 7a1c0b9e");
	ct_contains(t->last, "rollback ubuntu-24.04-lts to c2f85d13");
	ct_contains(t->last, "carol@192.0.2.7");
	ct_assert_fits(t, 80);
	/* Cancel has the focus: Enter and Esc change nothing. */
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "approve cancelled; nothing changed");
	tm_keys(t, "A", NULL);
	tm_wait(t, "[ Approve ]");
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "[ Approve ]");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "pending");
	assert_string_equal(ct_default_of(o->e, id), UBUNTU_DEFAULT);

	/* Tab to Approve, Enter: carried out as dave. */
	tm_keys(t, "A", NULL);
	tm_wait(t, "[ Approve ]");
	tm_keys(t, "Tab", "Enter", NULL);
	tm_wait(t, "approval 7a1c0b9e approved and carried out");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "approved");
	assert_string_equal(by, "dave");
	assert_string_equal(ct_default_of(o->e, id), UBUNTU_OLDER);
	j = cli_json(o->e, "events", "--prefix", "system.disk_image_rolled_back", "--json", NULL);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	/* The view shows it decided at once. */
	tm_wait(t, "approved by dave");
	ct_quit(t);
	tm_stop(t);
}

static void
requester_cannot_approve_own_request(void **state)
{
	struct ops *o = *state;
	tm_session *t = on_rollback_approval(o, "USER=carol SSH_CONNECTION='192.0.2.7 50000 10.0.0.1 22'", "");
	char id[64], st[32], by[64], why[128];

	tm_keys(t, "A", NULL);
	tm_wait(t, "[ Approve ]");
	tm_keys(t, "y", NULL);
	tm_wait(t, "approve: approval 7a1c0b9e was requested by carol: a second person must");
	ct_lacks(t->last, "[ Approve ]");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "pending");
	assert_string_equal(ct_default_of(o->e, id), UBUNTU_DEFAULT);
	/* Rejecting one's own request is allowed (withdrawing it). */
	ct_quit(t);
	tm_stop(t);
}

static void
reject_asks_for_a_reason(void **state)
{
	struct ops *o = *state;
	tm_session *t = on_rollback_approval(o, "USER=dave", "");
	char id[64], st[32], by[64], why[128];

	tm_keys(t, "X", NULL);
	tm_wait(t, "[ Reject ]");
	ct_contains(t->last, "Reject request 7a1c0b9e");
	/* Without a reason, confirming says so and nothing happens. */
	tm_keys(t, "y", NULL);
	tm_wait(t, "A reason is required to reject");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "pending");
	/* Focus is on the reason now: y is text there. */
	tm_type(t, "wrong target, use yesterday's");
	tm_wait(t, "wrong target, use yesterday's");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "reject cancelled; nothing changed");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "pending");

	tm_keys(t, "X", NULL);
	tm_wait(t, "[ Reject ]");
	tm_keys(t, "BTab", NULL);       /* Cancel → reason */
	tm_type(t, "wrong target");
	tm_keys(t, "Tab", "Tab", "Enter", NULL);
	tm_wait(t, "approval 7a1c0b9e rejected");
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "rejected");
	assert_string_equal(by, "dave");
	assert_string_equal(why, "wrong target");
	assert_string_equal(ct_default_of(o->e, id), UBUNTU_DEFAULT);
	tm_wait(t, "rejected by dave");
	ct_quit(t);
	tm_stop(t);
}

/* A delivery signed with `secret` through the same function serve runs; its HTTP status. */
static int
deliver_with(struct ops *o, const char *secret)
{
	const char *body = "{\"platform_name\":\"edge-arm\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"abc123\"}";
	char *db = tu_path(o->e->state_dir, "diskops.db"), hex[65], sig[80];
	dk_store_options so = DK_STORE_OPTIONS_INIT;
	dk_webhook_request req = { 0 };
	dk_webhook_result res = { 0 };
	dk_secret_box *box = NULL;
	dk_store *store = NULL;
	int status;

	hmac_hex(hex, secret, body, strlen(body));
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	req.webhook_id = o->webhook_id;
	req.signature = sig;
	req.body = body;
	req.body_len = strlen(body);
	req.remote_addr = "127.0.0.1";
	assert_int_equal(dk_store_open(&store, db, &so), 0);
	assert_int_equal(dk_secret_box_open(&box, o->e->state_dir), 0);
	assert_int_equal(dk_webhook_handle(store, box, &req, &res), 0);
	status = res.http_status;
	dk_webhook_result_clear(&res);
	dk_secret_box_free(box);
	dk_store_free(store);
	free(db);
	return status;
}

/* The secret shown in the dialog's "secret" line. */
static void
secret_on_screen(tm_session *t, char *out, size_t len)
{
	char *line = tm_line(t, "secret    "), *p, *end;

	p = strstr(line, "secret");
	assert_non_null(p);
	p += strlen("secret");
	while (*p == ' ')
		p++;
	end = p;
	while (*end && *end != ' ')
		end++;
	snprintf(out, len, "%.*s", (int)(end - p), p);
	free(line);
}

static void
rotate_shows_the_secret_once(void **state)
{
	struct ops *o = *state;
	tm_session *t = tm_start(o->e, 80, 24, "USER=dave", "");
	char shown[128], *buf;
	json_t *j;

	assert_int_equal(deliver_with(o, o->secret), 202);
	free(tm_cmd(t, "set-option", "-g", "set-clipboard", "on", NULL));
	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "6", NULL);
	tm_wait(t, "› webhooks");
	tm_keys(t, "G", NULL);
	tm_wait(t, "2/2");
	/* Esc and Enter on Cancel change nothing. */
	tm_keys(t, "S", NULL);
	tm_wait(t, "[ Rotate ]");
	ct_contains(t->last, "Rotate the secret of webhook ci-builds");
	ct_contains(t->last, "stops working at once");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "rotate-secret cancelled; nothing changed");
	tm_keys(t, "S", NULL);
	tm_wait(t, "[ Rotate ]");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "rotate-secret cancelled; nothing changed");
	assert_true(deliver_with(o, o->secret) < 300);

	tm_keys(t, "S", NULL);
	tm_wait(t, "[ Rotate ]");
	tm_keys(t, "y", NULL);
	tm_wait(t, "New secret of webhook ci-builds");
	ct_contains(t->last, "secret rotated; the old one no longer works");
	secret_on_screen(t, shown, sizeof(shown));
	assert_true(strlen(shown) > 20);
	assert_string_not_equal(shown, o->secret);
	ct_assert_fits(t, 80);
	/* y copies it over OSC 52. */
	tm_keys(t, "y", NULL);
	tm_wait(t, "Copied to the clipboard");
	buf = tm_cmd(t, "show-buffer", NULL);
	assert_string_equal(buf, shown);
	free(buf);
	/* Closed, it is gone from the screen and never shown again. */
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "the secret is not shown again");
	ct_lacks(screen(t), shown);
	tm_keys(t, "S", NULL);
	tm_wait(t, "[ Rotate ]");
	ct_lacks(t->last, shown);
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "[ Rotate ]");

	/* The old secret is refused now; the shown one works. */
	assert_int_equal(deliver_with(o, o->secret), 401);
	assert_true(deliver_with(o, shown) < 300);
	/* The refused attempt is in the deliveries view without a key press. */
	tm_keys(t, "7", NULL);
	tm_wait(t, "error: bad_signature");
	j = cli_json(o->e, "events", "--prefix", "system.disk_image_webhook_secret_rotated", "--json",
		     NULL);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	ct_quit(t);
	tm_stop(t);
}

static void
revoke_through_the_dialog(void **state)
{
	struct ops *o = *state;
	tm_session *t = tm_start(o->e, 80, 24, "USER=dave", "");

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "6", "G", NULL);
	tm_wait(t, "2/2");
	tm_keys(t, "X", NULL);
	tm_wait(t, "[ Revoke ]");
	ct_contains(t->last, "Revoke webhook ci-builds");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "revoke cancelled; nothing changed");
	assert_int_equal(deliver_with(o, o->secret), 202);
	tm_keys(t, "X", NULL);
	tm_wait(t, "[ Revoke ]");
	tm_keys(t, "Right", "Enter", NULL);
	tm_wait(t, "webhook ci-builds revoked");
	tm_wait_gone(t, "active");
	assert_int_equal(deliver_with(o, o->secret), 404);
	/* A revoked webhook has nothing left to rotate or revoke. */
	tm_keys(t, "S", NULL);
	tm_wait(t, "rotate-secret: webhook ci-builds is revoked");
	ct_quit(t);
	tm_stop(t);
}

static void
read_only_refuses_each(void **state)
{
	struct ops *o = *state;
	tm_session *t = on_rollback_approval(o, "USER=dave", "--read-only");
	static const char *const cmds[] = { "approve", "reject" };
	char id[64], st[32], by[64], why[128];

	tm_keys(t, "A", NULL);
	tm_wait(t, "read-only: approve refused");
	tm_keys(t, "X", NULL);
	tm_wait(t, "read-only: reject refused");
	for (int i = 0; i < 2; i++) {
		char want[64];

		tm_keys(t, "C-l", NULL);
		tm_wait(t, "reloaded");
		tm_keys(t, ":", NULL);
		tm_type(t, cmds[i]);
		tm_keys(t, "Enter", NULL);
		snprintf(want, sizeof(want), "read-only: %s refused", cmds[i]);
		tm_wait(t, want);
	}
	ct_check_help(t, VB_APPROVALS, true);
	tm_keys(t, "6", "G", NULL);
	tm_wait(t, "2/2");
	tm_keys(t, "S", NULL);
	tm_wait(t, "read-only: rotate-secret refused");
	tm_keys(t, "X", NULL);
	tm_wait(t, "read-only: revoke refused");
	ct_lacks(t->last, "[ Revoke ]");
	ct_check_help(t, VB_WEBHOOKS, true);
	ct_quit(t);
	tm_stop(t);
	approval_of(o->e, ROLLBACK_APPROVAL, st, by, why);
	assert_string_equal(st, "pending");
	assert_string_equal(ct_default_of(o->e, id), UBUNTU_DEFAULT);
	assert_int_equal(deliver_with(o, o->secret), 202);
}

/*
 * serve while the console is open: its heartbeat turns the status bar's "serve never
 * seen" into "serve up", and a build it accepts shows in publications and deliveries
 * without a key press.
 */
static void
serve_shows_without_a_key_press(void **state)
{
	struct ops *o = *state;
	tm_session *t = tm_start(o->e, 132, 43, "", "");
	const char *extra[] = { "--no-ingest", NULL };
	struct srv s = { 0 };
	struct reply r;

	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, ":", NULL);
	tm_type(t, "platform edge-arm");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "edge-arm › publications");
	ct_contains(t->last, "serve never seen");
	ct_contains(t->last, "gitea not polled");
	ct_contains(t->last, "registry not checked");
	ct_lacks(t->last, "f00dfeed");

	s.dir = strdup(o->e->dir);
	snprintf(s.env_state, sizeof(s.env_state), "DISKOPS_STATE_DIR=%s", o->e->state_dir);
	snprintf(s.env_cfg, sizeof(s.env_cfg), "XDG_CONFIG_HOME=%s", o->e->config_home);
	snprintf(s.webhook_id, sizeof(s.webhook_id), "%s", o->webhook_id);
	snprintf(s.secret, sizeof(s.secret), "%s", o->secret);
	srv_start(&s, extra);
	tm_wait(t, "serve up");
	deliver(&s, &r, "{\"platform_name\":\"edge-arm\",\"oci_ref\":\"reg/x:9\","
		"\"git_sha\":\"f00dfeed00112233445566778899aabbccddeeff\"}", NULL);
	assert_int_equal(r.status, 202);
	free(r.body);
	/* No key: the 500 ms data_version check brings it in. */
	tm_wait(t, "f00dfee");
	tm_keys(t, "7", NULL);
	tm_wait(t, "› deliveries");
	ct_contains(t->last, "1/7");
	assert_int_equal(srv_stop(&s, SIGTERM), 0);
	free(s.dir);
	ct_quit(t);
	tm_stop(t);
}

/* A loopback port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void
serve_with_registry(struct ops *o, struct srv *s, const char *host)
{
	char *dir = tu_path(o->e->config_home, "diskops"), *file = tu_path(dir, "config.ini");
	char ini[200];
	const char *extra[] = { "--no-ingest", NULL };

	assert_int_equal(mkdir(o->e->config_home, 0700) == 0 || errno == EEXIST, 1);
	assert_int_equal(mkdir(dir, 0700) == 0 || errno == EEXIST, 1);
	snprintf(ini, sizeof(ini), "[registry]\nhost = %s\n", host);
	assert_int_equal(tu_write_file(file, ini, 0600), 0);
	memset(s, 0, sizeof(*s));
	s->dir = strdup(o->e->dir);
	snprintf(s->env_state, sizeof(s->env_state), "DISKOPS_STATE_DIR=%s", o->e->state_dir);
	snprintf(s->env_cfg, sizeof(s->env_cfg), "XDG_CONFIG_HOME=%s", o->e->config_home);
	srv_start(s, extra);
	free(file);
	free(dir);
}

/* serve checks [registry] host with its heartbeat; the status bar shows what it found. */
static void
registry_reachability_from_serve(void **state)
{
	struct ops *o = *state;
	tm_session *t = tm_start(o->e, 132, 43, "", "");
	tr_registry *reg;
	struct srv s;
	char host[64];

	tm_wait(t, "registry not checked");
	snprintf(host, sizeof(host), "127.0.0.1:%d", closed_port());
	serve_with_registry(o, &s, host);
	tm_wait(t, "serve up");
	tm_wait(t, "registry unreachable");
	assert_int_equal(srv_stop(&s, SIGTERM), 0);
	free(s.dir);

	reg = tr_start(TR_AUTH_NONE);
	serve_with_registry(o, &s, reg->host);
	tm_wait(t, "registry ok");
	assert_int_equal(srv_stop(&s, SIGTERM), 0);
	free(s.dir);
	tr_stop(reg);
	ct_quit(t);
	tm_stop(t);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(ops_views_at_80x24),
		T(ops_views_at_132x43),
		T(help_lists_every_action_of_each_view),
		T(approve_by_a_second_person),
		T(requester_cannot_approve_own_request),
		T(reject_asks_for_a_reason),
		T(rotate_shows_the_secret_once),
		T(revoke_through_the_dialog),
		T(read_only_refuses_each),
		T(serve_shows_without_a_key_press),
		T(registry_reachability_from_serve),
	};
	return cmocka_run_group_tests_name("console_ops", tests, NULL, NULL);
}
