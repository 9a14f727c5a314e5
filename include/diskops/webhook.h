#ifndef DISKOPS_WEBHOOK_H
#define DISKOPS_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diskops/secret.h"
#include "diskops/store_serve.h"

/*
 * Build webhooks (DESIGN §4): provisioning (core/webhook.c), the signature check
 * (core/webhook_signature.c) and the handling of one delivery as a function of the
 * request bytes (core/webhook_receive.c). The HTTP layer only moves bytes.
 */

#define DK_WEBHOOK_PATH "/api/v1/system/webhooks/disk_image/built/"
#define DK_WEBHOOK_BODY_MAX (1024 * 1024)
#define DK_WEBHOOK_LABEL_MAX 100

/* --- provisioning; secrets come back once in *out_secret (caller frees) --- */

int dk_webhook_create(dk_store *store, dk_secret_box *box, dk_webhook **out, char **out_secret,
		      const char *account_id, const char *label, const char *actor);
/* New secret; the old one stops working at once. Event system.disk_image_webhook_secret_rotated. */
int dk_webhook_rotate(dk_store *store, dk_secret_box *box, dk_webhook **out, char **out_secret,
		      const char *account_id, const char *id_or_label, const char *actor);
/* Status revoked: the URL answers unknown_webhook from now on. */
int dk_webhook_revoke(dk_store *store, dk_webhook **out, const char *account_id,
		      const char *id_or_label, const char *actor);
/* "<public_url without trailing slash>/api/v1/system/webhooks/disk_image/built/<id>". */
char *dk_webhook_url(const char *public_url, const char *id);

/* --- signature --- */

/*
 * Decodes an X-Powernode-Signature value: "sha256=<hex>", bare hex (either case) or
 * base64 (standard or URL alphabet, padded or not), each of exactly 32 bytes.
 * DK_EINVALID for anything else.
 */
int dk_webhook_signature_decode(unsigned char out[32], const char *header);
/*
 * True when the header is a valid HMAC-SHA256 of body keyed with secret; compared in
 * constant time. An empty body or a missing header never verifies. When expected_hex is
 * given it receives the lower-case hex of the right value (65 bytes), for the log.
 */
bool dk_webhook_signature_ok(const char *secret, const char *header, const void *body,
			     size_t len, char *expected_hex);

/* --- one delivery --- */

typedef struct {
	const char *webhook_id;         /* the last path segment, as sent */
	const char *signature;          /* X-Powernode-Signature, or NULL */
	const char *body;
	size_t body_len;
	const char *remote_addr;
	bool too_large;                 /* the body went past DK_WEBHOOK_BODY_MAX; not given */
	int64_t declared_size;          /* Content-Length when too_large */
} dk_webhook_request;

typedef struct {
	int http_status;
	const char *status;             /* queued, idempotent_hit, conflict, error */
	const char *reason;             /* NULL or unknown_webhook, bad_signature, … */
	char *publication_id;
	char *note;
	char *hint;                     /* unknown_platform */
	char *field;                    /* invalid_field */
	char *message;                  /* invalid_field, invalid_payload */
} dk_webhook_result;

/* {status, reason?, publication_id?, note?, hint?, field?, message?}; new reference. */
json_t *dk_webhook_result_json(const dk_webhook_result *r);
void dk_webhook_result_clear(dk_webhook_result *r);

/*
 * The whole delivery in one transaction of its own: checks in the order of DESIGN §4,
 * one webhook_delivery row whatever the outcome, and for an accepted one the
 * publication row and its ingest job, committed before returning. Returns 0 with *out
 * filled for every answer (errors included); negative only when the store failed, and
 * then nothing was written.
 */
int dk_webhook_handle(dk_store *store, dk_secret_box *box, const dk_webhook_request *req,
		      dk_webhook_result *out);

/*
 * The same in two steps, for the server's group commit: dk_webhook_check does every
 * read-only step (lookup, signature, JSON, platform) on any connection; dk_webhook_apply
 * writes inside the caller's transaction (it nests with dk_store_begin). A plan that is
 * not durable answers without waiting for its write (rejected requests: only the
 * delivery row and the received count are written).
 */
typedef struct dk_webhook_plan dk_webhook_plan;

int dk_webhook_check(dk_store *store, dk_secret_box *box, const dk_webhook_request *req,
		     dk_webhook_plan **out);
bool dk_webhook_plan_durable(const dk_webhook_plan *plan);
/* The answer of a non-durable plan, known after the check. */
const dk_webhook_result *dk_webhook_plan_result(const dk_webhook_plan *plan);
int dk_webhook_apply(dk_store *store, dk_webhook_plan *plan, dk_webhook_result *out);
void dk_webhook_plan_free(dk_webhook_plan *plan);

#endif
