/* The store under faults, seen through the CLI: corrupt, locked, too new, disk full. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cliutil.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, haystack);
}

static cli_env *
ready_env(void)
{
	cli_env *e = cli_env_new();
	tu_run_result r;

	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "keep-me", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	return e;
}

static void
corrupt_database_is_reported_and_left_alone(void **state)
{
	cli_env *e = cli_env_new();
	char *db;
	char *before, *after;
	size_t nb, na;
	tu_run_result r;

	(void)state;
	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	db = tu_path(e->state_dir, "diskops.db");
	/* Not a database at all: a config file someone copied over it. */
	assert_int_equal(tu_write_file(db, "[state]\ndir = /var/lib/diskops\n"
				       "this is not an SQLite database, it is long enough to look like one"
				       " to a naive reader but has no header\n", 0600), 0);
	before = tu_read_file(db, &nb);
	assert_int_equal(RUN(e, &r, "platform", "create", "x", "--arch", "amd64"), 1);
	assert_contains(r.err, "diskops: platform create: ");
	assert_contains(r.err, db);
	assert_contains(r.err, "corrupt or not a diskops database");
	assert_non_null(strchr(r.err, '\n'));
	assert_string_equal(strchr(r.err, '\n'), "\n");   /* one line */
	tu_run_result_free(&r);
	after = tu_read_file(db, &na);
	assert_int_equal(nb, na);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
	free(db);
	cli_env_free(e);
}

static void
locked_database_gives_up_cleanly(void **state)
{
	cli_env *e = ready_env();
	char *db = tu_path(e->state_dir, "diskops.db");
	tu_run_result r;
	sqlite3 *h;
	json_t *j;

	(void)state;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	e->extra_env[0] = "DISKOPS_STATE_BUSY_TIMEOUT_MS=100";
	assert_int_equal(RUN(e, &r, "platform", "create", "blocked", "--arch", "amd64"), 1);
	assert_contains(r.err, "database is locked by another process");
	tu_run_result_free(&r);
	/* Reads still work while a writer holds the lock (WAL). */
	j = JSON(e, "platform", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	assert_int_equal(RUN(e, &r, "platform", "show", "blocked"), 3);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "blocked", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	free(db);
	cli_env_free(e);
}

static void
newer_schema_is_refused(void **state)
{
	cli_env *e = ready_env();
	char *db = tu_path(e->state_dir, "diskops.db");
	tu_run_result r;
	sqlite3 *h;

	(void)state;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO schema_migrations VALUES (99, 'future', 0)",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(RUN(e, &r, "platform", "list"), 1);
	assert_contains(r.err, "database schema version 99 is newer than this diskops understands");
	tu_run_result_free(&r);
	free(db);
	cli_env_free(e);
}

/*
 * A real ENOSPC: the state dir lives on a tiny tmpfs mounted in a private mount namespace
 * (root only; CI runs as root). A filler file takes the last free block.
 */
static void
disk_full_changes_nothing(void **state)
{
	cli_env *e = cli_env_new();
	char *mnt = tu_path(e->dir, "small"), *filler, *dir;
	tu_run_result r;
	json_t *j;
	char block[4096];
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0) {
		cli_env_free(e);
		free(mnt);
		skip();
	}
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_int_equal(mkdir(mnt, 0700), 0);
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", 0, "size=2m"), 0);
	dir = tu_path(mnt, "state");
	free(e->state_dir);
	e->state_dir = dir;
	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "before-full", "--arch", "amd64"), 0);
	tu_run_result_free(&r);

	filler = tu_path(mnt, "filler");
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);

	RUN(e, &r, "platform", "create", "after-full", "--arch", "amd64");
	assert_int_not_equal(r.status, 0);
	assert_true(strncmp(r.err, "diskops: platform create: ", 26) == 0);
	assert_contains(r.err, "disk full (No space left on device)");
	assert_contains(r.err, "nothing was changed");
	tu_run_result_free(&r);

	unlink(filler);
	j = JSON(e, "platform", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "name")), "before-full");
	json_decref(j);
	/* With room again, the same command succeeds: nothing was left half-done. */
	assert_int_equal(RUN(e, &r, "platform", "create", "after-full", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	umount2(mnt, MNT_DETACH);
	free(filler);
	free(mnt);
	cli_env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(corrupt_database_is_reported_and_left_alone),
		cmocka_unit_test(locked_database_gives_up_cleanly),
		cmocka_unit_test(newer_schema_is_refused),
		cmocka_unit_test(disk_full_changes_nothing),
	};
	return cmocka_run_group_tests_name("cli_faults", tests, NULL, NULL);
}
