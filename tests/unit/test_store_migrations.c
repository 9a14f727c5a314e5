#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"
#include "storeutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/store_serve.h"
#include "diskops/store.h"
/* Raw statements of its own, finalized here, not the connection's cache. */
#define DK_STORE_CORE
#include "../../core/store_internal.h"

typedef struct {
	char *dir;
	char *path;
} tmp;

static int
setup(void **state)
{
	tmp *t = calloc(1, sizeof(*t));

	dk_clock_set(1800000000);
	dk_log_set_level(DK_LOG_OFF);
	t->dir = tu_mkdtemp();
	t->path = tu_path(t->dir, "diskops.db");
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	tmp *t = *state;

	tu_rmrf(t->dir);
	free(t->path);
	free(t->dir);
	free(t);
	dk_clock_set(0);
	return 0;
}

#define T ((tmp *)*state)

static sqlite3 *
raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("raw open %s", path);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

/* Runs only migrations up to `version` with a raw connection, as an older diskops did. */
static void
build_old_database(const char *path, int version)
{
	int n;
	const dk_store_migration *m = dk_store__migrations(&n);
	sqlite3 *db = raw_open(path);
	char sql[256];

	raw_exec(db, "BEGIN; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
		 " name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
	for (int i = 0; i < n && m[i].version <= version; i++) {
		raw_exec(db, m[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, 'old', 1700000000)",
			 m[i].version);
		raw_exec(db, sql);
	}
	raw_exec(db, "COMMIT");
	sqlite3_close(db);
}

static char *
read_all(const char *path, size_t *len)
{
	char *b = tu_read_file(path, len);

	assert_non_null(b);
	return b;
}

static int
schema_version(dk_store *s)
{
	int v = -1;

	assert_int_equal(dk_store_schema_version(s, &v), 0);
	return v;
}

/* ---- migrations ---- */

static void
migrations_are_numbered_in_order(void **state)
{
	int n;
	const dk_store_migration *m = dk_store__migrations(&n);

	(void)state;
	assert_true(n >= 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(m[i].version, i + 1);
		assert_non_null(m[i].name);
		assert_true(strlen(m[i].sql) > 0);
	}
	assert_int_equal(dk_store_latest_version(), m[n - 1].version);
}

static void
migrates_an_empty_file(void **state)
{
	dk_store *s = NULL;
	int n;

	dk_store__migrations(&n);
	assert_int_equal(tu_write_file(T->path, "", 0600), 0);
	assert_int_equal(dk_store_open(&s, T->path, NULL), 0);
	assert_int_equal(schema_version(s), dk_store_latest_version());
	dk_store_free(s);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM schema_migrations"), n);
	assert_int_equal(su_sql_int(T->path, "SELECT min(applied_at) FROM schema_migrations"), 1800000000);
	/* every table of DESIGN §3 exists */
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
				    " ('account', 'node_platform', 'disk_image_webhook', 'webhook_delivery',"
				    " 'disk_image_publication', 'ci_worker', 'job', 'event', 'alert', 'policy',"
				    " 'approval', 'gitea_run_cache', 'gitea_runner_cache')"), 13);
	/* and what the Gitea poller keeps: jobs of cached runs, reachability */
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
				    " AND name IN ('gitea_job_cache', 'gitea_status')"), 2);
}

