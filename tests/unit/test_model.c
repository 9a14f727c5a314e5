#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/model.h"

#define Q DK_PUB_QUEUED
#define AU DK_PUB_AWAITING_UPLOAD
#define V DK_PUB_VERIFYING
#define P DK_PUB_PUBLISHED
#define F DK_PUB_FAILED
#define R DK_PUB_RETIRED
#define X DK_PUB_PURGED

/* DESIGN §3, written out independently of core/model.c: expected[from][to]. */
static const bool expected[DK_PUB__COUNT][DK_PUB__COUNT] = {
	/*            Q      AU     V      P      F      R      X   */
	[Q]  = { false, true,  true,  false, true,  false, false },
	[AU] = { false, false, true,  false, true,  false, false },
	[V]  = { false, false, true,  true,  true,  true,  false },
	[P]  = { false, false, false, false, false, true,  false },
	[F]  = { false, false, true,  false, false, true,  false },
	[R]  = { false, false, false, true,  false, false, true  },
	[X]  = { false, false, false, false, false, false, false },
};

static void
every_transition_matches_the_design(void **state)
{
	int legal = 0;

	(void)state;
	for (int from = 0; from < DK_PUB__COUNT; from++) {
		for (int to = 0; to < DK_PUB__COUNT; to++) {
			bool got = dk_pub_transition_allowed((dk_pub_status)from, (dk_pub_status)to);

			if (got != expected[from][to])
				fail_msg("%s -> %s: allowed=%d, DESIGN §3 says %d",
					 dk_pub_status_name((dk_pub_status)from),
					 dk_pub_status_name((dk_pub_status)to), got, expected[from][to]);
			legal += got;
		}
	}
	assert_int_equal(legal, 14);
}

static void
named_edges_of_the_diagram(void **state)
{
	(void)state;
	/* the ones an operator relies on by name */
	assert_true(dk_pub_transition_allowed(R, P));   /* reactivate (rollback/promote) */
	assert_true(dk_pub_transition_allowed(F, V));   /* retry */
	assert_true(dk_pub_transition_allowed(V, V));   /* retry of an interrupted attempt */
	assert_true(dk_pub_transition_allowed(F, R));   /* stuck cleanup */
	assert_true(dk_pub_transition_allowed(V, R));   /* stuck cleanup */
	assert_false(dk_pub_transition_allowed(P, P));  /* no silent no-op */
	assert_false(dk_pub_transition_allowed(P, X));  /* purge only after retire */
	assert_false(dk_pub_transition_allowed(Q, P));  /* never published unverified */
	assert_false(dk_pub_transition_allowed(AU, P));
	assert_false(dk_pub_transition_allowed(F, P));
	for (int to = 0; to < DK_PUB__COUNT; to++)
		assert_false(dk_pub_transition_allowed(X, (dk_pub_status)to));
}

static void
out_of_range_states_are_refused(void **state)
{
	(void)state;
	assert_false(dk_pub_transition_allowed(DK_PUB__COUNT, V));
	assert_false(dk_pub_transition_allowed(Q, DK_PUB__COUNT));
	assert_false(dk_pub_transition_allowed((dk_pub_status)-1, V));
	assert_false(dk_pub_transition_allowed(Q, (dk_pub_status)-1));
	assert_string_equal(dk_pub_status_name(DK_PUB__COUNT), "unknown");
	assert_string_equal(dk_pub_status_name((dk_pub_status)-1), "unknown");
}

static void
status_names_round_trip(void **state)
{
	static const char *const names[DK_PUB__COUNT] = {
		"queued", "awaiting_upload", "verifying", "published", "failed", "retired", "purged",
	};

	(void)state;
	for (int i = 0; i < DK_PUB__COUNT; i++) {
		dk_pub_status s = (dk_pub_status)-1;

		assert_string_equal(dk_pub_status_name((dk_pub_status)i), names[i]);
		assert_int_equal(dk_pub_status_parse(&s, names[i]), 0);
		assert_int_equal(s, i);
	}
}

static void
bad_status_names_are_invalid(void **state)
{
	static const char *const bad[] = { "publish", "Published", "PUBLISHED", " queued", "queued ",
					   "", "awaiting-upload", "purged\n" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dk_pub_status s = DK_PUB_RETIRED;

		dk_error_clear();
		assert_int_equal(dk_pub_status_parse(&s, bad[i]), DK_EINVALID);
		assert_int_equal(dk_error_last()->code, DK_EINVALID);
		assert_int_equal(s, DK_PUB_RETIRED);    /* untouched on error */
	}
	dk_pub_status_parse(&(dk_pub_status){ 0 }, "publish");
	/* The message names the bad value and lists the good ones. */
	assert_non_null(strstr(dk_error_last()->message, "\"publish\""));
	assert_non_null(strstr(dk_error_last()->message, "awaiting_upload"));
	assert_non_null(strstr(dk_error_last()->message, "purged"));
}

static void
null_status_name_is_invalid(void **state)
{
	dk_pub_status s = DK_PUB_RETIRED;

	(void)state;
	assert_int_equal(dk_pub_status_parse(&s, NULL), DK_EINVALID);
	assert_int_equal(s, DK_PUB_RETIRED);
}

static void
freeing_rows_and_lists(void **state)
{
	dk_publication_list *l = calloc(1, sizeof(*l));
	dk_platform *p = calloc(1, sizeof(*p));
	dk_event e = { 0 };

	(void)state;
	/* NULL is fine everywhere */
	dk_account_free(NULL);
	dk_platform_free(NULL);
	dk_publication_free(NULL);
	dk_event_free(NULL);
	dk_account_list_free(NULL);
	dk_platform_list_free(NULL);
	dk_publication_list_free(NULL);
	dk_event_list_free(NULL);
	/* owned strings are released (ASan reports a leak otherwise) and the row zeroed */
	l->items = calloc(2, sizeof(*l->items));
	l->count = 2;
	l->items[0].id = strdup("x");
	l->items[1].payload = strdup("{}");
	l->items[1].platform_name = strdup("p");
	dk_publication_list_free(l);
	p->name = strdup("n");
	p->default_git_sha = strdup("abc");
	p->trusted_root = strdup("/r.json");
	dk_platform_free(p);
	e.kind = strdup("k");
	e.payload = strdup("{}");
	dk_event_clear(&e);
	assert_null(e.kind);
	assert_null(e.payload);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_transition_matches_the_design),
		cmocka_unit_test(named_edges_of_the_diagram),
		cmocka_unit_test(out_of_range_states_are_refused),
		cmocka_unit_test(status_names_round_trip),
		cmocka_unit_test(bad_status_names_are_invalid),
		cmocka_unit_test(null_status_name_is_invalid),
		cmocka_unit_test(freeing_rows_and_lists),
	};
	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
