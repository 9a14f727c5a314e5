#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskops/error.h"
#include "diskops/logbuf.h"

#define WINDOW (256 * 1024)     /* read-back window: many screens of ordinary lines */
#define SCAN (1024 * 1024)      /* indexing block */
#define TAIL_BLOCK (64 * 1024)

struct dk_logbuf {
	int fd;
	char *path;
	bool owned;             /* a cache file: ours to append to and delete */
	uint64_t max_bytes;
	uint64_t size;          /* bytes in the file (as far as we know) */
	uint64_t scanned;       /* bytes indexed */
	uint64_t nlines;        /* newline-terminated lines indexed */
	uint64_t last_start;    /* offset after the last newline indexed */
	uint64_t *chunk;        /* chunk[k]: offset of line k * DK_LOGBUF_CHUNK */
	size_t nchunk, cap;
	uint64_t dropped;
	char *win;              /* bytes [win_off, win_off + win_len) of the file */
	uint64_t win_off;
	size_t win_len;
	char *scan;             /* indexing and backward reads */
	uint64_t cur_line, cur_off;     /* where the last dk_logbuf_line found its line */
	bool cur_valid;
};

static int
fail_io(const char *what, const dk_logbuf *b)
{
	return dk_error_set(DK_EIO, "%s %s: %s", what, b->path, strerror(errno));
}

static int
alloc_common(dk_logbuf **out, const char *path)
{
	dk_logbuf *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b || !(b->path = strdup(path)) || !(b->win = malloc(WINDOW)) ||
	    !(b->scan = malloc(SCAN)) || !(b->chunk = malloc(64 * sizeof(*b->chunk)))) {
		dk_logbuf_free(b);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	b->fd = -1;
	b->cap = 64;
	b->chunk[0] = 0;
	b->nchunk = 1;
	*out = b;
	return 0;
}