static void
migrates_a_version_1_database_keeping_rows(void **state)
{
	sqlite3 *db;
	dk_store *s = NULL;
	dk_platform *p = NULL;
	dk_publication *pub = NULL;
	dk_account *a = NULL;
	char sql[1024];

	build_old_database(T->path, 1);
	db = raw_open(T->path);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO account VALUES ('acc-1', 'legacy', 1700000000);"
		 "INSERT INTO node_platform (id, account_id, name, arch, disk_image_retention_count,"
		 " cosign_identity_regexp, created_at, updated_at)"
		 " VALUES ('plat-1', 'acc-1', 'ubuntu', 'arm64', 7, '^id$', 1700000000, 1700000001);"
		 "INSERT INTO disk_image_publication (id, account_id, node_platform_id, git_sha, arch, status,"
		 " artifact_sha256, published_at, created_at, updated_at)"
		 " VALUES ('pub-1', 'acc-1', 'plat-1', 'cafe', 'arm64', 'published', '%s', 1700000100,"
		 " 1700000050, 1700000100);"
		 "UPDATE node_platform SET default_publication_id = 'pub-1' WHERE id = 'plat-1';",
		 su_hex64(9));
	raw_exec(db, sql);
	sqlite3_close(db);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM pragma_table_info('node_platform')"
				    " WHERE name = 'trusted_root'"), 0);

	assert_int_equal(dk_store_open(&s, T->path, NULL), 0);
	assert_int_equal(schema_version(s), dk_store_latest_version());
	assert_int_equal(dk_store_account_find(s, &a, "legacy"), 0);
	assert_string_equal(a->id, "acc-1");
	assert_int_equal(dk_store_platform_find(s, &p, "acc-1", "ubuntu"), 0);
	assert_string_equal(p->arch, "arm64");
	assert_int_equal(p->retention_count, 7);
	assert_string_equal(p->cosign_identity_regexp, "^id$");
	assert_null(p->trusted_root);
	assert_string_equal(p->default_publication_id, "pub-1");
	assert_string_equal(p->default_git_sha, "cafe");
	assert_int_equal(dk_store_publication_get(s, &pub, "acc-1", "pub-1"), 0);
	assert_int_equal(pub->status, DK_PUB_PUBLISHED);
	assert_true(pub->is_default);
	assert_string_equal(pub->artifact_sha256, su_hex64(9));
	assert_int_equal(pub->created_at, 1700000050);
	/* the old rows work with the new column */
	{
		dk_platform_spec c = { .set = DK_PLATFORM_TRUSTED_ROOT, .trusted_root = "/etc/tr.json" };
		dk_platform *u = NULL;

		assert_int_equal(dk_store_platform_update(s, &u, "acc-1", "plat-1", &c), 0);
		assert_string_equal(u->trusted_root, "/etc/tr.json");
		dk_platform_free(u);
	}
	dk_store_free(s);
	assert_int_equal(su_sql_int(T->path, "SELECT applied_at FROM schema_migrations WHERE version = 1"),
			 1700000000);
	assert_int_equal(su_sql_int(T->path, "SELECT applied_at FROM schema_migrations WHERE version = 2"),
			 1800000000);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM job"), 0);
	dk_account_free(a);
	dk_platform_free(p);
	dk_publication_free(pub);
}

/* Version 7 keys live jobs by the publication's rowid: a queued job from before keeps its
 * place, and a second delivery still joins it instead of queueing another. */
static void
migrates_live_jobs_to_their_publications_rowid(void **state)
{
	sqlite3 *db;
	dk_store *s = NULL;
	char sql[1024];

	build_old_database(T->path, 6);
	db = raw_open(T->path);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO account VALUES ('acc-1', 'legacy', 1700000000);"
		 "INSERT INTO node_platform (id, account_id, name, arch, created_at, updated_at)"
		 " VALUES ('plat-1', 'acc-1', 'ubuntu', 'arm64', 1700000000, 1700000001);"
		 "INSERT INTO disk_image_publication (rowid, id, account_id, node_platform_id, git_sha,"
		 " arch, created_at, updated_at) VALUES (41, 'pub-1', 'acc-1', 'plat-1', 'cafe', 'arm64',"
		 " 1700000050, 1700000050);"
		 "INSERT INTO job (kind, subject_id, account_id, run_after, created_at, updated_at)"
		 " VALUES ('ingest', 'pub-1', 'acc-1', 1700000060, 1700000050, 1700000050);"
		 "INSERT INTO job (kind, subject_id, account_id, run_after, created_at, updated_at)"
		 " VALUES ('sweep', 'plat-1', 'acc-1', 1700000060, 1700000050, 1700000050);");
	raw_exec(db, sql);
	sqlite3_close(db);

	assert_int_equal(dk_store_open(&s, T->path, NULL), 0);
	assert_int_equal(su_sql_int(T->path, "SELECT subject_seq FROM job WHERE kind = 'ingest'"), 41);
	assert_int_equal(su_sql_int(T->path, "SELECT subject_seq IS NULL FROM job WHERE kind = 'sweep'"), 1);
	/* Both kinds still join their live job; an earlier run_after wins. */
	assert_int_equal(dk_store_job_enqueue(s, NULL, "ingest", "pub-1", "acc-1", 1700000055), 0);
	assert_int_equal(dk_store_job_enqueue(s, NULL, "sweep", "plat-1", "acc-1", 1700000070), 0);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM job"), 2);
	assert_int_equal(su_sql_int(T->path, "SELECT run_after FROM job WHERE kind = 'ingest'"),
			 1700000055);
	/* Another publication gets its own job, at its own rowid. */
	assert_int_equal(su_sql_exec(T->path, "INSERT INTO disk_image_publication (rowid, id,"
				     " account_id, node_platform_id, git_sha, arch, created_at, updated_at)"
				     " VALUES (42, 'pub-2', 'acc-1', 'plat-1', 'beef', 'arm64', 1, 1)"),
			 SQLITE_OK);
	assert_int_equal(dk_store_job_enqueue(s, NULL, "ingest", "pub-2", "acc-1", 1700000080), 0);
	assert_int_equal(su_sql_int(T->path, "SELECT subject_seq FROM job WHERE subject_id = 'pub-2'"), 42);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM job"), 3);
	dk_store_free(s);
}

