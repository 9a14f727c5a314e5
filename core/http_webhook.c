#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "http_internal.h"

/*
 * POST /api/v1/system/webhooks/disk_image/built/<id>. The checks run on the HTTP
 * thread; the write goes to the group commit. An accepted delivery is answered only
 * once its batch is durable; a rejected one is answered at once and its delivery row
 * follows in the next batch (unless that queue is long, then it waits like the rest).
 */

#define ASYNC_QUEUE_MAX 50000

static const struct {
	const char *status;
	const char *reason;
} outcomes[OUT__COUNT] = {
	[OUT_QUEUED] = { "queued", NULL },
	[OUT_IDEMPOTENT] = { "idempotent_hit", NULL },
	[OUT_MISMATCH] = { "conflict", "published_artifact_mismatch" },
	[OUT_RETIRED] = { "conflict", "already_retired" },
	[OUT_UNKNOWN_WEBHOOK] = { "error", "unknown_webhook" },
	[OUT_BAD_SIGNATURE] = { "error", "bad_signature" },
	[OUT_INVALID_PAYLOAD] = { "error", "invalid_payload" },
	[OUT_UNKNOWN_PLATFORM] = { "error", "unknown_platform" },
	[OUT_INVALID_FIELD] = { "error", "invalid_field" },
	[OUT_TOO_LARGE] = { "error", "payload_too_large" },
	[OUT_PROCESSING_ERROR] = { "error", "processing_error" },
};

void
http_count_delivery(dk_serve *srv, const dk_webhook_result *res)
{
	for (int i = 0; i < OUT__COUNT; i++) {
		if (res->status && strcmp(res->status, outcomes[i].status) == 0 &&
		    ((!res->reason && !outcomes[i].reason) ||
		     (res->reason && outcomes[i].reason && strcmp(res->reason, outcomes[i].reason) == 0))) {
			atomic_fetch_add(&srv->deliveries[i], 1);
			return;
		}
	}
	atomic_fetch_add(&srv->deliveries[OUT_PROCESSING_ERROR], 1);
}

/* Metric label values, for http_metrics.c. */
const char *http_outcome_status(int i);
const char *http_outcome_reason(int i);

const char *
http_outcome_status(int i)
{
	return outcomes[i].status;
}

const char *
http_outcome_reason(int i)
{
	return outcomes[i].reason ? outcomes[i].reason : "";
}

static void
store_failure(http_req *r, http_resp *out)
{
	dk_webhook_result res = { .status = "error", .reason = "processing_error" };

	dk_log_error("msg=\"delivery not recorded\" remote=%s error=\"%s\"", r->remote,
		     dk_error_last()->message);
	http_count_delivery(r->srv, &res);
	res.message = strdup("the store is unavailable; retry later");
	http_json(out, 503, dk_webhook_result_json(&res));
	dk_webhook_result_clear(&res);
}

static int
apply_for_request(dk_store *store, void *arg)
{
	http_req *r = arg;

	r->wrc = dk_webhook_apply(store, r->plan, &r->wres);
	return r->wrc;
}

static void
request_done(void *arg, int rc)
{
	http_req *r = arg;

	if (rc < 0) {
		dk_webhook_result_clear(&r->wres);
		store_failure(r, &r->resp);
	} else {
		http_count_delivery(r->srv, &r->wres);
		http_json(&r->resp, r->wres.http_status, dk_webhook_result_json(&r->wres));
	}
	http_finish_async(r);
}

static int
apply_detached(dk_store *store, void *arg)
{
	dk_webhook_result res;
	int rc = dk_webhook_apply(store, arg, &res);

	if (rc == 0)
		dk_webhook_result_clear(&res);
	return rc;
}

static void
detached_done(void *arg, int rc)
{
	if (rc < 0)
		dk_log_warn("msg=\"delivery row of a rejected request lost\" error=\"%s\"",
			    dk_error_last()->message);
	dk_webhook_plan_free(arg);
}

int
http_webhook(http_req *r, const char *webhook_id, http_resp *out)
{
	dk_webhook_request req = {
		.webhook_id = webhook_id,
		.signature = http_header(r, "X-Powernode-Signature"),
		.body = r->body,
		.body_len = r->len,
		.remote_addr = r->remote,
		.too_large = r->too_large,
		.declared_size = r->declared,
	};
	dk_store *store = http_store(r->srv);
	const dk_webhook_result *early;

	if (!store || dk_webhook_check(store, r->srv->box, &req, &r->plan) < 0) {
		store_failure(r, out);
		return 0;
	}
	if (!dk_webhook_plan_durable(r->plan) &&
	    dk_batcher_pending(r->srv->batcher) < ASYNC_QUEUE_MAX) {
		early = dk_webhook_plan_result(r->plan);
		http_count_delivery(r->srv, early);
		http_json(out, early->http_status, dk_webhook_result_json(early));
		if (dk_batcher_submit_background(r->srv->batcher, apply_detached, detached_done,
						 r->plan) < 0)
			dk_webhook_plan_free(r->plan);
		r->plan = NULL;
		return 0;
	}
	http_suspend(r);
	if (dk_batcher_submit(r->srv->batcher, apply_for_request, request_done, r) < 0) {
		store_failure(r, &r->resp);
		http_finish_async(r);
	}
	return 1;
}
