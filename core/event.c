#include <stdio.h>
#include <stdlib.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"

void
dk_event_emit(dk_store *store, const char *account_id, const char *kind, const char *severity,
	      const char *source, const char *subject_id, json_t *payload)
{
	dk_event e = {
		.account_id = (char *)account_id,
		.kind = (char *)kind,
		.severity = (char *)severity,
		.source = (char *)source,
		.subject_id = (char *)subject_id,
	};
	/* The caller's error state must survive: emitting often happens on a failure path. */
	dk_error saved = *dk_error_last();
	char saved_msg[1024];

	snprintf(saved_msg, sizeof(saved_msg), "%s", saved.message);
	e.payload = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (dk_store_event_insert(store, NULL, &e) < 0)
		dk_log_error("msg=\"event not recorded\" kind=%s subject=%s error=\"%s\"", kind,
			     subject_id ? subject_id : "-", dk_error_last()->message);
	free(e.payload);
	if (saved.code)
		dk_error_set(saved.code, "%s", saved_msg);
	else
		dk_error_clear();
}

int64_t
dk_event_newest(dk_store *store, const char *account_id, const char *kind_prefix)
{
	dk_event_filter f = { .account_id = account_id, .kind_prefix = kind_prefix, .limit = 1 };
	dk_event_list *l = NULL;
	int64_t t = 0;

	if (dk_store_event_list(store, &l, &f) == 0 && l->count > 0)
		t = l->items[0].created_at;
	dk_event_list_free(l);
	return t;
}