static void
a_failing_migration_changes_nothing(void **state)
{
	sqlite3 *db;
	dk_store *s = NULL;

	build_old_database(T->path, 1);
	db = raw_open(T->path);
	/* a stray table where migration 2 wants to create one */
	raw_exec(db, "CREATE TABLE job (x); INSERT INTO account VALUES ('acc-1', 'legacy', 1)");
	sqlite3_close(db);
	assert_int_equal(dk_store_open(&s, T->path, NULL), DK_ESTORE);
	assert_null(s);
	assert_non_null(strstr(dk_error_last()->message, "migration 2"));
	assert_non_null(strstr(dk_error_last()->message, "job"));
	assert_int_equal(su_sql_int(T->path, "SELECT max(version) FROM schema_migrations"), 1);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM pragma_table_info('node_platform')"
				    " WHERE name = 'trusted_root'"), 0);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM sqlite_master WHERE name = 'alert'"), 0);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM account"), 1);
}

static void
a_newer_schema_is_refused(void **state)
{
	dk_store *s = NULL;
	char *before, *after;
	size_t nb, na;

	assert_int_equal(dk_store_open(&s, T->path, NULL), 0);
	dk_store_free(s);
	assert_int_equal(su_sql_exec(T->path, "INSERT INTO schema_migrations VALUES (99, 'future', 1)"), SQLITE_OK);
	before = read_all(T->path, &nb);
	assert_int_equal(dk_store_open(&s, T->path, NULL), DK_ESTORE);
	assert_null(s);
	assert_non_null(strstr(dk_error_last()->message, "newer"));
	assert_non_null(strstr(dk_error_last()->message, "99"));
	assert_non_null(strstr(dk_error_last()->message, T->path));
	after = read_all(T->path, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

/* ---- corrupt and locked ---- */

static void
expect_corrupt_refused(const char *path)
{
	dk_store *s = NULL;
	char *before, *after, *wal;
	size_t nb, na;
	struct stat st;

	before = read_all(path, &nb);
	assert_int_equal(dk_store_open(&s, path, NULL), DK_ESTORE);
	assert_null(s);
	if (!strstr(dk_error_last()->message, path))
		fail_msg("message does not name the file: %s", dk_error_last()->message);
	after = read_all(path, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	if (asprintf(&wal, "%s-wal", path) > 0) {
		assert_int_not_equal(stat(wal, &st), 0);   /* nothing left beside it */
		free(wal);
	}
	free(before);
	free(after);
}

static void
a_text_file_is_refused_untouched(void **state)
{
	assert_int_equal(tu_write_file(T->path, "[state]\ndir = /var/lib/diskops\n"
				       "this is a config file, not a database\n", 0600), 0);
	expect_corrupt_refused(T->path);
	assert_non_null(strstr(dk_error_last()->message, "corrupt"));
}

static void
random_bytes_are_refused_untouched(void **state)
{
	int fd = open(T->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	unsigned char buf[16384];
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	expect_corrupt_refused(T->path);
}

static void
a_damaged_database_is_refused(void **state)
{
	dk_store *s = NULL;
	int fd;
	struct stat st;
	unsigned char junk[4096];

	assert_int_equal(dk_store_open(&s, T->path, NULL), 0);
	dk_store_free(s);   /* last close checkpoints: everything is in the main file */
	assert_int_equal(stat(T->path, &st), 0);
	assert_true(st.st_size > 8 * 4096);
	/* wipe every page but the first (the schema stays readable, the tables do not) */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(T->path, O_WRONLY);
	for (off_t off = 4096; off < st.st_size; off += 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	expect_corrupt_refused(T->path);
}

static void
a_write_lock_held_elsewhere_is_locked_and_changes_nothing(void **state)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_store *s = NULL;
	dk_account *a = NULL;
	dk_platform *p;
	dk_publication *pub, *x;
	sqlite3 *other;
	const char *modes[] = { "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE" };

	o.busy_timeout_ms = 20;
	assert_int_equal(dk_store_open(&s, T->path, &o), 0);
	assert_int_equal(dk_store_account_create(s, &a, "alpha"), 0);
	p = su_platform(s, a->id, "deb");
	pub = su_publication(s, p, "abc", DK_PUB_VERIFYING);
	other = raw_open(T->path);
	for (int i = 0; i < 2; i++) {
		dk_account *b = NULL;
		dk_platform *q = NULL;
		dk_platform_spec c = { .set = DK_PLATFORM_RETENTION, .retention_count = 9 };

		raw_exec(other, modes[i]);
		raw_exec(other, "INSERT INTO account VALUES ('held', 'held', 1)");
		assert_int_equal(dk_store_account_create(s, &b, "beta"), DK_ESTORE);
		assert_non_null(strstr(dk_error_last()->message, "locked"));
		assert_non_null(strstr(dk_error_last()->message, T->path));
		assert_int_equal(dk_store_platform_update(s, &q, a->id, p->id, &c), DK_ESTORE);
		assert_int_equal(dk_store_publication_transition(s, a->id, pub->id, DK_PUB_PUBLISHED, NULL),
				 DK_ESTORE);
		assert_non_null(strstr(dk_error_last()->message, "locked"));
		assert_int_equal(dk_store_begin(s), DK_ESTORE);
		/* reads still work (WAL) and see nothing new */
		x = NULL;
		assert_int_equal(dk_store_publication_get(s, &x, a->id, pub->id), 0);
		assert_int_equal(x->status, DK_PUB_VERIFYING);
		dk_publication_free(x);
		raw_exec(other, "ROLLBACK");
	}
	sqlite3_close(other);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM account"), 1);
	assert_int_equal(su_sql_int(T->path, "SELECT disk_image_retention_count FROM node_platform"), 3);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM disk_image_publication WHERE status = 'verifying'"), 1);
	/* and once the lock is gone the same calls succeed */
	assert_int_equal(dk_store_publication_transition(s, a->id, pub->id, DK_PUB_PUBLISHED, NULL), 0);
	dk_store_free(s);
	dk_account_free(a);
	dk_platform_free(p);
	dk_publication_free(pub);
}

static void
opening_while_another_process_creates_it_is_locked(void **state)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_store *s = NULL;
	sqlite3 *other = raw_open(T->path);

	/* a rollback-journal database mid-write: even reading it must wait */
	raw_exec(other, "BEGIN EXCLUSIVE; CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	o.busy_timeout_ms = 20;
	assert_int_equal(dk_store_open(&s, T->path, &o), DK_ESTORE);
	assert_null(s);
	assert_non_null(strstr(dk_error_last()->message, "locked"));
	assert_non_null(strstr(dk_error_last()->message, T->path));
	raw_exec(other, "ROLLBACK");
	sqlite3_close(other);
	assert_int_equal(su_sql_int(T->path, "SELECT count(*) FROM sqlite_master"), 0);
	assert_int_equal(dk_store_open(&s, T->path, &o), 0);
	assert_int_equal(schema_version(s), dk_store_latest_version());
	dk_store_free(s);
}

/* ---- full disk ----
 * A real ENOSPC: as root, a forked child moves into a private mount namespace and
 * mounts a 768k tmpfs over a temp dir, then writes until the store refuses. Without
 * root (or with DISKOPS_TEST_FULL_DISK=rlimit) it falls back to RLIMIT_FSIZE with
 * SIGXFSZ ignored, so write() fails with EFBIG. The child checks the reopened database
 * (the tmpfs only exists in its namespace) and reports through a pipe. */

typedef struct {
	int method;             /* 1 tmpfs, 2 RLIMIT_FSIZE, 0 set-up failed */
	int fail_rc;
	int committed;
	int reopen_rc;
	int rows_after;
	int integrity_ok;
	int later_write_rc;
	char msg[512];
	char setup_err[256];
} full_result;

static int
try_tmpfs(const char *dir, char *err, size_t errlen)
{
	const char *force = getenv("DISKOPS_TEST_FULL_DISK");

	if (force && strcmp(force, "rlimit") == 0) {
		snprintf(err, errlen, "DISKOPS_TEST_FULL_DISK=rlimit");
		return -1;
	}
	if (geteuid() != 0) {
		snprintf(err, errlen, "not root");
		return -1;
	}
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=768k,mode=0700") < 0) {
		snprintf(err, errlen, "tmpfs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
full_disk_child(const char *dir, full_result *r)
{
	char *path = tu_path(dir, "full.db");
	char pad[20000];
	dk_store *s = NULL;
	dk_account *a = NULL;
	struct rlimit rl;
	int rc = 0;

	r->method = try_tmpfs(dir, r->setup_err, sizeof(r->setup_err)) == 0 ? 1 : 2;
	dk_clock_set(1800000000);
	dk_log_set_level(DK_LOG_OFF);
	if (dk_store_open(&s, path, NULL) < 0 || dk_store_account_create(s, &a, "alpha") < 0) {
		snprintf(r->setup_err, sizeof(r->setup_err), "open: %s", dk_error_last()->message);
		r->method = 0;
		return;
	}
	if (r->method == 2) {
		struct stat st;

		signal(SIGXFSZ, SIG_IGN);
		stat(path, &st);
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = (rlim_t)st.st_size + 512 * 1024;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	memset(pad, 'x', sizeof(pad));
	memcpy(pad, "{\"pad\":\"", 8);
	memcpy(pad + sizeof(pad) - 3, "\"}", 3);
	for (int i = 0; i < 100000; i++) {
		dk_event e = { .account_id = a->id, .kind = "test.fill", .payload = pad };

		if ((rc = dk_store_event_insert(s, NULL, &e)) < 0)
			break;
		r->committed++;
	}
	r->fail_rc = rc;
	snprintf(r->msg, sizeof(r->msg), "%s", dk_error_last()->message);
	dk_store_free(s);
	s = NULL;
	if (r->method == 2) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	r->reopen_rc = dk_store_open(&s, path, NULL);
	if (r->reopen_rc == 0) {
		dk_account *b = NULL;

		r->rows_after = (int)su_sql_int(path, "SELECT count(*) FROM event");
		r->integrity_ok = su_sql_int(path, "SELECT count(*) FROM pragma_integrity_check()"
					     " WHERE integrity_check = 'ok'") == 1;
		/* a small write fits again once space is back (rlimit) or is refused cleanly (tmpfs) */
		r->later_write_rc = dk_store_account_create(s, &b, "beta");
		dk_account_free(b);
		dk_store_free(s);
	} else {
		snprintf(r->msg, sizeof(r->msg), "reopen: %s", dk_error_last()->message);
	}
	dk_account_free(a);
	free(path);
}

static void
a_full_disk_is_a_clean_error_and_loses_nothing_committed(void **state)
{
	int fds[2];
	pid_t pid;
	full_result r;
	int status;
	char *dir = tu_path(T->dir, "small");

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		full_result cr;

		memset(&cr, 0, sizeof(cr));
		close(fds[0]);
		full_disk_child(dir, &cr);
		if (write(fds[1], &cr, sizeof(cr)) != (ssize_t)sizeof(cr))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	memset(&r, 0, sizeof(r));
	assert_int_equal(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (r.method == 0)
		fail_msg("full-disk set-up failed: %s", r.setup_err);
	print_message("full disk via %s (%s); %d writes fitted; error: %s\n",
		      r.method == 1 ? "a 768k tmpfs in a private mount namespace" : "RLIMIT_FSIZE",
		      r.method == 1 ? "root" : r.setup_err, r.committed, r.msg);
	assert_true(r.committed > 0);
	if (r.fail_rc != DK_EIO && r.fail_rc != DK_ESTORE)
		fail_msg("full disk gave %d (%s)", r.fail_rc, r.msg);
	assert_true(strlen(r.msg) > 0);
	assert_non_null(strstr(r.msg, "full.db"));
	assert_int_equal(r.reopen_rc, 0);
	assert_int_equal(r.rows_after, r.committed);
	assert_true(r.integrity_ok);
	if (r.method == 2)
		assert_int_equal(r.later_write_rc, 0);
	else
		assert_true(r.later_write_rc == 0 || r.later_write_rc == DK_EIO || r.later_write_rc == DK_ESTORE);
	free(dir);
}

int
main(void)
{
#define TT(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrations_are_numbered_in_order),
		TT(migrates_an_empty_file),
		TT(migrates_a_version_1_database_keeping_rows),
		TT(migrates_live_jobs_to_their_publications_rowid),
		TT(a_failing_migration_changes_nothing),
		TT(a_newer_schema_is_refused),
		TT(a_text_file_is_refused_untouched),
		TT(random_bytes_are_refused_untouched),
		TT(a_damaged_database_is_refused),
		TT(a_write_lock_held_elsewhere_is_locked_and_changes_nothing),
		TT(opening_while_another_process_creates_it_is_locked),
		TT(a_full_disk_is_a_clean_error_and_loses_nothing_committed),
	};
	return cmocka_run_group_tests_name("store_migrations", tests, NULL, NULL);
}
