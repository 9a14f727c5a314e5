#ifndef DISKOPS_STORE_ALERT_RULES_H
#define DISKOPS_STORE_ALERT_RULES_H

/* The alert rules' queries, used by core/agent.c only. */

#include <stddef.h>
#include <stdint.h>

#include "diskops/store.h"

typedef struct {
	char *subject;
	char *detail;
} dk_alert_candidate;

typedef struct {
	dk_alert_candidate *items;
	size_t count;
} dk_alert_candidate_list;

size_t dk_store__alert_rule_count(void);
const char *dk_store__alert_rule_name(size_t i, const char **severity);
/* Subjects for which rule i holds now; threshold in the rule's unit (minutes or count). */
int dk_store__alert_candidates(dk_store *store, dk_alert_candidate_list *out, size_t rule,
			       const char *account_id, int64_t now, int64_t threshold);
void dk_store__alert_candidates_clear(dk_alert_candidate_list *l);

#endif
