/* Reading alerts: scoped to the account, open before acked, resolved only when asked. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "storeutil.h"
#include "diskops/store_alert.h"

#define F ((su_fixture *)*state)

static void
insert(su_fixture *f, const char *account_id, const char *rule, const char *state, int last_seen)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO alert (account_id, rule, subject, severity, state,"
		 " first_seen, last_seen, detail) VALUES ('%s', '%s', 'p1', 'error', '%s', 1, %d,"
		 " 'why')", account_id, rule, state, last_seen);
	assert_int_equal(su_sql_exec(f->path, sql), 0);
}

static void
alerts_are_listed_open_first_per_account(void **state)
{
	dk_alert_list *l;

	insert(F, F->a->id, "acked_one", "acked", 50);
	insert(F, F->a->id, "open_old", "open", 10);
	insert(F, F->a->id, "open_new", "open", 20);
	insert(F, F->a->id, "gone", "resolved", 99);
	insert(F, F->b->id, "other_account", "open", 30);

	assert_int_equal(dk_store_alert_list(F->s, &l, F->a->id, false, 0), 0);
	assert_int_equal(l->count, 3);
	assert_string_equal(l->items[0].rule, "open_new");
	assert_string_equal(l->items[1].rule, "open_old");
	assert_string_equal(l->items[2].rule, "acked_one");
	assert_string_equal(l->items[0].detail, "why");
	assert_int_equal(l->items[0].last_seen, 20);
	dk_alert_list_free(l);

	assert_int_equal(dk_store_alert_list(F->s, &l, F->a->id, true, 2), 0);
	assert_int_equal(l->count, 2);
	dk_alert_list_free(l);
	assert_int_equal(dk_store_alert_list(F->s, &l, F->a->id, true, 0), 0);
	assert_int_equal(l->count, 4);
	assert_string_equal(l->items[3].rule, "gone");
	dk_alert_list_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(alerts_are_listed_open_first_per_account,
						su_setup, su_teardown),
	};
	return cmocka_run_group_tests_name("store_alert", tests, NULL, NULL);
}
