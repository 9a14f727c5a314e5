#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cli/cli.h"

void
cli_print_json(json_t *value)
{
	json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(value);
}

struct table {
	int ncols;
	size_t nrows;
	char **cells;           /* row-major, header row first */
};

struct table *
table_new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	table_add(t, headers);
	return t;
}

void
table_add(struct table *t, const char *const *values)
{
	char **cells;

	if (!t)
		return;
	cells = realloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(*cells));
	if (!cells)
		return;
	t->cells = cells;
	for (int i = 0; i < t->ncols; i++)
		cells[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(values[i] ? values[i] : "-");
	t->nrows++;
}

/* Display width of UTF-8 text (names and regexps may carry non-ASCII). */
static int
text_width(const char *s)
{
	mbstate_t st;
	int w = 0;

	memset(&st, 0, sizeof(st));
	while (*s) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			w++;
			s++;
			memset(&st, 0, sizeof(st));
			continue;
		}
		w += wcwidth(wc) > 0 ? wcwidth(wc) : 0;
		s += n;
	}
	return w;
}

void
table_print(struct table *t, FILE *out)
{
	int *width;

	if (!t || !(width = calloc((size_t)t->ncols, sizeof(*width))))
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			int w = text_width(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];

			fputs(cell, out);
			if (c < t->ncols - 1)
				fprintf(out, "%*s", width[c] - text_width(cell) + 2, "");
		}
		fputc('\n', out);
	}
	free(width);
}

void
table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *
cli_human_size(char *buf, long long bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes <= 0) {
		snprintf(buf, 16, "-");
		return buf;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, 16, "%d B", (int)bytes);
	else
		snprintf(buf, 16, "%.1f %s", v, units[u]);
	return buf;
}

const char *
cli_short(char *buf, const char *s, size_t n)
{
	if (!s || !*s) {
		snprintf(buf, n + 1, "-");
		return buf;
	}
	snprintf(buf, n + 1, "%s", s);
	return buf;
}

void
cli_kv(FILE *out, const char *key, const char *value)
{
	fprintf(out, "%-22s %s\n", key, value && *value ? value : "-");
}
