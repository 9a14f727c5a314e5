#ifndef DISKOPS_MODEL_JSON_H
#define DISKOPS_MODEL_JSON_H

#include <jansson.h>

#include "diskops/model.h"
#include "diskops/store_serve.h"

/*
 * The one JSON shape of each row, shared by `--json` and the REST API so scripts see
 * the same field names everywhere (documented in README "JSON fields"). Times are
 * RFC 3339 UTC strings or null. Each returns a new reference.
 */

json_t *dk_account_to_json(const dk_account *a);
json_t *dk_platform_to_json(const dk_platform *p);
json_t *dk_publication_to_json(const dk_publication *p);
json_t *dk_event_to_json(const dk_event *e);

/* The serve rows (core/model_json_serve.c); a webhook never shows its secret. */
json_t *dk_webhook_to_json(const dk_webhook *w);
json_t *dk_delivery_to_json(const dk_delivery *d);
json_t *dk_worker_to_json(const dk_worker *w);
json_t *dk_job_to_json(const dk_job *j);

/* A JSON time value: RFC 3339 string, or null for 0. */
json_t *dk_json_time(int64_t t);
/* json_string, or null for NULL. */
json_t *dk_json_str(const char *s);

#endif
