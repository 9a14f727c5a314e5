#include <string.h>

#include "engine.h"

/* Case-insensitive, over what the row shows: what you see is what you can find. */
bool
view_row_matches(struct console *c, struct view *v, size_t row, const char *pattern)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	v->ops->cells(v, c->snap, row, &r);
	for (int i = 0; i < v->ops->ncolumns; i++) {
		if (strcasestr(r.cell[i].text, pattern))
			return true;
	}
	return false;
}

int
view_search(struct console *c, struct view *v, int direction)
{
	size_t n = v->nrows, found = n, nth = 0, total = 0;

	if (!v->search[0]) {
		console_message(c, ST_WARN, "no search yet: / starts one");
		return R_REDRAW;
	}
	for (size_t step = 1; step <= n; step++) {
		size_t r = direction > 0 ? (v->cur + step) % n : (v->cur + n - step % n) % n;

		if (view_row_matches(c, v, r, v->search)) {
			found = r;
			break;
		}
	}
	if (found == n) {
		console_message(c, ST_WARN, "/%s: no match", v->search);
		return R_REDRAW;
	}
	for (size_t r = 0; r < n; r++) {
		if (view_row_matches(c, v, r, v->search)) {
			total++;
			if (r <= found)
				nth++;
		}
	}
	view_move_to(c, v, (long)found);
	console_message(c, ST_NORMAL, "/%s: match %zu of %zu", v->search, nth, total);
	return R_REDRAW;
}
