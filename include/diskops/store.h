#ifndef DISKOPS_STORE_H
#define DISKOPS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/model.h"

/*
 * The store: every SQL statement of diskops lives behind this header (core/store*.c).
 * SQLite in WAL mode with synchronous=FULL; writes are short BEGIN IMMEDIATE
 * transactions. Every lookup is scoped to an account: another account's id behaves as
 * not found.
 */

typedef struct dk_store dk_store;

typedef struct {
	int version;
	int busy_timeout_ms;    /* 0: the default, 5000 */
	bool no_create;         /* refuse a missing file instead of creating it */
	bool combine_wal_writes; /* the group commit's writer: one write per commit */
	/* Only ever used by one thread at a time: SQLite skips its per-call locking.
	 * For serve's per-thread connections, on every request's path. */
	bool one_thread;
} dk_store_options;

#define DK_STORE_OPTIONS_VERSION 1
#define DK_STORE_OPTIONS_INIT { DK_STORE_OPTIONS_VERSION, 0, false, false, false }

/*
 * Opens (creating with mode 0600) and migrates the database at path. A corrupt file, a
 * lock held past the busy timeout or a schema newer than this build is DK_ESTORE with
 * a message naming the file.
 */
int dk_store_open(dk_store **out, const char *path, const dk_store_options *opts);
void dk_store_free(dk_store *store);

const char *dk_store_path(const dk_store *store);
int dk_store_schema_version(dk_store *store, int *out);
/* The newest schema version this build knows. */
int dk_store_latest_version(void);
/* Changes whenever another connection commits; cheap enough to poll. */
int dk_store_data_version(dk_store *store, int64_t *out);

/*
 * For the group commit (core/commit.c), which syncs and checkpoints on other threads
 * (core/store_wal.c says why that is safe). After dk_store_defer_durability a commit on
 * this connection is durable only once the WAL file has been synced through a
 * descriptor from dk_store_wal_open (the caller closes it).
 */
int dk_store_defer_durability(dk_store *store);
int dk_store_wal_open(dk_store *store, int *fd);
/* fn runs after each commit on this connection with the WAL's length in frames; it
 * replaces the automatic checkpoint (NULL restores it). */
void dk_store_on_commit(dk_store *store, void (*fn)(void *arg, int wal_frames), void *arg);
/* Copies committed frames into the database without blocking readers or writers. */
int dk_store_checkpoint(dk_store *store, int *wal_frames, int *copied);

/* Nestable: the outermost begin is BEGIN IMMEDIATE, inner ones are savepoints. */
int dk_store_begin(dk_store *store);
int dk_store_commit(dk_store *store);
void dk_store_rollback(dk_store *store);

/* --- accounts --- */
int dk_store_account_create(dk_store *store, dk_account **out, const char *name);
/* By name or id. */
int dk_store_account_find(dk_store *store, dk_account **out, const char *name_or_id);
int dk_store_account_list(dk_store *store, dk_account_list **out);

/* --- node platforms --- */

/* Which fields of a dk_platform_spec are set (for updates; creation takes all set ones). */
enum {
	DK_PLATFORM_NAME = 1 << 0,
	DK_PLATFORM_ARCH = 1 << 1,
	DK_PLATFORM_RETENTION = 1 << 2,
	DK_PLATFORM_IDENTITY_RE = 1 << 3,
	DK_PLATFORM_ISSUER_RE = 1 << 4,
	DK_PLATFORM_TRUSTED_KEYS = 1 << 5,
	DK_PLATFORM_TLOG = 1 << 6,
	DK_PLATFORM_BUILD_REPO = 1 << 7,
	DK_PLATFORM_WORKFLOW = 1 << 8,
	DK_PLATFORM_TRUSTED_ROOT = 1 << 9
};

