#ifndef DISKOPS_EVENT_H
#define DISKOPS_EVENT_H

#include <stdint.h>

#include <jansson.h>

#include "diskops/store.h"

/*
 * Events (system.disk_image_*, system.node_platform_*, …): the audit trail operators
 * read in the console and with `diskops events`.
 */

/*
 * Records an event. Never fails its caller: a failed insert is logged and dropped, so an
 * audit hiccup cannot undo the action it describes. `payload` is borrowed (may be NULL).
 * Severity: debug | info | warning | error | critical.
 */
void dk_event_emit(dk_store *store, const char *account_id, const char *kind,
		   const char *severity, const char *source, const char *subject_id,
		   json_t *payload);

/* Reading events is dk_store_event_list (store.h). */

/* When the newest event whose kind starts with kind_prefix was recorded, in the account
 * (NULL: any account); 0 when there is none or it cannot be read. */
int64_t dk_event_newest(dk_store *store, const char *account_id, const char *kind_prefix);

#endif
