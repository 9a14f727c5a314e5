#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/*
 * A VFS for the group commit's writer that gathers a transaction's WAL frames into one
 * write. SQLite writes each frame as two calls (a 24-byte header, then the page), so a
 * batch of deliveries cost a couple of hundred pwrite calls, a third of the commit
 * thread's time. Everything else goes straight to the default VFS.
 *
 * The gathered bytes reach the file before anything could need them there: before any
 * read, sync, size, truncate or close of the WAL, and right after the page of a commit
 * frame, because SQLite publishes the commit to other connections (in the shared
 * WAL index) as soon as that frame is written.
 */

#define WALBUF_NAME "diskops-walbuf"
#define WALBUF_MAX (4 << 20)
#define WRITE_MAX (64 << 10)
#define FRAME_HEADER 24
#define WAL_HEADER 32

typedef struct {
	sqlite3_file base;
	sqlite3_file *real;             /* the default VFS's file, allocated after this */
	bool is_wal;
	bool commit_next;               /* the next write is a commit frame's page */
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 at;               /* file offset of buf[0] */
} walbuf_file;

static sqlite3_vfs walbuf_vfs;
static sqlite3_io_methods walbuf_methods;

#define REAL(f) (((walbuf_file *)(f))->real)

static int
flush(walbuf_file *f)
{
	int rc = SQLITE_OK;

	/* The unix VFS takes at most 128 KiB per write. */
	for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += WRITE_MAX) {
		size_t n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;

		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
					       f->at + (sqlite3_int64)done);
	}
	f->len = 0;
	return rc;
}

static int
wb_close(sqlite3_file *file)
{
	walbuf_file *f = (walbuf_file *)file;
	int rc = flush(f), rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	free(f->buf);
	return rc != SQLITE_OK ? rc : rc2;
}

static int
wb_read(sqlite3_file *file, void *out, int n, sqlite3_int64 at)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xRead(REAL(file), out, n, at);
}

static int
append(walbuf_file *f, const void *data, int n, sqlite3_int64 at)
{
	int rc;

	if (f->len && (at != f->at + (sqlite3_int64)f->len || f->len + (size_t)n > WALBUF_MAX) &&
	    (rc = flush(f)) != SQLITE_OK)
		return rc;
	if (f->len + (size_t)n > f->cap) {
		size_t cap = f->cap ? f->cap : 1 << 16;
		unsigned char *p;

		while (cap < f->len + (size_t)n)
			cap *= 2;
		if (!(p = realloc(f->buf, cap)))
			return SQLITE_IOERR_NOMEM;
		f->buf = p;
		f->cap = cap;
	}
	if (!f->len)
		f->at = at;
	memcpy(f->buf + f->len, data, (size_t)n);
	f->len += (size_t)n;
	return SQLITE_OK;
}

static int
wb_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 at)
{
	walbuf_file *f = (walbuf_file *)file;
	const unsigned char *p = data;
	bool commit = f->commit_next;
	int rc;

	/* The main database file, and the WAL's own header, go through as they come. */
	if (!f->is_wal || at < WAL_HEADER) {
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
		return f->real->pMethods->xWrite(f->real, data, n, at);
	}
	f->commit_next = false;
	/* A frame header's second word is the database size after a commit, 0 otherwise. */
	if (n == FRAME_HEADER && (p[4] | p[5] | p[6] | p[7]))
		f->commit_next = true;
	if ((rc = append(f, data, n, at)) != SQLITE_OK)
		return rc;
	return commit ? flush(f) : SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int
wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int
wb_lock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xLock(REAL(file), level);
}

static int
wb_unlock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

static int
wb_check_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int
wb_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int
wb_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int
wb_device_characteristics(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int
wb_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, out);
}

static int
wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void
wb_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int
wb_shm_unmap(sqlite3_file *file, int delete_flag)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag);
}

static int
wb_fetch(sqlite3_file *file, sqlite3_int64 at, int n, void **out)
{
	int rc = flush((walbuf_file *)file);

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFetch(REAL(file), at, n, out);
}

static int
wb_unfetch(sqlite3_file *file, sqlite3_int64 at, void *p)
{
	return REAL(file)->pMethods->xUnfetch(REAL(file), at, p);
}

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	sqlite3_vfs *real_vfs = vfs->pAppData;
	walbuf_file *f = (walbuf_file *)file;
	int rc;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
	if ((rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags)) != SQLITE_OK) {
		/* SQLite calls xClose only when pMethods is set. */
		return rc;
	}
	f->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

#define PASS(name, args, call) \
	static int name args { sqlite3_vfs *r = vfs->pAppData; return r->call; }

PASS(wb_delete, (sqlite3_vfs *vfs, const char *name, int dir_sync),
     xDelete(r, name, dir_sync))
PASS(wb_access, (sqlite3_vfs *vfs, const char *name, int flags, int *out),
     xAccess(r, name, flags, out))
PASS(wb_full_pathname, (sqlite3_vfs *vfs, const char *name, int n, char *out),
     xFullPathname(r, name, n, out))
PASS(wb_randomness, (sqlite3_vfs *vfs, int n, char *out), xRandomness(r, n, out))
PASS(wb_sleep, (sqlite3_vfs *vfs, int us), xSleep(r, us))
PASS(wb_current_time64, (sqlite3_vfs *vfs, sqlite3_int64 *out), xCurrentTimeInt64(r, out))
PASS(wb_last_error, (sqlite3_vfs *vfs, int n, char *out), xGetLastError(r, n, out))
#undef PASS

static int
wb_current_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xCurrentTime(r, out);
}

static int register_rc = SQLITE_ERROR;

static void
register_once(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (!real || real->iVersion < 2)
		return;
	walbuf_methods = (sqlite3_io_methods){
		.iVersion = 3, .xClose = wb_close, .xRead = wb_read, .xWrite = wb_write,
		.xTruncate = wb_truncate, .xSync = wb_sync, .xFileSize = wb_file_size,
		.xLock = wb_lock, .xUnlock = wb_unlock, .xCheckReservedLock = wb_check_reserved,
		.xFileControl = wb_file_control, .xSectorSize = wb_sector_size,
		.xDeviceCharacteristics = wb_device_characteristics, .xShmMap = wb_shm_map,
		.xShmLock = wb_shm_lock, .xShmBarrier = wb_shm_barrier,
		.xShmUnmap = wb_shm_unmap, .xFetch = wb_fetch, .xUnfetch = wb_unfetch,
	};
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2, .szOsFile = (int)sizeof(walbuf_file) + real->szOsFile,
		.mxPathname = real->mxPathname, .zName = WALBUF_NAME, .pAppData = real,
		.xOpen = wb_open, .xDelete = wb_delete, .xAccess = wb_access,
		.xFullPathname = wb_full_pathname, .xRandomness = wb_randomness,
		.xSleep = wb_sleep, .xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error, .xCurrentTimeInt64 = wb_current_time64,
	};
	register_rc = sqlite3_vfs_register(&walbuf_vfs, 0);
}

const char *
dk_store__walbuf_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_once);
	/* Without it (an odd default VFS) the writer simply writes frame by frame. */
	return register_rc == SQLITE_OK ? WALBUF_NAME : NULL;
}
