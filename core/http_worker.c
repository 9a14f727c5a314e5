#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/auth.h"
#include "diskops/error.h"
#include "diskops/process.h"
#include "diskops/retention.h"
#include "http_internal.h"

/*
 * The worker API (powernode-behaviour.md §9): a CI worker's swt_ token in
 * X-Worker-Token or as a Bearer; messages as the original says them.
 */

static const char *
token_of(http_req *r)
{
	const char *t = http_header(r, "X-Worker-Token");
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

	if (t && *t)
		return t;
	if (h && strncmp(h, "Bearer ", 7) == 0 && h[7])
		return h + 7;
	return NULL;
}

static void
process(http_req *r, dk_store *st, const dk_worker *w, http_resp *out)
{
	json_t *body = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(body, "publication_id"));
	dk_process_result res = { 0 };
	char *owner = NULL;
	int rc;

	if (!id || dk_store_publication_owner(st, &owner, id) < 0) {
		http_error(out, 404, "NOT_FOUND", "DiskImagePublication not found");
		goto done;
	}
	if (strcmp(owner, w->account_id) != 0) {
		http_error(out, 403, "FORBIDDEN", "worker account mismatch");
		goto done;
	}
	if ((rc = dk_process_publication(st, &res, w->account_id, id, w->name)) < 0) {
		http_error(out, 500, "INTERNAL_ERROR", dk_error_last()->message);
		goto done;
	}
	if (res.status == DK_PUB_PUBLISHED) {
		http_json(out, 200, json_pack("{s:b, s:{s:s, s:n, s:b, s:s, s:s, s:s}}", "success", 1,
					      "data", "publication_id", id, "file_object_id",
					      "idempotent_hit", res.idempotent_hit, "platform_id",
					      res.platform_id, "git_sha", res.git_sha,
					      "publication_status", dk_pub_status_name(res.status)));
	} else {
		/* 422 tells the caller not to retry: the failure is recorded on the row. */
		http_json(out, 422, json_pack("{s:b, s:s, s:{s:s}}", "success", 0, "error",
					      res.error_message ? res.error_message : "not published",
					      "details", "publication_id", id));
	}
done:
	dk_process_result_clear(&res);
	free(owner);
	json_decref(body);
}

/* The original's account-wide sweep; `platform_id` in the body narrows it to one. */
static void
sweep(http_req *r, dk_store *st, const dk_worker *w, http_resp *out)
{
	json_t *body = r->body && r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	dk_retention_options o = { 0 };
	dk_retention_report rep = { 0 };
	char actor[128];

	snprintf(actor, sizeof(actor), "worker:%s", w->name);
	o.platform = json_string_value(json_object_get(body, "platform_id"));
	o.grace_days = r->srv->cfg->grace_days;
	o.actor = actor;
	o.actor_kind = DK_ACTOR_AGENT;
	o.delete_manifest = dk_retention_registry_delete;
	o.payload = r->srv->cfg;
	if (dk_retention_sweep(st, &rep, w->account_id, &o) < 0) {
		if (dk_error_last()->code == DK_ENOTFOUND)
			http_error(out, 404, "NOT_FOUND", "NodePlatform not found");
		else
			http_error(out, 500, "INTERNAL_ERROR", dk_error_last()->message);
	} else {
		http_json(out, 200, json_pack("{s:b, s:{s:i, s:i, s:i, s:i, s:i}}", "success", 1, "data",
					      "retired_count", rep.retired, "purged_count", rep.purged,
					      "deleted_count", rep.deleted, "pending_count", rep.pending,
					      "error_count", rep.errors));
	}
	dk_retention_report_clear(&rep);
	json_decref(body);
}

int
http_worker(http_req *r, const char *path, http_resp *out)
{
	dk_store *st = http_store(r->srv);
	const char *token = token_of(r);
	dk_worker *w = NULL;

	if (!token) {
		http_error(out, 401, "UNAUTHORIZED", "Worker token required");
		return 0;
	}
	if (!st) {
		http_error(out, 503, "UNAVAILABLE", "store unavailable");
		return 0;
	}
	if (dk_worker_authenticate(st, &w, token) < 0) {
		http_error(out, 401, "UNAUTHORIZED", "Invalid or inactive worker token");
		return 0;
	}
	if (strcmp(r->method, "POST") != 0) {
		http_error(out, 405, "METHOD_NOT_ALLOWED", "use POST");
	} else if (strcmp(path, "disk_image_publications/process") == 0) {
		process(r, st, w, out);
	} else if (strcmp(path, "disk_image_publications/sweep_retention") == 0) {
		sweep(r, st, w, out);
	} else {
		http_error(out, 404, "NOT_FOUND", "Not found");
	}
	dk_worker_free(w);
	return 0;
}
