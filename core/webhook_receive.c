#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/uuid.h"
#include "diskops/valid.h"
#include "diskops/webhook.h"

/*
 * One delivery, in the order of DESIGN §4: webhook (active only) → signature → count
 * the signed request → JSON object → platform in the webhook's account → fields →
 * (in the write transaction) the idempotency rule → publication row + ingest job.
 * Whatever happens, one webhook_delivery row.
 */

struct dk_webhook_plan {
	dk_delivery delivery;
	dk_webhook_result result;
	bool durable;                   /* a publication to upsert */
	bool touch;                     /* correctly signed: count it on the webhook */
	dk_publication pub;
};

#define FIELD_MAX 1024

void
dk_webhook_result_clear(dk_webhook_result *r)
{
	free(r->publication_id);
	free(r->note);
	free(r->hint);
	free(r->field);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

json_t *
dk_webhook_result_json(const dk_webhook_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string(r->status ? r->status : "error"));
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->publication_id)
		json_object_set_new(o, "publication_id", json_string(r->publication_id));
	if (r->note)
		json_object_set_new(o, "note", json_string(r->note));
	if (r->hint)
		json_object_set_new(o, "hint", json_string(r->hint));
	if (r->field)
		json_object_set_new(o, "field", json_string(r->field));
	if (r->message)
		json_object_set_new(o, "message", json_string(r->message));
	return o;
}

static void
answer(dk_webhook_result *r, int http_status, const char *status, const char *reason)
{
	r->http_status = http_status;
	r->status = status;
	r->reason = reason;
}

static void
reject(dk_webhook_plan *p, int http_status, const char *reason)
{
	answer(&p->result, http_status, "error", reason);
}

static void
reject_field(dk_webhook_plan *p, const char *field, const char *fmt, const char *detail)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, field, detail ? detail : "");
	reject(p, 422, "invalid_field");
	p->result.field = strdup(field);
	p->result.message = strdup(msg);
}

/* The first 12 characters of an attacker-supplied value, safe for a log line. */
static void
log_prefix(char out[13], const char *s)
{
	size_t i = 0;

	if (s && strncmp(s, "sha256=", 7) == 0)
		s += 7;
	for (; s && s[i] && i < 12; i++) {
		char c = s[i];

		out[i] = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '+' || c == '/' || c == '=' || c == '-' || c == '_') ? c : '?';
	}
	out[i] = '\0';
}

/*
 * Anyone can make us log a bad signature, so at most a few lines a second are written
 * and the rest are counted into the next one.
 */
static void
log_bad_signature(const char *webhook_id, const char *provided, const char *expected, size_t len)
{
	static _Atomic int64_t window;
	static atomic_int in_window;
	static atomic_long suppressed;
	int64_t now = dk_clock_now();
	char p[13], e[13];

	if (atomic_exchange(&window, now) != now)
		atomic_store(&in_window, 0);
	if (atomic_fetch_add(&in_window, 1) >= 5) {
		atomic_fetch_add(&suppressed, 1);
		return;
	}
	log_prefix(p, provided);
	log_prefix(e, expected);
	dk_log_warn("msg=\"webhook signature mismatch\" webhook=%s provided=%s expected=%s "
		    "body_bytes=%zu suppressed_before=%ld", webhook_id, p[0] ? p : "-", e, len,
		    atomic_exchange(&suppressed, 0));
}

static const char *
json_str_field(json_t *body, const char *name, const char *alias)
{
	json_t *v = json_object_get(body, name);

	if (!v && alias)
		v = json_object_get(body, alias);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* True when a field is present but not a string (or absurdly long). */
static bool
bad_string(json_t *body, const char *name, const char *alias)
{
	json_t *v = json_object_get(body, name);

	if (!v && alias)
		v = json_object_get(body, alias);
	if (!v || json_is_null(v))
		return false;
	return !json_is_string(v) || strlen(json_string_value(v)) > FIELD_MAX;
}

static bool
valid_git_sha(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      *s == '.' || *s == '_' || *s == '-' || *s == ':'))
			return false;
	}
	return true;
}

static bool
has_space(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ')
			return true;
	}
	return false;
}