int
dk_logbuf_open(dk_logbuf **out, const char *path)
{
	struct stat st;
	int rc;

	if ((rc = alloc_common(out, path)) < 0)
		return rc;
	if (((*out)->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat((*out)->fd, &st) < 0) {
		rc = dk_error_set(errno == ENOENT ? DK_ENOTFOUND : DK_EIO, "%s: %s", path,
				  strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = dk_error_set(DK_EINVALID, "%s: not a regular file", path);
		goto fail;
	}
	(*out)->size = (uint64_t)st.st_size;
	return 0;
fail:
	dk_logbuf_free(*out);
	*out = NULL;
	return rc;
}

int
dk_logbuf_create(dk_logbuf **out, const char *dir, uint64_t max_bytes)
{
	char tmpl[4096];
	int rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return dk_error_set(DK_EIO, "%s: %s", dir, strerror(errno));
	snprintf(tmpl, sizeof(tmpl), "%s/log-XXXXXX", dir);
	if ((rc = alloc_common(out, tmpl)) < 0)
		return rc;
	if (((*out)->fd = mkostemp((*out)->path, O_CLOEXEC)) < 0) {
		rc = dk_error_set(DK_EIO, "%s: %s", tmpl, strerror(errno));
		dk_logbuf_free(*out);
		*out = NULL;
		return rc;
	}
	(*out)->owned = true;
	(*out)->max_bytes = max_bytes;
	return 0;
}

void
dk_logbuf_free(dk_logbuf *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	if (b->owned)
		unlink(b->path);
	free(b->path);
	free(b->win);
	free(b->scan);
	free(b->chunk);
	free(b);
}

static void
forget_reads(dk_logbuf *b)
{
	b->win_len = 0;
	b->cur_valid = false;
}

static int
push_chunk(dk_logbuf *b, uint64_t off)
{
	if (b->nchunk == b->cap) {
		uint64_t *grown = realloc(b->chunk, b->cap * 2 * sizeof(*grown));

		if (!grown)
			return dk_error_set(DK_ENOMEM, "out of memory");
		b->chunk = grown;
		b->cap *= 2;
	}
	b->chunk[b->nchunk++] = off;
	return 0;
}

int
dk_logbuf_index_step(dk_logbuf *b, size_t budget, bool *done)
{
	uint64_t stop = b->scanned + budget < b->size ? b->scanned + budget : b->size;
	int rc;

	while (b->scanned < stop) {
		size_t want = stop - b->scanned > SCAN ? SCAN : (size_t)(stop - b->scanned);
		ssize_t n = pread(b->fd, b->scan, want, (off_t)b->scanned);
		const char *p, *end;

		if (n < 0)
			return fail_io("read", b);
		if (n == 0) {
			/* The file is shorter than we were told: take it as it is now. */
			b->size = b->scanned;
			break;
		}
		p = b->scan;
		end = b->scan + n;
		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			b->nlines++;
			b->last_start = b->scanned + (uint64_t)(p - b->scan);
			if (b->nlines % DK_LOGBUF_CHUNK == 0 &&
			    (rc = push_chunk(b, b->last_start)) < 0)
				return rc;
		}
		b->scanned += (uint64_t)n;
	}
	if (done)
		*done = b->scanned >= b->size;
	return 0;
}

bool
dk_logbuf_indexed(const dk_logbuf *b)
{
	return b->scanned >= b->size;
}

uint64_t
dk_logbuf_scanned(const dk_logbuf *b)
{
	return b->scanned;
}

uint64_t
dk_logbuf_size(const dk_logbuf *b)
{
	return b->size;
}

uint64_t
dk_logbuf_lines(const dk_logbuf *b)
{
	/* An unfinished last line shows (a job prints "Downloading 40%" without a newline). */
	return b->nlines + (b->scanned >= b->size && b->size > b->last_start ? 1 : 0);
}

uint64_t
dk_logbuf_dropped(const dk_logbuf *b)
{
	return b->dropped;
}

static void
reset_index(dk_logbuf *b)
{
	b->scanned = b->nlines = b->last_start = 0;
	b->nchunk = 1;
	forget_reads(b);
}

int
dk_logbuf_sync(dk_logbuf *b, bool *grew)
{
	struct stat st;

	*grew = false;
	if (fstat(b->fd, &st) < 0)
		return fail_io("stat", b);
	if ((uint64_t)st.st_size < b->size) {
		/* Truncated or rewritten: start over rather than show stale offsets. */
		reset_index(b);
		b->size = (uint64_t)st.st_size;
		*grew = true;
	} else if ((uint64_t)st.st_size > b->size) {
		b->size = (uint64_t)st.st_size;
		forget_reads(b);
		*grew = true;
	}
	return 0;
}

/* Keeps the newer half of the lines: a bounded cache, with the loss counted. */
static int
drop_older_half(dk_logbuf *b)
{
	size_t k = b->nchunk / 2;
	uint64_t cut = b->chunk[k], pos = cut;
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", b->path);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return fail_io("create", b);
	while (pos < b->size) {
		ssize_t n = pread(b->fd, b->scan, SCAN, (off_t)pos);

		if (n <= 0 || write(fd, b->scan, (size_t)n) != n) {
			close(fd);
			unlink(tmp);
			return fail_io("copy", b);
		}
		pos += (uint64_t)n;
	}
	if (rename(tmp, b->path) < 0) {
		close(fd);
		unlink(tmp);
		return fail_io("rename", b);
	}
	close(b->fd);
	b->fd = fd;
	for (size_t j = 0; j + k < b->nchunk; j++)
		b->chunk[j] = b->chunk[j + k] - cut;
	b->nchunk -= k;
	b->nlines -= (uint64_t)k * DK_LOGBUF_CHUNK;
	b->dropped += (uint64_t)k * DK_LOGBUF_CHUNK;
	b->size -= cut;
	b->scanned -= cut;
	b->last_start -= cut;
	forget_reads(b);
	return 0;
}

int
dk_logbuf_append(dk_logbuf *b, const char *data, size_t len)
{
	size_t done = 0;
	int rc;

	if (!b->owned)
		return dk_error_set(DK_EINVALID, "%s is viewed, not appended to", b->path);
	while (b->max_bytes && b->size + len > b->max_bytes && b->nchunk > 2) {
		if ((rc = drop_older_half(b)) < 0)
			return rc;
	}
	while (done < len) {
		ssize_t n = pwrite(b->fd, data + done, len - done, (off_t)(b->size + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail_io("write", b);
		done += (size_t)n;
	}
	b->size += len;
	forget_reads(b);
	return dk_logbuf_index_step(b, len + 1, NULL);
}

static int
byte_at(dk_logbuf *b, uint64_t off, char *c)
{
	if (pread(b->fd, c, 1, (off_t)off) != 1)
		return fail_io("read", b);
	return 0;
}

/* Makes [off, off + want) readable from the window (less at the end of the file). */
static int
window(dk_logbuf *b, uint64_t off, size_t want, const char **p, size_t *avail)
{
	uint64_t left = b->size > off ? b->size - off : 0;
	ssize_t n;

	if (want > left)
		want = (size_t)left;
	if (off < b->win_off || off + want > b->win_off + b->win_len) {
		n = pread(b->fd, b->win, WINDOW, (off_t)off);
		if (n < 0)
			return fail_io("read", b);
		b->win_off = off;
		b->win_len = (size_t)n > left ? (size_t)left : (size_t)n;
	}
	*p = b->win + (off - b->win_off);
	*avail = (size_t)(b->win_off + b->win_len - off);
	return 0;
}

/* The offset after the line at off (its newline included), or the file's size. */
static int
skip_line(dk_logbuf *b, uint64_t off, uint64_t *next)
{
	const char *p = NULL, *nl;
	size_t avail = 0;
	int rc;

	while (off < b->size) {
		/* Any byte will do: the window is reused while off is inside it. */
		if ((rc = window(b, off, 1, &p, &avail)) < 0)
			return rc;
		if (avail == 0)
			break;
		if ((nl = memchr(p, '\n', avail))) {
			*next = off + (uint64_t)(nl - p) + 1;
			return 0;
		}
		off += avail;
	}
	*next = b->size;
	return 0;
}

int
dk_logbuf_line_at(dk_logbuf *b, uint64_t off, const char **text, size_t *len, size_t *full_len)
{
	const char *p = NULL, *nl;
	size_t avail = 0, take;
	uint64_t next;
	char last;
	int rc;

	if ((rc = window(b, off, DK_LOGBUF_LINE_MAX + 1, &p, &avail)) < 0)
		return rc;
	take = avail > DK_LOGBUF_LINE_MAX + 1 ? DK_LOGBUF_LINE_MAX + 1 : avail;
	if ((nl = memchr(p, '\n', take))) {
		*text = p;
		*len = *full_len = (size_t)(nl - p);
		return 0;
	}
	if (take <= DK_LOGBUF_LINE_MAX) {
		/* The unfinished last line. */
		*text = p;
		*len = *full_len = take;
		return 0;
	}
	/* A line longer than we show: its length is worth telling, so find its end. */
	if ((rc = skip_line(b, off, &next)) < 0)
		return rc;
	if ((rc = window(b, off, DK_LOGBUF_LINE_MAX, &p, &avail)) < 0)
		return rc;
	*text = p;
	*len = DK_LOGBUF_LINE_MAX;
	*full_len = (size_t)(next - off);
	if (*full_len && byte_at(b, next - 1, &last) == 0 && last == '\n')
		(*full_len)--;
	return 0;
}

int
dk_logbuf_line(dk_logbuf *b, uint64_t i, const char **text, size_t *len, size_t *full_len)
{
	uint64_t k = i / DK_LOGBUF_CHUNK, line, off;
	int rc;

	if (i >= dk_logbuf_lines(b) || k >= b->nchunk)
		return dk_error_set(DK_ENOTFOUND, "line %llu is past the end", (unsigned long long)i);
	line = k * DK_LOGBUF_CHUNK;
	off = b->chunk[k];
	/* Drawing walks down the screen: carry on from the previous line when we can. */
	if (b->cur_valid && b->cur_line <= i && b->cur_line >= line) {
		line = b->cur_line;
		off = b->cur_off;
	}
	while (line < i) {
		if ((rc = skip_line(b, off, &off)) < 0)
			return rc;
		line++;
	}
	b->cur_line = line;
	b->cur_off = off;
	b->cur_valid = true;
	return dk_logbuf_line_at(b, off, text, len, full_len);
}

size_t
dk_logbuf_tail(dk_logbuf *b, uint64_t *offsets, size_t n)
{
	uint64_t end, pos;
	size_t found = 0;
	char last;

	if (b->size == 0 || n == 0 || byte_at(b, b->size - 1, &last) < 0)
		return 0;
	/* A final newline ends the last line; it does not start another. */
	end = last == '\n' ? b->size - 1 : b->size;
	pos = end;
	while (found < n) {
		size_t blk;
		ssize_t got;

		if (pos == 0) {
			offsets[n - 1 - found++] = 0;
			break;
		}
		blk = pos > TAIL_BLOCK ? TAIL_BLOCK : (size_t)pos;
		got = pread(b->fd, b->scan, blk, (off_t)(pos - blk));
		if (got != (ssize_t)blk)
			return 0;
		for (size_t i = blk; i-- > 0 && found < n;) {
			if (b->scan[i] == '\n')
				offsets[n - 1 - found++] = pos - blk + i + 1;
		}
		pos -= blk;
	}
	memmove(offsets, offsets + (n - found), found * sizeof(*offsets));
	return found;
}

size_t
dk_log_time_prefix(const char *line, size_t len)
{
	const char *sp;

	if (len <= 20 || line[4] != '-' || line[7] != '-' || line[10] != 'T')
		return 0;
	if (!(sp = memchr(line, ' ', len > 40 ? 40 : len)))
		return 0;
	return (size_t)(sp - line) + 1;
}
