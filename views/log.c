/*
 * A job log (or a local file), drawn from a file-backed line index (core/logbuf.c): only
 * the lines on screen are ever read, so a 1 GiB log scrolls like a small one. Follow
 * keeps the end in sight; `/` with n/N highlights hits; `f` shows only matching lines;
 * `w` wraps; `t` shows Gitea's timestamps; ANSI SGR colours become curses attributes
 * (none at all under NO_COLOR). Indexing and filtering run a slice per loop turn, so
 * keys are answered while a big file is still being scanned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <curses.h>

#include "ci.h"
#include "console.h"
#include "diskops/error.h"
#include "diskops/logbuf.h"
#include "log_text.h"

#define INDEX_SLICE (48u << 20)         /* bytes indexed per loop turn */
#define FILTER_SLICE 100000             /* lines filtered per loop turn */
#define FILTER_MAX 4000000              /* matching lines remembered (32 MiB) */
#define CACHE_MAX (512ull << 20)        /* a job log kept beyond this drops its older half */
#define FOLLOW_FILE_MS 1000
#define MAX_LIVE 8

struct logv {
	struct view *v;
	dk_logbuf *buf;
	bool is_job;
	char repo[160];
	long long job_id;
	char name[160];
	bool follow, wrap, stamps;
	uint64_t top;                   /* first display line on screen */
	/* filter: the display lines are the matching lines */
	bool filter;
	char fpat[256];
	uint64_t *match;
	size_t nmatch, capm;
	uint64_t fscan;                 /* lines looked at */
	bool fcapped;
	bool has_hit;
	uint64_t hit;                   /* the line of the last search hit */
	char state[320];                /* what the job or file is doing */
	bool finished;
	bool index_started;             /* a local file is indexed once its first screen is out */
};

static struct logv *live[MAX_LIVE];
static struct logv *opening;            /* handed to rows() by the open functions */
static bool work_posted, timer_set;

/* --- the buffer as display lines (all lines, or the matching ones) --- */

static uint64_t
count(const struct logv *l)
{
	return l->filter ? l->nmatch : dk_logbuf_lines(l->buf);
}

static uint64_t
line_of(const struct logv *l, uint64_t d)
{
	return l->filter ? l->match[d] : d;
}

static int
body_height(void)
{
	/* As the engine's: title, header, status bar and bottom line take four rows. */
	return LINES - 4 > 1 ? LINES - 4 : 1;
}

static int
text_width_cols(void)
{
	return COLS - 2 > 10 ? COLS - 2 : 10;
}

static int
shown_line(struct logv *l, uint64_t line, struct shown *o)
{
	const char *p;
	size_t n, full;
	int rc;

	if ((rc = dk_logbuf_line(l->buf, line, &p, &n, &full)) < 0)
		return rc;
	log_text_shape(o, p, n, full, l->stamps);
	return 0;
}

/* The top line that puts the end of the log at the bottom of the screen. */
static uint64_t
end_top(struct logv *l)
{
	uint64_t n = count(l);
	int h = body_height(), used = 0;
	static struct shown o;

	if (!l->wrap)
		return n > (uint64_t)h ? n - (uint64_t)h : 0;
	for (uint64_t d = n; d > 0; d--) {
		if (shown_line(l, line_of(l, d - 1), &o) < 0)
			return d - 1;
		used += log_text_rows(&o, text_width_cols());
		if (used > h)
			return d;
	}
	return 0;
}

/* The title's "line/lines" and the engine's idea of the view's size. */
static void
sync_position(struct logv *l)
{
	uint64_t n = count(l), bottom;

	if (l->follow && dk_logbuf_indexed(l->buf))
		l->top = end_top(l);
	if (l->top >= n)
		l->top = n ? n - 1 : 0;
	bottom = l->top + (uint64_t)body_height();
	l->v->nrows = (size_t)n;
	l->v->cur = (size_t)(bottom > n ? (n ? n - 1 : 0) : bottom - 1);
}

