#ifndef DISKOPS_STORE_ALERT_H
#define DISKOPS_STORE_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/store.h"

/*
 * Reading the alert table (schema v2). Raising, acknowledging and resolving alerts are
 * the alert rules' business (issue 6); the console only shows what is there.
 */

typedef struct {
	int64_t id;
	char *account_id;
	char *rule;
	char *subject;
	char *severity;         /* info | warning | error | critical */
	char *state;            /* open | acked | resolved */
	int64_t first_seen;
	int64_t last_seen;
	int64_t resolved_at;
	char *acked_by;
	char *detail;
} dk_alert;

DK_DEFINE_LIST(dk_alert)

void dk_alert_clear(dk_alert *a);
void dk_alert_list_free(dk_alert_list *l);

/* The account's alerts, open and acked first, then newest last_seen; resolved ones only
 * when include_resolved. limit <= 0: 200. */
int dk_store_alert_list(dk_store *store, dk_alert_list **out, const char *account_id,
			bool include_resolved, int limit);

#endif
