#ifndef DISKOPS_VIEWS_LOG_TEXT_H
#define DISKOPS_VIEWS_LOG_TEXT_H

/* One line of a job log, shaped for the screen (views/log_text.c). */

#include <stdbool.h>
#include <stddef.h>

#include "diskops/logbuf.h"

#define PLAIN_MAX (DK_LOGBUF_LINE_MAX + 64)

struct shown {
	char text[PLAIN_MAX];           /* escapes removed, tabs expanded */
	int attr[PLAIN_MAX];            /* per byte */
	size_t len;
};

/* The raw line p[0..n) (full bytes long before the buffer's cut) as the operator sees it;
 * stamps keeps Gitea's leading timestamp. */
void log_text_shape(struct shown *o, const char *p, size_t n, size_t full, bool stamps);
/* Marks every case-insensitive occurrence of pat. */
void log_text_highlight(struct shown *o, const char *pat);
/* Screen rows the line takes when wrapped at width columns. */
int log_text_rows(const struct shown *o, int width);
/* Draws the line from (y, x0), at most max rows when wrapping; returns the rows used. */
int log_text_draw(const struct shown *o, int y, int x0, int width, int max, bool wrap);

#endif
