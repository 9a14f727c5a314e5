/* The log view's file-backed line index: lines back by number, the end without the index,
 * cut lines, growth and truncation of a followed file, the bound of a cache file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/logbuf.h"

static void
index_all(dk_logbuf *b)
{
	bool done = false;

	/* Small slices: the index must come out the same however it is cut. */
	while (!done)
		assert_int_equal(dk_logbuf_index_step(b, 777, &done), 0);
}

static void
assert_line(dk_logbuf *b, uint64_t i, const char *want)
{
	const char *p;
	size_t n, full;

	assert_int_equal(dk_logbuf_line(b, i, &p, &n, &full), 0);
	if (n != strlen(want) || memcmp(p, want, n) != 0)
		fail_msg("line %llu: \"%.*s\", want \"%s\"", (unsigned long long)i, (int)n, p, want);
	assert_int_equal(full, n);
}

static void
lines_by_number_in_any_order(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "a.log"), want[64];
	size_t cap = 2000 * 32, used = 0;
	char *text = malloc(cap);
	dk_logbuf *b = NULL;

	(void)state;
	for (int i = 0; i < 2000; i++)
		used += (size_t)snprintf(text + used, cap - used, "line %d%s\n", i, i % 7 ? "" : " x");
	assert_int_equal(tu_write_file(path, text, 0644), 0);
	assert_int_equal(dk_logbuf_open(&b, path), 0);
	assert_false(dk_logbuf_indexed(b));
	index_all(b);
	assert_int_equal(dk_logbuf_lines(b), 2000);
	for (int i = 1999; i >= 0; i -= 97) {
		snprintf(want, sizeof(want), "line %d%s", i, i % 7 ? "" : " x");
		assert_line(b, (uint64_t)i, want);
	}
	assert_line(b, 0, "line 0 x");
	assert_line(b, 256, "line 256");
	assert_line(b, 255, "line 255");
	assert_int_equal(dk_logbuf_line(b, 2000, &(const char *){ NULL }, &(size_t){ 0 },
					 &(size_t){ 0 }), DK_ENOTFOUND);
	dk_logbuf_free(b);
	free(text);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void
tail_without_the_index(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "t.log");
	uint64_t offs[8];
	dk_logbuf *b = NULL;
	const char *p;
	size_t n, full, got;

	(void)state;
	assert_int_equal(tu_write_file(path, "one\ntwo\n\nfour\nfive", 0644), 0);
	assert_int_equal(dk_logbuf_open(&b, path), 0);
	got = dk_logbuf_tail(b, offs, 3);
	assert_int_equal(got, 3);
	assert_int_equal(dk_logbuf_line_at(b, offs[0], &p, &n, &full), 0);
	assert_int_equal(n, 0);         /* the empty third line */
	assert_int_equal(dk_logbuf_line_at(b, offs[2], &p, &n, &full), 0);
	assert_memory_equal(p, "five", 4);
	assert_int_equal(n, 4);
	/* More asked than there are: all of them, from the first. */
	assert_int_equal(dk_logbuf_tail(b, offs, 8), 5);
	assert_int_equal(offs[0], 0);
	index_all(b);
	/* The unfinished last line counts once the index reaches it. */
	assert_int_equal(dk_logbuf_lines(b), 5);
	assert_line(b, 4, "five");
	dk_logbuf_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void
a_long_line_is_cut_and_measured(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "long.log");
	size_t big = DK_LOGBUF_LINE_MAX * 3 + 5;
	char *text = malloc(big + 16);
	dk_logbuf *b = NULL;
	const char *p;
	size_t n, full;

	(void)state;
	memset(text, 'x', big);
	memcpy(text + big, "\nafter\n", 8);
	assert_int_equal(tu_write_file(path, text, 0644), 0);
	assert_int_equal(dk_logbuf_open(&b, path), 0);
	index_all(b);
	assert_int_equal(dk_logbuf_lines(b), 2);
	assert_int_equal(dk_logbuf_line(b, 0, &p, &n, &full), 0);
	assert_int_equal(n, DK_LOGBUF_LINE_MAX);
	assert_int_equal(full, big);
	assert_line(b, 1, "after");
	dk_logbuf_free(b);
	free(text);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void
a_followed_file_grows_and_restarts(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "f.log");
	dk_logbuf *b = NULL;
	bool grew;
	FILE *f;

	(void)state;
	assert_int_equal(tu_write_file(path, "a\nb\n", 0644), 0);
	assert_int_equal(dk_logbuf_open(&b, path), 0);
	index_all(b);
	assert_int_equal(dk_logbuf_sync(b, &grew), 0);
	assert_false(grew);
	f = fopen(path, "a");
	fputs("c\n", f);
	fclose(f);
	assert_int_equal(dk_logbuf_sync(b, &grew), 0);
	assert_true(grew);
	index_all(b);
	assert_int_equal(dk_logbuf_lines(b), 3);
	assert_line(b, 2, "c");
	/* Rewritten shorter: read again from the start, not stale offsets. */
	assert_int_equal(tu_write_file(path, "new\n", 0644), 0);
	assert_int_equal(dk_logbuf_sync(b, &grew), 0);
	assert_true(grew);
	index_all(b);
	assert_int_equal(dk_logbuf_lines(b), 1);
	assert_line(b, 0, "new");
	/* A viewed file is the operator's: never written to. */
	assert_int_equal(dk_logbuf_append(b, "x\n", 2), DK_EINVALID);
	dk_logbuf_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void
a_cache_keeps_its_bound_and_counts_the_loss(void **state)
{
	char *dir = tu_mkdtemp(), *cache = tu_path(dir, "cache"), line[64], want[64];
	dk_logbuf *b = NULL;
	uint64_t total = 0;

	(void)state;
	assert_int_equal(dk_logbuf_create(&b, cache, 64 * 1024), 0);
	for (int i = 0; i < 10000; i++) {
		int n = snprintf(line, sizeof(line), "output line %05d\n", i);

		assert_int_equal(dk_logbuf_append(b, line, (size_t)n), 0);
		total++;
		assert_true(dk_logbuf_size(b) <= 64 * 1024);
	}
	/* Nothing silently lost: kept + dropped is everything, the newest is last. */
	assert_true(dk_logbuf_dropped(b) > 0);
	assert_int_equal(dk_logbuf_lines(b) + dk_logbuf_dropped(b), total);
	snprintf(want, sizeof(want), "output line %05d", 9999);
	assert_line(b, dk_logbuf_lines(b) - 1, want);
	snprintf(want, sizeof(want), "output line %05llu", (unsigned long long)dk_logbuf_dropped(b));
	assert_line(b, 0, want);
	dk_logbuf_free(b);
	tu_rmrf(dir);
	free(cache);
	free(dir);
}

static void
gitea_time_prefix(void **state)
{
	const char *l = "2026-11-23T10:00:00.1234567Z hello";

	(void)state;
	assert_int_equal(dk_log_time_prefix(l, strlen(l)), 29);
	assert_int_equal(dk_log_time_prefix("hello world, no time here", 25), 0);
	assert_int_equal(dk_log_time_prefix("short", 5), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_by_number_in_any_order),
		cmocka_unit_test(tail_without_the_index),
		cmocka_unit_test(a_long_line_is_cut_and_measured),
		cmocka_unit_test(a_followed_file_grows_and_restarts),
		cmocka_unit_test(a_cache_keeps_its_bound_and_counts_the_loss),
		cmocka_unit_test(gitea_time_prefix),
	};
	return cmocka_run_group_tests_name("logbuf", tests, NULL, NULL);
}