/* The publication a signed body asks for, or a rejection in p->result. */
static int
read_body(dk_store *store, dk_webhook_plan *p, const dk_webhook *w, const dk_webhook_request *req)
{
	json_error_t jerr;
	json_t *body, *size;
	dk_platform *plat = NULL;
	const char *name, *oci_ref, *git_sha, *sha, *arch, *at;
	char digest_sha[80];
	int rc = 0;

	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		reject(p, 422, "invalid_payload");
		p->result.message = strdup(body ? "the body must be a JSON object"
						: "the body is not valid JSON");
		goto done;
	}
	if (bad_string(body, "platform_name", "platform_slug") ||
	    !(name = json_str_field(body, "platform_name", "platform_slug")) || !*name) {
		reject_field(p, "platform_name", "%s is required (a string)%s", NULL);
		goto done;
	}
	rc = dk_store_platform_find(store, &plat, w->account_id, name);
	if (rc == DK_ENOTFOUND) {
		char hint[256];

		reject(p, 422, "unknown_platform");
		snprintf(hint, sizeof(hint), "platform_name='%.160s' not found in account", name);
		p->result.hint = strdup(hint);
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	if (bad_string(body, "oci_ref", NULL) || !(oci_ref = json_str_field(body, "oci_ref", NULL)) ||
	    !*oci_ref || has_space(oci_ref)) {
		reject_field(p, "oci_ref", "%s is required (a registry reference)%s", NULL);
		goto done;
	}
	if (bad_string(body, "git_sha", NULL)) {
		reject_field(p, "git_sha", "%s must be a string%s", NULL);
		goto done;
	}
	git_sha = json_str_field(body, "git_sha", NULL);
	/* Without a git sha the key is the manifest digest, known now only when pinned. */
	if ((!git_sha || !*git_sha) && (at = strstr(oci_ref, "@sha256:")) && dk_is_sha256_hex(at + 8)) {
		snprintf(digest_sha, sizeof(digest_sha), "sha256:%s", at + 8);
		git_sha = digest_sha;
	}
	if (!git_sha || !*git_sha) {
		reject_field(p, "git_sha", "%s is required unless oci_ref is pinned by digest%s", NULL);
		goto done;
	}
	if (!valid_git_sha(git_sha)) {
		reject_field(p, "git_sha", "%s must be 1-128 characters of [0-9A-Za-z._:-]%s", NULL);
		goto done;
	}
	if (bad_string(body, "sha256", NULL) ||
	    ((sha = json_str_field(body, "sha256", NULL)) && !dk_is_sha256_hex(sha))) {
		reject_field(p, "sha256", "%s must be 64 hex chars (lower case)%s", NULL);
		goto done;
	}
	size = json_object_get(body, "size_bytes");
	if (size && !json_is_null(size) && (!json_is_integer(size) || json_integer_value(size) <= 0)) {
		reject_field(p, "size_bytes", "%s must be an integer greater than 0%s", NULL);
		goto done;
	}
	if (bad_string(body, "arch", NULL)) {
		reject_field(p, "arch", "%s must be amd64 or arm64%s", NULL);
		goto done;
	}
	arch = json_str_field(body, "arch", NULL);
	if (arch && strcmp(arch, "amd64") != 0 && strcmp(arch, "arm64") != 0) {
		reject_field(p, "arch", "%s is not included in the list (amd64, arm64)%s", NULL);
		goto done;
	}
	if (arch && strcmp(arch, plat->arch) != 0) {
		reject_field(p, "arch", "%s does not match the platform's arch (%s)", plat->arch);
		goto done;
	}
	if (bad_string(body, "firmware_ref", NULL) || bad_string(body, "sbom_url", "sbom_path")) {
		reject_field(p, bad_string(body, "firmware_ref", NULL) ? "firmware_ref" : "sbom_url",
			     "%s must be a string of at most 1024 characters%s", NULL);
		goto done;
	}
	p->durable = true;
	p->pub.account_id = strdup(w->account_id);
	p->pub.node_platform_id = strdup(plat->id);
	p->pub.platform_name = strdup(plat->name);
	p->pub.git_sha = strdup(git_sha);
	p->pub.oci_ref = strdup(oci_ref);
	p->pub.artifact_sha256 = sha ? strdup(sha) : NULL;
	p->pub.size_bytes = size && json_is_integer(size) ? json_integer_value(size) : 0;
	p->pub.arch = strdup(plat->arch);
	p->pub.firmware_ref = json_str_field(body, "firmware_ref", NULL) ?
			      strdup(json_str_field(body, "firmware_ref", NULL)) : NULL;
	p->pub.sbom_url = json_str_field(body, "sbom_url", "sbom_path") ?
			  strdup(json_str_field(body, "sbom_url", "sbom_path")) : NULL;
	p->pub.payload = json_dumps(body, JSON_COMPACT);
	p->pub.webhook_id = strdup(w->id);
	p->pub.status = DK_PUB_QUEUED;
	if (!p->pub.account_id || !p->pub.node_platform_id || !p->pub.git_sha || !p->pub.oci_ref ||
	    !p->pub.arch || !p->pub.payload || !p->pub.webhook_id)
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	dk_platform_free(plat);
	json_decref(body);
	return rc;
}