/* --- incremental work: indexing, filtering, following a file --- */

static bool
matches(struct logv *l, uint64_t line, const char *pat)
{
	static struct shown o;

	return shown_line(l, line, &o) == 0 && strcasestr(o.text, pat) != NULL;
}

static bool
filter_step(struct logv *l)
{
	uint64_t lines = dk_logbuf_lines(l->buf), stop = l->fscan + FILTER_SLICE;

	if (!l->filter || l->fcapped)
		return false;
	if (stop > lines)
		stop = lines;
	for (; l->fscan < stop; l->fscan++) {
		if (!matches(l, l->fscan, l->fpat))
			continue;
		if (l->nmatch == FILTER_MAX) {
			l->fcapped = true;
			break;
		}
		if (l->nmatch == l->capm) {
			size_t cap = l->capm ? l->capm * 2 : 1024;
			uint64_t *m = realloc(l->match, cap * sizeof(*m));

			if (!m) {
				l->fcapped = true;
				break;
			}
			l->match = m;
			l->capm = cap;
		}
		l->match[l->nmatch++] = l->fscan;
	}
	return !l->fcapped && l->fscan < dk_logbuf_lines(l->buf);
}

static void schedule(struct console *c);

static void
work(void *arg)
{
	struct console *c = arg;
	bool more = false, done;

	work_posted = false;
	for (int i = 0; i < MAX_LIVE; i++) {
		struct logv *l = live[i];

		if (!l)
			continue;
		if (l->index_started && !dk_logbuf_indexed(l->buf)) {
			if (dk_logbuf_index_step(l->buf, INDEX_SLICE, &done) < 0) {
				snprintf(l->state, sizeof(l->state), "%s", dk_error_last()->message);
				continue;
			}
			more |= !done;
		}
		more |= filter_step(l);
		sync_position(l);
	}
	console_redraw(c);
	if (more)
		schedule(c);
}

static void
schedule(struct console *c)
{
	if (work_posted)
		return;
	work_posted = true;
	console_later(c, work, c);
}

static void
follow_files(void *arg)
{
	struct console *c = arg;
	bool grew;

	for (int i = 0; i < MAX_LIVE; i++) {
		struct logv *l = live[i];

		if (l && !l->index_started) {
			l->index_started = true;
			schedule(c);
		}
		if (!l || l->is_job || dk_logbuf_sync(l->buf, &grew) < 0 || !grew)
			continue;
		if (dk_logbuf_size(l->buf) < dk_logbuf_scanned(l->buf) || dk_logbuf_lines(l->buf) == 0) {
			/* Rewritten from scratch: so is the filter. */
			l->nmatch = 0;
			l->fscan = 0;
		}
		schedule(c);
	}
}

void
log_view_feed(struct console *c, struct ci_log *msg)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		struct logv *l = live[i];

		if (!l || !l->is_job || l->job_id != msg->job_id || strcmp(l->repo, msg->repo) != 0)
			continue;
		if (msg->error[0])
			snprintf(l->state, sizeof(l->state), "Gitea: %s", msg->error);
		else if (msg->len && dk_logbuf_append(l->buf, msg->data, msg->len) < 0)
			snprintf(l->state, sizeof(l->state), "%s", dk_error_last()->message);
		else if (msg->state == DK_GITEA_LOG_NOT_STARTED)
			snprintf(l->state, sizeof(l->state), "waiting for a runner to pick the job up");
		else if (msg->state == DK_GITEA_LOG_EXPIRED)
			snprintf(l->state, sizeof(l->state), "the logs were cleaned up (LOG_RETENTION_DAYS)");
		else if (msg->state == DK_GITEA_LOG_SHRUNK)
			snprintf(l->state, sizeof(l->state), "the log shrank on the server; showing new bytes");
		else if (msg->finished)
			snprintf(l->state, sizeof(l->state), "job finished: %s",
				 *msg->conclusion ? msg->conclusion : "done");
		else
			snprintf(l->state, sizeof(l->state), "running");
		l->finished = msg->finished;
		filter_step(l);
		sync_position(l);
		schedule(c);
	}
	free(msg->data);
	free(msg);
}

