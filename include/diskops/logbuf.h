#ifndef DISKOPS_LOGBUF_H
#define DISKOPS_LOGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A job log on disk, indexed by line: the bytes live in a file (a local file being
 * viewed, or a cache file the console appends fetched bytes to) and memory holds only
 * the byte offset of every DK_LOGBUF_CHUNK-th line, so a 1 GiB log costs a few hundred
 * KiB. A line is read back with pread when it is drawn. Indexing is incremental
 * (dk_logbuf_index_step) so a caller can draw the last screen (dk_logbuf_tail) before the
 * whole file has been scanned.
 *
 * A cache buffer is bounded: when an append would take it past max_bytes, the older
 * half of its lines is dropped (counted in dk_logbuf_dropped) — the operator sees how
 * many, never a silent gap. Single-threaded: one owner calls everything.
 */

typedef struct dk_logbuf dk_logbuf;

#define DK_LOGBUF_CHUNK 256             /* lines per index entry */
#define DK_LOGBUF_LINE_MAX 16384        /* bytes of one line returned; the rest is reported cut */

/* Views an existing file (read-only). Nothing is indexed yet. */
int dk_logbuf_open(dk_logbuf **out, const char *path);
/* A new empty cache file under dir (created 0700), deleted by dk_logbuf_free. */
int dk_logbuf_create(dk_logbuf **out, const char *dir, uint64_t max_bytes);
void dk_logbuf_free(dk_logbuf *b);

/* Cache buffers: appends bytes and indexes them. */
int dk_logbuf_append(dk_logbuf *b, const char *data, size_t len);
/* Opened files: notices growth (tail -f). *grew says whether there is more to index;
 * a file that shrank is re-read from the start. */
int dk_logbuf_sync(dk_logbuf *b, bool *grew);

/* Indexes up to `budget` more bytes; *done is true once everything is indexed. */
int dk_logbuf_index_step(dk_logbuf *b, size_t budget, bool *done);
bool dk_logbuf_indexed(const dk_logbuf *b);
/* Bytes indexed and in all (for "indexing 40%"). */
uint64_t dk_logbuf_scanned(const dk_logbuf *b);
uint64_t dk_logbuf_size(const dk_logbuf *b);

/* Lines indexed so far (a last line without a newline counts once fully indexed). */
uint64_t dk_logbuf_lines(const dk_logbuf *b);
/* Lines dropped from the start to keep the bound. */
uint64_t dk_logbuf_dropped(const dk_logbuf *b);

/*
 * Line i (0-based, below dk_logbuf_lines): *text points into the buffer's own memory,
 * valid until the next call; at most DK_LOGBUF_LINE_MAX bytes, *full_len says how long
 * the line really is. No newline.
 */
int dk_logbuf_line(dk_logbuf *b, uint64_t i, const char **text, size_t *len, size_t *full_len);

/* The byte offsets of the last n lines (oldest first) without the index: read backwards
 * from the end. Returns how many there are (fewer in a short file). */
size_t dk_logbuf_tail(dk_logbuf *b, uint64_t *offsets, size_t n);
/* The line starting at byte `offset`, as dk_logbuf_line. */
int dk_logbuf_line_at(dk_logbuf *b, uint64_t offset, const char **text, size_t *len,
		      size_t *full_len);

/*
 * Gitea stores each line as "<RFC 3339 time> <text>": returns the bytes the time and its
 * space take (0 when the line has no such prefix).
 */
size_t dk_log_time_prefix(const char *line, size_t len);

#endif
