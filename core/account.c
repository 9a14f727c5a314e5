#include <jansson.h>

#include "diskops/account.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/valid.h"

int
dk_account_create(dk_store *store, dk_account **out, const char *name, const char *actor)
{
	json_t *payload;
	int rc;

	*out = NULL;
	if ((rc = dk_valid_name("account name", name)) < 0)
		return rc;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_account_create(store, out, name)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	payload = json_pack("{s:s, s:s}", "account", name, "actor", actor ? actor : "unknown");
	dk_event_emit(store, (*out)->id, "system.account_created", "info", "operator", (*out)->id,
		      payload);
	json_decref(payload);
	return dk_store_commit(store);
}

int
dk_account_ensure(dk_store *store, dk_account **out, const char *name, bool *created)
{
	int rc = dk_store_account_find(store, out, name);

	*created = false;
	if (rc != DK_ENOTFOUND)
		return rc;
	rc = dk_account_create(store, out, name, "init");
	/* Another process may have created it between the find and the insert. */
	if (rc == DK_ECONFLICT)
		return dk_store_account_find(store, out, name);
	if (rc == 0)
		*created = true;
	return rc;
}

int
dk_account_resolve(dk_store *store, dk_account **out, const char *name)
{
	int rc = dk_store_account_find(store, out, name);

	if (rc == DK_ENOTFOUND)
		dk_error_set(DK_ENOTFOUND, "account \"%s\" not found (create it with `diskops "
			     "account create %s`)", name, name);
	return rc;
}