typedef struct {
	unsigned set;           /* DK_PLATFORM_* bits */
	const char *name;
	const char *arch;
	int retention_count;
	const char *identity_regexp;    /* "" clears */
	const char *issuer_regexp;      /* "" clears */
	const char *trusted_keys;       /* concatenated PEM; "" clears */
	const char *tlog_policy;
	const char *build_repo;
	const char *workflow_file;
	const char *trusted_root;
} dk_platform_spec;

/* DK_ECONFLICT when the name is taken in the account. Values are not validated here
 * beyond the schema's CHECK constraints: core/platform.c validates first. */
int dk_store_platform_create(dk_store *store, dk_platform **out, const char *account_id,
			     const dk_platform_spec *spec);
/* By name or id, within the account. */
int dk_store_platform_find(dk_store *store, dk_platform **out, const char *account_id,
			   const char *name_or_id);
int dk_store_platform_list(dk_store *store, dk_platform_list **out, const char *account_id);
int dk_store_platform_update(dk_store *store, dk_platform **out, const char *account_id,
			     const char *platform_id, const dk_platform_spec *changes);

/*
 * Moves the boot pointer: default publication, the digest-pinned disk_image_oci_ref,
 * status published and no error. The schema refuses a row that is not published on this
 * platform (DK_ESTATE).
 */
int dk_store_platform_set_default(dk_store *store, const char *account_id,
				  const char *platform_id, const char *publication_id,
				  const char *pinned_ref);

/* --- publications --- */

/* Inserts a row as given (status, timestamps, …); id generated when NULL. DK_ECONFLICT
 * when (platform, git_sha) exists. `out` may be NULL: the row is then not read back. */
int dk_store_publication_insert(dk_store *store, dk_publication **out, const dk_publication *row);
int dk_store_publication_get(dk_store *store, dk_publication **out, const char *account_id,
			     const char *id);
int dk_store_publication_find_sha(dk_store *store, dk_publication **out, const char *account_id,
				  const char *platform_id, const char *git_sha);

typedef struct {
	const char *account_id;         /* required */
	const char *platform_id;        /* NULL: every platform */
	int status;                     /* a dk_pub_status, or -1 for any */
	int limit;                      /* <= 0: 50 */
	int64_t created_before;         /* created_at < this; 0: any */
	int64_t retired_before;         /* retired_at < this; 0: any */
	bool by_published_at;           /* newest published_at first instead of created_at */
} dk_publication_filter;

/*
 * True when a manifest digest is still needed by a row other than exclude_id: any
 * account's published or retired row, or any platform's default (retention never deletes
 * what something still boots or may roll back to).
 */
int dk_store_digest_in_use(dk_store *store, bool *out, const char *digest, const char *exclude_id);

/*
 * The newest row of a platform in `status` that is verified, not `exclude_id`, by
 * created_at; DK_ENOTFOUND when there is none. (rollback without a target)
 */
int dk_store_publication_latest(dk_store *store, dk_publication **out, const char *account_id,
				const char *platform_id, dk_pub_status status,
				const char *exclude_id);

/* Newest first (created_at, then insertion order). */
int dk_store_publication_list(dk_store *store, dk_publication_list **out,
			      const dk_publication_filter *filter);

/*
 * The one way a publication changes status. Refuses an illegal move with DK_ESTATE and
 * a message naming both states; stamps the matching time (verified/published/retired/
 * purged), counts attempts on each move to verifying, stores error_message on failed.
 */
int dk_store_publication_transition(dk_store *store, const char *account_id, const char *id,
				    dk_pub_status to, const char *error_message);

/* --- events --- */
int dk_store_event_insert(dk_store *store, int64_t *out_id, const dk_event *event);

typedef struct {
	const char *account_id;         /* NULL: every account */
	const char *kind_prefix;        /* NULL: every kind */
	int64_t since;                  /* created_at >= since; 0: any */
	int64_t after_id;               /* id > after_id; 0: any */
	int limit;                      /* <= 0: 50 */
} dk_event_filter;

/* Newest first. */
int dk_store_event_list(dk_store *store, dk_event_list **out, const dk_event_filter *filter);

#endif
