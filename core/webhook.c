#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/webhook.h"

static int
valid_label(const char *label)
{
	size_t n = label ? strlen(label) : 0;

	if (n == 0)
		return dk_error_set(DK_EINVALID, "label can't be blank");
	if (n > DK_WEBHOOK_LABEL_MAX)
		return dk_error_set(DK_EINVALID, "label is too long (%zu characters, at most %d)", n,
				    DK_WEBHOOK_LABEL_MAX);
	for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return dk_error_set(DK_EINVALID, "label must not contain control characters");
	}
	return 0;
}

static void
forget(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* A fresh secret, its sealed form and preview. */
static int
new_secret(dk_secret_box *box, char **secret, char **sealed, char preview[DK_SECRET_PREVIEW_LEN + 1])
{
	int rc;

	*secret = *sealed = NULL;
	if ((rc = dk_secret_generate(secret, DK_SECRET_WEBHOOK_PREFIX)) < 0)
		return rc;
	if ((rc = dk_secret_encrypt(box, sealed, *secret)) < 0) {
		forget(*secret);
		*secret = NULL;
		return rc;
	}
	dk_secret_preview(preview, *secret);
	return 0;
}

int
dk_webhook_create(dk_store *store, dk_secret_box *box, dk_webhook **out, char **out_secret,
		  const char *account_id, const char *label, const char *actor)
{
	char preview[DK_SECRET_PREVIEW_LEN + 1], *secret = NULL, *sealed = NULL;
	json_t *payload;
	int rc;

	*out = NULL;
	*out_secret = NULL;
	if ((rc = valid_label(label)) < 0 || (rc = new_secret(box, &secret, &sealed, preview)) < 0)
		goto done;
	if ((rc = dk_store_webhook_create(store, out, account_id, label, sealed, preview, actor)) < 0)
		goto done;
	payload = json_pack("{s:s}", "label", label);
	dk_event_emit(store, account_id, "system.disk_image_webhook_created", "info", actor,
		      (*out)->id, payload);
	json_decref(payload);
	*out_secret = secret;
	secret = NULL;
done:
	forget(secret);
	free(sealed);
	return rc;
}

int
dk_webhook_rotate(dk_store *store, dk_secret_box *box, dk_webhook **out, char **out_secret,
		  const char *account_id, const char *id_or_label, const char *actor)
{
	char preview[DK_SECRET_PREVIEW_LEN + 1], *secret = NULL, *sealed = NULL;
	dk_webhook *w = NULL;
	json_t *payload = NULL;
	int rc;

	*out = NULL;
	*out_secret = NULL;
	if ((rc = dk_store_webhook_find(store, &w, account_id, id_or_label)) < 0)
		goto done;
	if (strcmp(w->status, "revoked") == 0) {
		rc = dk_error_set(DK_ESTATE, "webhook %s is revoked; create a new one", w->label);
		goto done;
	}
	if ((rc = new_secret(box, &secret, &sealed, preview)) < 0 ||
	    (rc = dk_store_begin(store)) < 0)
		goto done;
	if ((rc = dk_store_webhook_set_secret(store, account_id, w->id, sealed, preview)) < 0) {
		dk_store_rollback(store);
		goto done;
	}
	payload = json_pack("{s:s}", "label", w->label);
	dk_event_emit(store, account_id, "system.disk_image_webhook_secret_rotated", "warning",
		      actor, w->id, payload);
	if ((rc = dk_store_commit(store)) < 0 ||
	    (rc = dk_store_webhook_find(store, out, account_id, w->id)) < 0)
		goto done;
	*out_secret = secret;
	secret = NULL;
done:
	json_decref(payload);
	dk_webhook_free(w);
	forget(secret);
	free(sealed);
	return rc;
}

int
dk_webhook_revoke(dk_store *store, dk_webhook **out, const char *account_id,
		  const char *id_or_label, const char *actor)
{
	dk_webhook *w = NULL;
	json_t *payload = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store_webhook_find(store, &w, account_id, id_or_label)) < 0)
		goto done;
	if (strcmp(w->status, "revoked") == 0) {
		rc = dk_error_set(DK_ESTATE, "webhook %s is revoked already", w->label);
		goto done;
	}
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	if ((rc = dk_store_webhook_set_status(store, account_id, w->id, "revoked")) < 0) {
		dk_store_rollback(store);
		goto done;
	}
	payload = json_pack("{s:s}", "label", w->label);
	dk_event_emit(store, account_id, "system.disk_image_webhook_revoked", "warning", actor,
		      w->id, payload);
	if ((rc = dk_store_commit(store)) < 0)
		goto done;
	rc = dk_store_webhook_find(store, out, account_id, w->id);
done:
	json_decref(payload);
	dk_webhook_free(w);
	return rc;
}

char *
dk_webhook_url(const char *public_url, const char *id)
{
	size_t n = strlen(public_url);
	char *url;

	while (n > 0 && public_url[n - 1] == '/')
		n--;
	if (asprintf(&url, "%.*s%s%s", (int)n, public_url, DK_WEBHOOK_PATH, id) < 0)
		return NULL;
	return url;
}
