#include <stdlib.h>
#include <string.h>

#include "diskops/auth.h"
#include "diskops/error.h"
#include "diskops/model_json.h"
#include "diskops/platform.h"
#include "http_internal.h"

/*
 * Operator REST under /api/v1/system/: a Bearer JWT, a role check per route, every
 * lookup inside the token's account (another account's id is simply not found).
 */

static void
ok(http_resp *out, json_t *data)
{
	http_json(out, 200, json_pack("{s:b, s:o}", "success", 1, "data", data));
}

static const char *
arg(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int
limit_arg(http_req *r, int def)
{
	const char *v = arg(r, "limit");
	int n = v ? atoi(v) : def;

	return n < 1 ? def : n > 1000 ? 1000 : n;
}

/* 0 with claims when the bearer token is good, else the 401 is in *out. */
static int
authenticate(http_req *r, dk_auth_claims *claims, http_resp *out)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncmp(h, "Bearer ", 7) != 0) {
		http_error(out, 401, "UNAUTHORIZED", "Authentication required");
		return -1;
	}
	if (dk_auth_token_verify(claims, r->srv->jwt_key, r->srv->jwt_key_len, h + 7) < 0) {
		http_error(out, 401, "UNAUTHORIZED", "Invalid or expired token");
		return -1;
	}
	return 0;
}

static bool
permitted(const dk_auth_claims *c, const char *permission, http_resp *out)
{
	char msg[128];

	if (dk_role_allows(c->role, permission))
		return true;
	snprintf(msg, sizeof(msg), "Permission denied: %s", permission);
	http_error(out, 403, "FORBIDDEN", msg);
	return false;
}

static void
store_error(http_resp *out, int rc, const char *not_found)
{
	if (rc == DK_ENOTFOUND)
		http_error(out, 404, "NOT_FOUND", not_found);
	else if (rc == DK_EINVALID)
		http_error(out, 422, "VALIDATION_ERROR", dk_error_last()->message);
	else if (rc == DK_ECONFLICT || rc == DK_ESTATE)
		http_error(out, 409, "CONFLICT", dk_error_last()->message);
	else
		http_error(out, 500, "INTERNAL_ERROR", "store unavailable");
}

static void
list_publications(http_req *r, dk_store *st, const char *acct, const char *platform_id,
		  http_resp *out)
{
	dk_publication_filter f = { .account_id = acct, .platform_id = platform_id, .status = -1 };
	dk_publication_list *l = NULL;
	dk_platform *p = NULL;
	const char *status = arg(r, "status");
	dk_pub_status s;
	json_t *arr;
	int rc;

	if (!platform_id && arg(r, "node_platform_id"))
		platform_id = arg(r, "node_platform_id");
	if (platform_id) {
		if ((rc = dk_store_platform_find(st, &p, acct, platform_id)) < 0) {
			store_error(out, rc, "Node Platform not found");
			return;
		}
		f.platform_id = p->id;
	}
	if (status) {
		if (dk_pub_status_parse(&s, status) < 0) {
			http_error(out, 422, "VALIDATION_ERROR", dk_error_last()->message);
			goto done;
		}
		f.status = (int)s;
	}
	f.limit = limit_arg(r, 50);
	if ((rc = dk_store_publication_list(st, &l, &f)) < 0) {
		store_error(out, rc, "");
		goto done;
	}
	arr = json_array();
	for (size_t i = 0; i < l->count; i++)
		json_array_append_new(arr, dk_publication_to_json(&l->items[i]));
	ok(out, arr);
done:
	dk_publication_list_free(l);
	dk_platform_free(p);
}

/* PATCH body {"node_platform": {...}} or the bare object; policy fields only. */
static void
patch_platform(http_req *r, dk_store *st, const dk_auth_claims *c, const char *id, http_resp *out)
{
	dk_platform_spec spec = { 0 };
	dk_platform *p = NULL;
	json_t *body = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL, *o, *v;
	int rc;

	o = json_object_get(body, "node_platform") ? json_object_get(body, "node_platform") : body;
	if (!json_is_object(o)) {
		http_error(out, 422, "VALIDATION_ERROR", "body must be a JSON object");
		goto done;
	}
	if ((v = json_object_get(o, "disk_image_retention_count"))) {
		if (!json_is_integer(v)) {
			http_error(out, 422, "VALIDATION_ERROR", "disk_image_retention_count must be an integer");
			goto done;
		}
		spec.set |= DK_PLATFORM_RETENTION;
		spec.retention_count = (int)json_integer_value(v);
	}
	if ((v = json_object_get(o, "cosign_identity_regexp"))) {
		spec.set |= DK_PLATFORM_IDENTITY_RE;
		spec.identity_regexp = json_is_string(v) ? json_string_value(v) : "";
	}
	if ((v = json_object_get(o, "cosign_issuer_regexp"))) {
		spec.set |= DK_PLATFORM_ISSUER_RE;
		spec.issuer_regexp = json_is_string(v) ? json_string_value(v) : "";
	}
	if (!spec.set) {
		http_error(out, 422, "VALIDATION_ERROR", "nothing to change: give "
			   "disk_image_retention_count, cosign_identity_regexp or cosign_issuer_regexp");
		goto done;
	}
	if ((rc = dk_platform_update(st, &p, c->account_id, id, &spec, c->subject)) < 0) {
		store_error(out, rc, "Node Platform not found");
		goto done;
	}
	ok(out, json_pack("{s:o}", "node_platform", dk_platform_to_json(p)));
done:
	dk_platform_free(p);
	json_decref(body);
}

