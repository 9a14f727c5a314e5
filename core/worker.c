#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "diskops/auth.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/secret.h"

static void
forget(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

static int
valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 100)
		return dk_error_set(DK_EINVALID, "name must be 1 to 100 characters");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return dk_error_set(DK_EINVALID, "name must not contain control characters");
	}
	return 0;
}

static void
emit(dk_store *store, const dk_worker *w, const char *kind, const char *severity,
     const char *actor)
{
	json_t *payload = json_pack("{s:s}", "name", w->name);

	dk_event_emit(store, w->account_id, kind, severity, actor, w->id, payload);
	json_decref(payload);
}

int
dk_worker_create(dk_store *store, dk_worker **out, char **out_token, const char *account_id,
		 const char *name, const char *actor)
{
	char digest[65], *token = NULL;
	int rc;

	*out = NULL;
	*out_token = NULL;
	if ((rc = valid_name(name)) < 0 ||
	    (rc = dk_secret_generate(&token, DK_SECRET_WORKER_PREFIX)) < 0)
		goto done;
	dk_secret_digest_hex(digest, token);
	if ((rc = dk_store_worker_create(store, out, account_id, name, digest)) < 0) {
		if (rc != DK_ENOMEM)
			dk_error_prefix("Failed to create CI worker");
		goto done;
	}
	emit(store, *out, "system.ci_worker_created", "info", actor);
	*out_token = token;
	token = NULL;
done:
	forget(token);
	return rc;
}

int
dk_worker_rotate(dk_store *store, dk_worker **out, char **out_token, const char *account_id,
		 const char *id_or_name, const char *actor)
{
	char digest[65], *token = NULL;
	dk_worker *w = NULL;
	int rc;

	*out = NULL;
	*out_token = NULL;
	if ((rc = dk_store_worker_find(store, &w, account_id, id_or_name)) < 0)
		goto done;
	if (strcmp(w->status, "revoked") == 0) {
		rc = dk_error_set(DK_ESTATE, "CI worker %s is revoked; create a new one", w->name);
		goto done;
	}
	if ((rc = dk_secret_generate(&token, DK_SECRET_WORKER_PREFIX)) < 0)
		goto done;
	dk_secret_digest_hex(digest, token);
	if ((rc = dk_store_worker_set_digest(store, account_id, w->id, digest)) < 0)
		goto done;
	emit(store, w, "system.ci_worker_token_rotated", "warning", actor);
	*out = w;
	w = NULL;
	*out_token = token;
	token = NULL;
done:
	dk_worker_free(w);
	forget(token);
	return rc;
}

int
dk_worker_revoke(dk_store *store, dk_worker **out, const char *account_id,
		 const char *id_or_name, const char *actor)
{
	dk_worker *w = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store_worker_find(store, &w, account_id, id_or_name)) < 0)
		return rc;
	if (strcmp(w->status, "revoked") == 0) {
		rc = dk_error_set(DK_ESTATE, "CI worker %s is revoked already", w->name);
		dk_worker_free(w);
		return rc;
	}
	if ((rc = dk_store_worker_set_status(store, account_id, w->id, "revoked")) < 0) {
		dk_worker_free(w);
		return rc;
	}
	free(w->status);
	w->status = strdup("revoked");
	emit(store, w, "system.ci_worker_revoked", "warning", actor);
	*out = w;
	return 0;
}

int
dk_worker_terminate(dk_store *store, dk_worker **out, int *released, const char *account_id,
		    const char *id_or_name, const char *actor)
{
	dk_worker *w = NULL;
	json_t *payload;
	int rc;

	*out = NULL;
	*released = 0;
	if ((rc = dk_store_worker_find(store, &w, account_id, id_or_name)) < 0)
		return rc;
	if (w->terminated_at) {
		rc = dk_error_set(DK_ESTATE, "CI worker %s is terminated already", w->name);
		dk_worker_free(w);
		return rc;
	}
	if ((rc = dk_store_worker_terminate(store, account_id, w->id, dk_clock_now(), released)) < 0) {
		dk_worker_free(w);
		return rc;
	}
	{
		dk_worker *after = NULL;

		/* By id: a revoked worker is no longer found by its name. */
		if ((rc = dk_store_worker_find(store, &after, account_id, w->id)) < 0) {
			dk_worker_free(w);
			return rc;
		}
		dk_worker_free(w);
		w = after;
	}
	payload = json_pack("{s:s, s:i}", "name", w->name, "released_jobs", *released);
	dk_event_emit(store, w->account_id, "system.ci_worker_terminated", "warning", actor, w->id,
		      payload);
	json_decref(payload);
	*out = w;
	return 0;
}

int
dk_worker_authenticate(dk_store *store, dk_worker **out, const char *token)
{
	char digest[65];
	int rc;

	*out = NULL;
	if (!token || !*token)
		return dk_error_set(DK_EAUTH, "Worker token required");
	dk_secret_digest_hex(digest, token);
	rc = dk_store_worker_authenticate(store, out, digest, dk_clock_now());
	if (rc == DK_ENOTFOUND)
		return dk_error_set(DK_EAUTH, "Invalid or inactive worker token");
	return rc;
}