int
dk_webhook_check(dk_store *store, dk_secret_box *box, const dk_webhook_request *req,
		 dk_webhook_plan **out)
{
	char body_sha[65], expected[65], *secret = NULL;
	dk_webhook_plan *p;
	dk_webhook *w = NULL;
	int rc = 0;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	p->delivery.received_at = dk_clock_now();
	p->delivery.webhook_id = strndup(req->webhook_id ? req->webhook_id : "", 64);
	p->delivery.remote_addr = req->remote_addr ? strdup(req->remote_addr) : NULL;
	p->delivery.body_size = req->too_large ? req->declared_size : (int64_t)req->body_len;
	if (!req->too_large) {
		dk_crypto_sha256_hex(body_sha, req->body, req->body_len);
		p->delivery.body_sha256 = strdup(body_sha);
	}
	rc = req->webhook_id && dk_uuid_valid(req->webhook_id) ?
	     dk_store_webhook_get(store, &w, req->webhook_id) : DK_ENOTFOUND;
	if (rc < 0 && rc != DK_ENOTFOUND)
		goto done;
	rc = 0;
	/* Attempts on a revoked or disabled webhook still show in its owner's log. */
	if (w)
		p->delivery.account_id = strdup(w->account_id);
	/* Too large is answered before the body is read, so before the signature. */
	if (req->too_large) {
		reject(p, 413, "payload_too_large");
		p->result.message = strdup("the body is larger than 1 MiB");
		goto done;
	}
	if (!w || strcmp(w->status, "active") != 0) {
		reject(p, 404, "unknown_webhook");
		goto done;
	}
	if ((rc = dk_secret_decrypt(box, &secret, w->secret_enc)) < 0)
		goto done;
	if (!dk_webhook_signature_ok(secret, req->signature, req->body, req->body_len, expected)) {
		log_bad_signature(w->id, req->signature, expected, req->body_len);
		reject(p, 401, "bad_signature");
		goto done;
	}
	p->delivery.signature_ok = true;
	p->touch = true;
	rc = read_body(store, p, w, req);
done:
	OPENSSL_cleanse(expected, sizeof(expected));
	if (secret) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
	dk_webhook_free(w);
	if (rc < 0) {
		dk_webhook_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

bool
dk_webhook_plan_durable(const dk_webhook_plan *p)
{
	return p->durable;
}

const dk_webhook_result *
dk_webhook_plan_result(const dk_webhook_plan *p)
{
	return &p->result;
}

void
dk_webhook_plan_free(dk_webhook_plan *p)
{
	if (!p)
		return;
	dk_delivery_clear(&p->delivery);
	dk_webhook_result_clear(&p->result);
	dk_publication_clear(&p->pub);
	free(p);
}

static int
copy_result(dk_webhook_result *dst, const dk_webhook_result *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->http_status = src->http_status;
	dst->status = src->status;
	dst->reason = src->reason;
#define DUP(f) if (src->f && !(dst->f = strdup(src->f))) goto oom;
	DUP(publication_id) DUP(note) DUP(hint) DUP(field) DUP(message)
#undef DUP
	return 0;
oom:
	dk_webhook_result_clear(dst);
	return dk_error_set(DK_ENOMEM, "out of memory");
}

/* The idempotency rule of DESIGN §4, decided before anything is written. */
static int
upsert(dk_store *store, dk_webhook_plan *p, dk_webhook_result *r)
{
	dk_publication *cur = NULL;
	char id[DK_UUID_LEN + 1];
	char note[320];
	int rc;

	rc = dk_store_publication_find_sha(store, &cur, p->pub.account_id, p->pub.node_platform_id,
					   p->pub.git_sha);
	if (rc == DK_ENOTFOUND) {
		/* The id is made here so the row need not be read back: this runs on the
		 * commit thread, once per accepted delivery. */
		if (!p->pub.id) {
			dk_uuid_v4(id);
			if (!(p->pub.id = strdup(id))) {
				rc = dk_error_set(DK_ENOMEM, "out of memory");
				goto done;
			}
		}
		if ((rc = dk_store_publication_insert(store, NULL, &p->pub)) < 0)
			goto done;
		r->publication_id = strdup(p->pub.id);
	} else if (rc < 0) {
		goto done;
	} else if (cur->status == DK_PUB_PUBLISHED) {
		r->publication_id = strdup(cur->id);
		/* A blank incoming digest asserts nothing; locators are not compared. */
		if (p->pub.artifact_sha256 && cur->artifact_sha256 &&
		    strcmp(p->pub.artifact_sha256, cur->artifact_sha256) != 0) {
			dk_log_warn("msg=\"delivery for a published git sha carries another artifact\" "
				    "publication=%s git_sha=%s published_sha256=%s delivered_sha256=%s",
				    cur->id, cur->git_sha, cur->artifact_sha256, p->pub.artifact_sha256);
			answer(r, 409, "conflict", "published_artifact_mismatch");
			snprintf(note, sizeof(note), "git_sha %.128s is already published with a "
				 "DIFFERENT artifact; this delivery was discarded and NOT verified",
				 cur->git_sha);
		} else {
			answer(r, 200, "idempotent_hit", NULL);
			snprintf(note, sizeof(note), "already published with this git_sha");
		}
		r->note = strdup(note);
		goto done;
	} else if (cur->status == DK_PUB_RETIRED || cur->status == DK_PUB_PURGED) {
		r->publication_id = strdup(cur->id);
		answer(r, 409, "conflict", "already_retired");
		snprintf(note, sizeof(note), "git_sha %.128s was published and is now %s; push a new "
			 "commit to publish again", cur->git_sha, dk_pub_status_name(cur->status));
		r->note = strdup(note);
		goto done;
	} else {
		free(p->pub.id);
		p->pub.id = strdup(cur->id);
		if ((rc = dk_store_publication_refresh(store, &p->pub)) < 0)
			goto done;
		r->publication_id = strdup(cur->id);
	}
	if ((rc = dk_store_job_enqueue(store, NULL, "ingest", r->publication_id, p->pub.account_id,
				       dk_clock_now())) < 0)
		goto done;
	answer(r, 202, "queued", NULL);
done:
	dk_publication_free(cur);
	return rc;
}

int
dk_webhook_apply(dk_store *store, dk_webhook_plan *p, dk_webhook_result *out)
{
	dk_delivery *d = &p->delivery;
	dk_webhook_result r = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if (p->touch && (rc = dk_store_webhook_touch(store, d->webhook_id, d->received_at)) < 0)
		goto fail;
	if (p->durable)
		rc = upsert(store, p, &r);
	else
		rc = copy_result(&r, &p->result);
	if (rc < 0)
		goto fail;
	d->http_status = r.http_status;
	d->outcome = strdup(r.status);
	d->reason = r.reason ? strdup(r.reason) : NULL;
	d->publication_id = r.publication_id ? strdup(r.publication_id) : NULL;
	if ((rc = dk_store_delivery_insert(store, d)) < 0)
		goto fail;
	/* A failed commit has rolled back already. */
	if ((rc = dk_store_commit(store)) < 0) {
		dk_webhook_result_clear(&r);
		return rc;
	}
	*out = r;
	return 0;
fail:
	dk_store_rollback(store);
	dk_webhook_result_clear(&r);
	return rc;
}

int
dk_webhook_handle(dk_store *store, dk_secret_box *box, const dk_webhook_request *req,
		  dk_webhook_result *out)
{
	dk_webhook_plan *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dk_webhook_check(store, box, req, &p)) < 0)
		return rc;
	rc = dk_webhook_apply(store, p, out);
	dk_webhook_plan_free(p);
	return rc;
}
