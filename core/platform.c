#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/platform.h"
#include "diskops/pubkey.h"
#include "diskops/regex.h"
#include "diskops/valid.h"

int
dk_platform_validate(const dk_platform_spec *s)
{
	int rc = 0;

	if ((s->set & DK_PLATFORM_NAME) && (rc = dk_valid_name("platform name", s->name)) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_ARCH) && (rc = dk_valid_arch(s->arch)) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_RETENTION) && (rc = dk_valid_retention(s->retention_count)) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_IDENTITY_RE) && s->identity_regexp && *s->identity_regexp &&
	    (rc = dk_regex_check(s->identity_regexp, "identity regexp")) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_ISSUER_RE) && s->issuer_regexp && *s->issuer_regexp &&
	    (rc = dk_regex_check(s->issuer_regexp, "issuer regexp")) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_TRUSTED_KEYS) && s->trusted_keys && *s->trusted_keys) {
		dk_pubkey_info *info;
		size_t n;

		if ((rc = dk_pubkey_parse_all(&info, &n, s->trusted_keys, "trusted keys")) < 0)
			return rc;
		free(info);
	}
	if ((s->set & DK_PLATFORM_TLOG) && (rc = dk_valid_tlog_policy(s->tlog_policy)) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_BUILD_REPO) && s->build_repo && *s->build_repo &&
	    (rc = dk_valid_repo(s->build_repo)) < 0)
		return rc;
	if ((s->set & DK_PLATFORM_WORKFLOW) &&
	    (rc = dk_valid_repo_path("workflow file", s->workflow_file)) < 0)
		return rc;
	return 0;
}

/* What changed, for the event: names of the fields, and values that are not keys. */
static json_t *
changes_json(const dk_platform_spec *s)
{
	json_t *o = json_object();

	if (s->set & DK_PLATFORM_NAME)
		json_object_set_new(o, "name", json_string(s->name));
	if (s->set & DK_PLATFORM_ARCH)
		json_object_set_new(o, "arch", json_string(s->arch));
	if (s->set & DK_PLATFORM_RETENTION)
		json_object_set_new(o, "disk_image_retention_count", json_integer(s->retention_count));
	if (s->set & DK_PLATFORM_IDENTITY_RE)
		json_object_set_new(o, "cosign_identity_regexp", json_string(s->identity_regexp));
	if (s->set & DK_PLATFORM_ISSUER_RE)
		json_object_set_new(o, "cosign_issuer_regexp", json_string(s->issuer_regexp));
	if (s->set & DK_PLATFORM_TRUSTED_KEYS)
		json_object_set_new(o, "trusted_keys", json_string("(changed)"));
	if (s->set & DK_PLATFORM_TLOG)
		json_object_set_new(o, "tlog_policy", json_string(s->tlog_policy));
	if (s->set & DK_PLATFORM_BUILD_REPO)
		json_object_set_new(o, "build_repo", json_string(s->build_repo));
	if (s->set & DK_PLATFORM_WORKFLOW)
		json_object_set_new(o, "workflow_file", json_string(s->workflow_file));
	if (s->set & DK_PLATFORM_TRUSTED_ROOT)
		json_object_set_new(o, "trusted_root", json_string(s->trusted_root));
	return o;
}

static void
emit(dk_store *store, const dk_platform *p, const char *kind, const dk_platform_spec *s,
     const char *actor)
{
	json_t *payload = json_object();

	json_object_set_new(payload, "platform", json_string(p->name));
	json_object_set_new(payload, "actor", json_string(actor ? actor : "unknown"));
	json_object_set_new(payload, "changes", changes_json(s));
	dk_event_emit(store, p->account_id, kind, "info", "operator", p->id, payload);
	json_decref(payload);
}

int
dk_platform_create(dk_store *store, dk_platform **out, const char *account_id,
		   const dk_platform_spec *spec, const char *actor)
{
	int rc;

	*out = NULL;
	if (!(spec->set & DK_PLATFORM_NAME) || !spec->name)
		return dk_error_set(DK_EINVALID, "a platform needs a name");
	if (!(spec->set & DK_PLATFORM_ARCH) || !spec->arch)
		return dk_error_set(DK_EINVALID, "platform \"%s\" needs an arch (amd64 or arm64)",
				    spec->name);
	if ((rc = dk_platform_validate(spec)) < 0)
		return rc;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_platform_create(store, out, account_id, spec)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	emit(store, *out, "system.node_platform_created", spec, actor);
	return dk_store_commit(store);
}

int
dk_platform_update(dk_store *store, dk_platform **out, const char *account_id,
		   const char *name_or_id, const dk_platform_spec *changes, const char *actor)
{
	dk_platform *cur = NULL;
	int rc;

	*out = NULL;
	if (changes->set == 0)
		return dk_error_set(DK_EINVALID, "nothing to change: give at least one setting");
	if ((rc = dk_platform_validate(changes)) < 0)
		return rc;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_platform_find(store, &cur, account_id, name_or_id)) < 0 ||
	    (rc = dk_store_platform_update(store, out, account_id, cur->id, changes)) < 0) {
		dk_store_rollback(store);
		goto done;
	}
	emit(store, *out, "system.node_platform_updated", changes, actor);
	if ((rc = dk_store_commit(store)) < 0) {
		dk_platform_free(*out);
		*out = NULL;
	}
done:
	dk_platform_free(cur);
	return rc;
}

const char *
dk_platform_trust(const dk_platform *p)
{
	int keyless = p->cosign_identity_regexp && *p->cosign_identity_regexp &&
		      p->cosign_issuer_regexp && *p->cosign_issuer_regexp;
	int key = p->trusted_keys && *p->trusted_keys;

	if (keyless && key)
		return "keyless+key";
	if (keyless)
		return "keyless";
	return key ? "key" : "none";
}