static void
get_platforms(http_req *r, dk_store *st, const dk_auth_claims *c, const char *rest, http_resp *out)
{
	char id[128];
	const char *slash;
	int rc;

	if (!*rest) {
		dk_platform_list *l = NULL;
		json_t *arr;

		if ((rc = dk_store_platform_list(st, &l, c->account_id)) < 0) {
			store_error(out, rc, "");
			return;
		}
		arr = json_array();
		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_platform_to_json(&l->items[i]));
		dk_platform_list_free(l);
		ok(out, arr);
		return;
	}
	slash = strchr(rest, '/');
	snprintf(id, sizeof(id), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
	if (slash && strcmp(slash, "/disk_image_publications") == 0) {
		list_publications(r, st, c->account_id, id, out);
	} else if (!slash) {
		dk_platform *p = NULL;

		if ((rc = dk_store_platform_find(st, &p, c->account_id, id)) < 0) {
			store_error(out, rc, "Node Platform not found");
			return;
		}
		ok(out, dk_platform_to_json(p));
		dk_platform_free(p);
	} else {
		http_error(out, 404, "NOT_FOUND", "Not found");
	}
}

/* "/<platform>/rollback_disk_image" → the platform id or name. */
static bool
is_rollback(const char *rest, char *id, size_t len)
{
	static const char suffix[] = "/rollback_disk_image";
	const char *slash = rest[0] == '/' ? strchr(rest + 1, '/') : NULL;

	if (!slash || slash == rest + 1 || strcmp(slash, suffix) != 0 || (size_t)(slash - rest) > len)
		return false;
	snprintf(id, len, "%.*s", (int)(slash - rest - 1), rest + 1);
	return true;
}

int
http_rest(http_req *r, const char *path, http_resp *out)
{
	dk_store *st = http_store(r->srv);
	dk_auth_claims c;
	char id[128];
	bool get = strcmp(r->method, "GET") == 0;
	int rc;

	if (authenticate(r, &c, out) < 0)
		return 0;
	if (!st) {
		http_error(out, 503, "UNAVAILABLE", "store unavailable");
		goto done;
	}
	if (strncmp(path, "disk_image_publications", 23) == 0 && get) {
		if (!permitted(&c, "system.platforms.read", out))
			goto done;
		if (path[23] == '\0') {
			list_publications(r, st, c.account_id, NULL, out);
		} else if (path[23] == '/') {
			dk_publication *p = NULL;

			if ((rc = dk_store_publication_get(st, &p, c.account_id, path + 24)) < 0)
				store_error(out, rc, "DiskImagePublication not found");
			else
				ok(out, dk_publication_to_json(p));
			dk_publication_free(p);
		} else {
			http_error(out, 404, "NOT_FOUND", "Not found");
		}
	} else if (strncmp(path, "node_platforms", 14) == 0 && (path[14] == '\0' || path[14] == '/')) {
		if (get) {
			if (permitted(&c, "system.platforms.read", out))
				get_platforms(r, st, &c, path[14] ? path + 15 : "", out);
		} else if (strcmp(r->method, "PATCH") == 0 && path[14] == '/' && !strchr(path + 15, '/')) {
			if (permitted(&c, "system.platforms.manage_disk_image_policy", out))
				patch_platform(r, st, &c, path + 15, out);
		} else if (strcmp(r->method, "POST") == 0 && is_rollback(path + 14, id, sizeof(id))) {
			if (permitted(&c, "system.platforms.rollback_disk_image", out))
				http_rollback(r, st, c.account_id, c.subject, id, out);
		} else {
			http_error(out, 405, "METHOD_NOT_ALLOWED", "Method not allowed");
		}
	} else if ((strcmp(path, "disk_image_webhooks") == 0 ||
		    strcmp(path, "disk_image_webhooks/recent") == 0) && get) {
		if (!permitted(&c, "system.disk_image_webhooks.read", out))
			goto done;
		if (strcmp(path, "disk_image_webhooks") == 0) {
			dk_webhook_list *l = NULL;
			json_t *arr = json_array();

			if ((rc = dk_store_webhook_list(st, &l, c.account_id)) < 0) {
				json_decref(arr);
				store_error(out, rc, "");
				goto done;
			}
			for (size_t i = 0; i < l->count; i++)
				json_array_append_new(arr, dk_webhook_to_json(&l->items[i]));
			dk_webhook_list_free(l);
			ok(out, arr);
		} else {
			dk_delivery_filter f = { .account_id = c.account_id, .limit = limit_arg(r, 50),
						 .webhook_id = arg(r, "webhook_id") };
			dk_delivery_list *l = NULL;
			json_t *arr = json_array();

			if ((rc = dk_store_delivery_list(st, &l, &f)) < 0) {
				json_decref(arr);
				store_error(out, rc, "");
				goto done;
			}
			for (size_t i = 0; i < l->count; i++)
				json_array_append_new(arr, dk_delivery_to_json(&l->items[i]));
			dk_delivery_list_free(l);
			ok(out, arr);
		}
	} else if (strcmp(path, "events") == 0 && get) {
		dk_event_filter f = { .account_id = c.account_id, .kind_prefix = arg(r, "kind_prefix"),
				      .limit = limit_arg(r, 50) };
		dk_event_list *l = NULL;
		json_t *arr;

		if (!permitted(&c, "system.events.read", out))
			goto done;
		if ((rc = dk_store_event_list(st, &l, &f)) < 0) {
			store_error(out, rc, "");
			goto done;
		}
		arr = json_array();
		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_event_to_json(&l->items[i]));
		dk_event_list_free(l);
		ok(out, arr);
	} else {
		http_error(out, 404, "NOT_FOUND", "Not found");
	}
done:
	dk_auth_claims_clear(&c);
	return 0;
}