/* --- the view --- */

static struct logv *
get(struct view *v)
{
	if (!v->priv && opening) {
		v->priv = opening;
		opening->v = v;
		opening = NULL;
	}
	return v->priv;
}

static size_t
rows(struct view *v, const struct console_snapshot *s)
{
	struct logv *l = get(v);

	(void)s;
	if (!l)
		return 0;
	sync_position(l);
	return v->nrows;
}

static void
cells(struct view *v, const struct console_snapshot *s, size_t row, struct row *out)
{
	(void)v;
	(void)s;
	(void)row;
	(void)out;
}

/* No row ids: the engine would otherwise look through a million lines on every reload. */
static const char *
row_id(struct view *v, const struct console_snapshot *s, size_t row)
{
	(void)v;
	(void)s;
	(void)row;
	return NULL;
}

static const char *
human_count(char *buf, size_t len, uint64_t n)
{
	char digits[32];
	size_t k, o = 0, nd = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);

	for (k = 0; k < nd && o + 2 < len; k++) {
		buf[o++] = digits[k];
		if ((nd - k - 1) % 3 == 0 && k + 1 < nd)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

/* printf at the end of buf, never past it (the parts can outgrow the line together). */
static void
add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

static void
paint_header(struct logv *l, int y)
{
	char left[512], right[128], a[32], b[32], d[32];
	const char *sep = term_glyph(G_SEP);
	uint64_t n = count(l), size = dk_logbuf_size(l->buf);
	size_t used = 0;
	int rw;

	left[0] = '\0';
	if (l->follow)
		add(left, sizeof(left), &used, "%s", l->finished ? "at the end"
		    : "following (scroll up pauses)");
	else
		add(left, sizeof(left), &used, "paused (G or F follows)");
	if (dk_logbuf_dropped(l->buf))
		/* Never a silent gap: the loss is on screen while the log is. */
		add(left, sizeof(left), &used, " %s %s lines truncated (the console keeps %llu MiB)",
		    sep, human_count(d, sizeof(d), dk_logbuf_dropped(l->buf)),
		    (unsigned long long)(CACHE_MAX >> 20));
	if (l->filter)
		add(left, sizeof(left), &used, " %s filter /%s: %s%s", sep, l->fpat,
		    human_count(a, sizeof(a), l->nmatch),
		    l->fcapped ? " (first ones only)" : " matching lines");
	if (l->wrap)
		add(left, sizeof(left), &used, " %s wrap", sep);
	if (l->stamps)
		add(left, sizeof(left), &used, " %s timestamps", sep);
	if (l->state[0])
		add(left, sizeof(left), &used, " %s %s", sep, l->state);
	if (!dk_logbuf_indexed(l->buf))
		snprintf(right, sizeof(right), "indexing %d%% ",
			 (int)(size ? dk_logbuf_scanned(l->buf) * 100 / size : 100));
	else
		snprintf(right, sizeof(right), "lines %s-%s of %s ",
			 human_count(a, sizeof(a), n ? l->top + 1 : 0),
			 human_count(b, sizeof(b), n ? (uint64_t)l->v->cur + 1 : 0),
			 human_count(d, sizeof(d), n));
	rw = (int)strlen(right);
	attrset(A_NORMAL);
	move(y, 0);
	clrtoeol();
	draw_text(y, 1, COLS - rw - 3, left, term_attr(ST_DIM));
	draw_text(y, COLS - rw - 1, rw, right, term_attr(ST_DIM));
}

static void
paint_lines_from(struct logv *l, int y0, int h)
{
	static struct shown o;
	uint64_t n = count(l);
	int y = 0, width = text_width_cols();

	for (uint64_t d = l->top; d < n && y < h; d++) {
		if (shown_line(l, line_of(l, d), &o) < 0)
			break;
		if (l->fpat[0] || l->v->search[0])
			log_text_highlight(&o, l->v->search[0] ? l->v->search : l->fpat);
		if (l->has_hit && line_of(l, d) == l->hit) {
			/* The current hit's line is marked in the margin. */
			attrset(term_attr(ST_MATCH));
			mvaddstr(y0 + y, 0, term_glyph(G_ARROW));
		}
		y += log_text_draw(&o, y0 + y, 1, width, h - y, l->wrap);
	}
}

/* Before the index reaches the end: the last screen, read backwards from the end. */
static void
paint_tail(struct logv *l, int y0, int h)
{
	static struct shown o;
	uint64_t offs[256];
	size_t got = dk_logbuf_tail(l->buf, offs, (size_t)(h < 256 ? h : 256));
	int y = 0, width = text_width_cols();

	for (size_t k = 0; k < got && y < h; k++) {
		const char *p;
		size_t n, full;

		if (dk_logbuf_line_at(l->buf, offs[k], &p, &n, &full) < 0)
			break;
		log_text_shape(&o, p, n, full, l->stamps);
		y += log_text_draw(&o, y0 + y, 1, width, l->wrap ? 1 : h - y, false);
	}
}

static void
paint(struct view *v, struct console *c, int y0, int height)
{
	struct logv *l = get(v);

	(void)c;
	if (!l)
		return;
	paint_header(l, y0);
	if (l->follow && !l->filter && !dk_logbuf_indexed(l->buf))
		paint_tail(l, y0 + 1, height - 1);
	else
		paint_lines_from(l, y0 + 1, height - 1);
	if (count(l) == 0)
		draw_text(y0 + 2, 2, COLS - 4, l->filter ? "(no line matches)" : l->is_job
			  ? "(no output yet)" : "(empty)", term_attr(ST_DIM));
}

static void
title(struct view *v, const struct console_snapshot *s, char *buf, size_t len)
{
	struct logv *l = get(v);

	(void)s;
	if (!l)
		snprintf(buf, len, "log");
	else if (l->is_job)
		snprintf(buf, len, "job %lld%s%s log", l->job_id, l->name[0] ? " " : "", l->name);
	else
		snprintf(buf, len, "%s", l->name);
}

static void
scroll_to(struct logv *l, int64_t to)
{
	uint64_t max = end_top(l);

	if (to < 0)
		to = 0;
	l->top = (uint64_t)to > max ? max : (uint64_t)to;
	l->follow = false;
}

/* n and N: the next line holding the search, from the current hit or the screen. */
static int
search(struct console *c, struct logv *l, int dir)
{
	const char *pat = l->v->search;
	uint64_t n = dk_logbuf_lines(l->buf), from, line;
	char a[32];

	if (!pat[0]) {
		console_message(c, ST_WARN, "no search yet: / starts one");
		return R_REDRAW;
	}
	if (!dk_logbuf_indexed(l->buf)) {
		console_message(c, ST_WARN, "still indexing the log: search in a moment");
		return R_REDRAW;
	}
	if (n == 0) {
		console_message(c, ST_WARN, "/%s: the log is empty", pat);
		return R_REDRAW;
	}
	if (l->filter) {
		/* Every line shown matches the filter; n/N walk them. */
		scroll_to(l, (int64_t)l->top + dir);
		return R_REDRAW;
	}
	/* From the last hit, else from the screen: its top line down, its bottom line up. */
	if (l->has_hit)
		from = dir > 0 ? (l->hit + 1) % n : (l->hit + n - 1) % n;
	else
		from = dir > 0 ? l->top : (uint64_t)l->v->cur;
	for (uint64_t k = 0; k < n; k++) {
		line = dir > 0 ? (from + k) % n : (from + n - k % n) % n;
		if (matches(l, line, pat)) {
			bool wrapped = dir > 0 ? line < from : line > from;

			l->has_hit = true;
			l->hit = line;
			/* The hit a third of the way down: context above, more below. */
			scroll_to(l, (int64_t)line - body_height() / 3);
			console_message(c, ST_NORMAL, "/%s: line %s%s", pat,
					human_count(a, sizeof(a), line + 1),
					wrapped ? " (search wrapped)" : "");
			return R_REDRAW;
		}
	}
	console_message(c, ST_WARN, "/%s: no match", pat);
	return R_REDRAW;
}

static int
toggle_filter(struct console *c, struct logv *l)
{
	if (l->filter) {
		l->filter = false;
		l->fpat[0] = '\0';
		l->top = l->has_hit ? l->hit : 0;
		console_message(c, ST_NORMAL, "filter off: every line");
		return R_REDRAW;
	}
	if (!l->v->search[0]) {
		console_message(c, ST_WARN, "f shows the lines matching a search: / first");
		return R_REDRAW;
	}
	snprintf(l->fpat, sizeof(l->fpat), "%s", l->v->search);
	l->filter = true;
	l->nmatch = 0;
	l->fscan = 0;
	l->fcapped = false;
	l->top = 0;
	filter_step(l);
	schedule(c);
	console_message(c, ST_NORMAL, "filter /%s: only matching lines (f again: all)", l->fpat);
	return R_REDRAW;
}

static int
request(struct view *v, struct console *c, enum action a, const char *arg)
{
	struct logv *l = get(v);
	int64_t page = body_height() > 1 ? body_height() - 1 : 1;
	bool need_index = a == ACT_MOVE_UP || a == ACT_PAGE_UP || a == ACT_MOVE_DOWN ||
			  a == ACT_PAGE_DOWN;

	(void)arg;
	if (!l)
		return R_PASS;
	if (!l->index_started) {
		l->index_started = true;
		schedule(c);
	}
	if (need_index && l->follow && !dk_logbuf_indexed(l->buf)) {
		console_message(c, ST_WARN, "indexing the log (%d%%): scrolling in a moment",
				(int)(dk_logbuf_size(l->buf) ? dk_logbuf_scanned(l->buf) * 100 /
				      dk_logbuf_size(l->buf) : 100));
		return R_REDRAW;
	}
	/* Moving by hand makes the screen, not the last hit, where n and N start. */
	if (need_index || a == ACT_FIRST || a == ACT_LAST)
		l->has_hit = false;
	switch (a) {
	case ACT_MOVE_DOWN: scroll_to(l, (int64_t)l->top + 1); break;
	case ACT_MOVE_UP: scroll_to(l, (int64_t)l->top - 1); break;
	case ACT_PAGE_DOWN: scroll_to(l, (int64_t)l->top + page); break;
	case ACT_PAGE_UP: scroll_to(l, (int64_t)l->top - page); break;
	case ACT_FIRST: scroll_to(l, 0); break;
	case ACT_LAST:
		l->follow = true;
		break;
	case ACT_FOLLOW:
		l->follow = !l->follow;
		console_message(c, ST_NORMAL, l->follow ? "following the end of the log"
				: "follow paused");
		break;
	case ACT_SEARCH_NEXT: search(c, l, 1); break;
	case ACT_SEARCH_PREV: search(c, l, -1); break;
	case ACT_FILTER: toggle_filter(c, l); break;
	case ACT_WRAP:
		l->wrap = !l->wrap;
		console_message(c, ST_NORMAL, l->wrap ? "wrapping long lines" : "long lines cut at the edge");
		break;
	case ACT_TIMESTAMPS:
		l->stamps = !l->stamps;
		console_message(c, ST_NORMAL, l->stamps ? "showing timestamps" : "timestamps hidden");
		break;
	default:
		return R_PASS;
	}
	sync_position(l);
	return R_REDRAW;
}

static void
done(struct view *v)
{
	struct logv *l = v->priv;

	if (!l)
		return;
	for (int i = 0; i < MAX_LIVE; i++) {
		if (live[i] == l)
			live[i] = NULL;
	}
	if (l->is_job)
		console_ci_watch_log(v->console, NULL, 0, 0);
	dk_logbuf_free(l->buf);
	free(l->match);
	free(l);
}

const struct view_ops log_view = {
	.name = "log",
	.bit = VB_LOG,
	.rows = rows,
	.cells = cells,
	.row_id = row_id,
	.title = title,
	.request = request,
	.done = done,
	.paint = paint,
};

static int
push(struct console *c, struct logv *l)
{
	int slot = -1;

	for (int i = 0; i < MAX_LIVE; i++) {
		if (!live[i]) {
			slot = i;
			break;
		}
	}
	if (slot < 0) {
		console_message(c, ST_WARN, "%d logs are open already: Esc closes one", MAX_LIVE);
		dk_logbuf_free(l->buf);
		free(l);
		return R_REDRAW;
	}
	live[slot] = l;
	opening = l;
	if (!console_push(c, &log_view, l->name)) {
		live[slot] = NULL;
		opening = NULL;
		dk_logbuf_free(l->buf);
		free(l);
		return R_REDRAW;
	}
	if (!timer_set && console_every(c, FOLLOW_FILE_MS, follow_files, c) == 0)
		timer_set = true;
	/* A big file's index waits for the next tick (or a key): the last screen, read from
	 * the end, goes out first without the scan competing for the CPU. */
	if (l->is_job)
		l->index_started = true;
	return R_REDRAW;
}

bool
log_view_follows_job(const struct view *v)
{
	const struct logv *l = v->priv;

	return v->ops == &log_view && l && l->is_job;
}

int
log_open_file(struct console *c, const char *path)
{
	struct logv *l = calloc(1, sizeof(*l));

	if (!l) {
		console_message(c, ST_BAD, "out of memory");
		return R_REDRAW;
	}
	if (dk_logbuf_open(&l->buf, path) < 0) {
		console_message(c, ST_BAD, "%s", dk_error_last()->message);
		free(l);
		return R_REDRAW;
	}
	snprintf(l->name, sizeof(l->name), "%s", path);
	l->follow = true;
	return push(c, l);
}

int
log_open_job(struct console *c, const char *repo, long long job_id, const char *name)
{
	const char *why = console_ci_unavailable(c);
	struct logv *l;

	if (job_id <= 0) {
		console_message(c, ST_WARN, "usage: :logs JOB (a job id: Enter on a run lists them)");
		return R_REDRAW;
	}
	if (*why) {
		console_message(c, ST_WARN, "%s", why);
		return R_REDRAW;
	}
	if (!repo && !(repo = console_ci_default_repo(c))) {
		console_message(c, ST_WARN, "no platform has a build repo to read job %lld from",
				job_id);
		return R_REDRAW;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		console_message(c, ST_BAD, "out of memory");
		return R_REDRAW;
	}
	if (dk_logbuf_create(&l->buf, console_ci_cache_dir(c), CACHE_MAX) < 0) {
		console_message(c, ST_BAD, "%s", dk_error_last()->message);
		free(l);
		return R_REDRAW;
	}
	l->is_job = true;
	l->job_id = job_id;
	l->follow = true;
	snprintf(l->repo, sizeof(l->repo), "%s", repo);
	snprintf(l->name, sizeof(l->name), "%s", name ? name : "");
	snprintf(l->state, sizeof(l->state), "asking Gitea…");
	console_ci_watch_log(c, l->repo, job_id, 0);
	return push(c, l);
}
