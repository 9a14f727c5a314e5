#include <stdlib.h>

#include "diskops/clock.h"
#include "diskops/model_json.h"
#include "diskops/pubkey.h"

json_t *
dk_json_time(int64_t t)
{
	char buf[32];

	return t > 0 ? json_string(dk_clock_iso(buf, t)) : json_null();
}

json_t *
dk_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
dk_account_to_json(const dk_account *a)
{
	return json_pack("{s:o, s:o, s:o}",
			 "id", dk_json_str(a->id),
			 "name", dk_json_str(a->name),
			 "created_at", dk_json_time(a->created_at));
}

/* Keys are listed by type and fingerprint: the PEM text is long and adds nothing. */
static json_t *
keys_json(const char *pem)
{
	json_t *arr = json_array();
	dk_pubkey_info *info = NULL;
	size_t n = 0;

	if (pem && *pem && dk_pubkey_parse_all(&info, &n, pem, "trusted keys") == 0) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "type", info[i].type,
							     "fingerprint", info[i].fingerprint));
	}
	free(info);
	return arr;
}

json_t *
dk_platform_to_json(const dk_platform *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", dk_json_str(p->id));
	json_object_set_new(o, "account_id", dk_json_str(p->account_id));
	json_object_set_new(o, "name", dk_json_str(p->name));
	json_object_set_new(o, "arch", dk_json_str(p->arch));
	json_object_set_new(o, "default_publication_id", dk_json_str(p->default_publication_id));
	json_object_set_new(o, "default_git_sha", dk_json_str(p->default_git_sha));
	json_object_set_new(o, "disk_image_oci_ref", dk_json_str(p->disk_image_oci_ref));
	json_object_set_new(o, "disk_image_publication_status", dk_json_str(p->publication_status));
	json_object_set_new(o, "disk_image_publication_error", dk_json_str(p->publication_error));
	json_object_set_new(o, "disk_image_retention_count", json_integer(p->retention_count));
	json_object_set_new(o, "cosign_identity_regexp", dk_json_str(p->cosign_identity_regexp));
	json_object_set_new(o, "cosign_issuer_regexp", dk_json_str(p->cosign_issuer_regexp));
	json_object_set_new(o, "trusted_keys", keys_json(p->trusted_keys));
	json_object_set_new(o, "tlog_policy", dk_json_str(p->tlog_policy));
	json_object_set_new(o, "trusted_root", dk_json_str(p->trusted_root));
	json_object_set_new(o, "build_repo", dk_json_str(p->build_repo));
	json_object_set_new(o, "workflow_file", dk_json_str(p->workflow_file));
	json_object_set_new(o, "created_at", dk_json_time(p->created_at));
	json_object_set_new(o, "updated_at", dk_json_time(p->updated_at));
	return o;
}

json_t *
dk_publication_to_json(const dk_publication *p)
{
	json_t *o = json_object();
	json_t *payload = p->payload ? json_loads(p->payload, 0, NULL) : NULL;

	json_object_set_new(o, "id", dk_json_str(p->id));
	json_object_set_new(o, "account_id", dk_json_str(p->account_id));
	json_object_set_new(o, "node_platform_id", dk_json_str(p->node_platform_id));
	json_object_set_new(o, "platform_name", dk_json_str(p->platform_name));
	json_object_set_new(o, "git_sha", dk_json_str(p->git_sha));
	json_object_set_new(o, "status", json_string(dk_pub_status_name(p->status)));
	json_object_set_new(o, "is_default", json_boolean(p->is_default));
	json_object_set_new(o, "oci_ref", dk_json_str(p->oci_ref));
	json_object_set_new(o, "oci_digest", dk_json_str(p->oci_digest));
	json_object_set_new(o, "sha256", dk_json_str(p->artifact_sha256));
	json_object_set_new(o, "size_bytes", p->size_bytes > 0 ? json_integer(p->size_bytes) : json_null());
	json_object_set_new(o, "arch", dk_json_str(p->arch));
	json_object_set_new(o, "firmware_ref", dk_json_str(p->firmware_ref));
	json_object_set_new(o, "sbom_url", dk_json_str(p->sbom_url));
	json_object_set_new(o, "cosign_verified", json_boolean(p->cosign_verified));
	json_object_set_new(o, "cosign_identity", dk_json_str(p->cosign_identity));
	json_object_set_new(o, "cosign_issuer", dk_json_str(p->cosign_issuer));
	json_object_set_new(o, "signature_kind", dk_json_str(p->signature_kind));
	json_object_set_new(o, "tlog_index", p->tlog_index >= 0 ? json_integer(p->tlog_index) : json_null());
	json_object_set_new(o, "error_message", dk_json_str(p->error_message));
	json_object_set_new(o, "attempt_count", json_integer(p->attempt_count));
	json_object_set_new(o, "webhook_id", dk_json_str(p->webhook_id));
	json_object_set_new(o, "payload", payload ? payload : json_object());
	json_object_set_new(o, "built_at", dk_json_time(p->built_at));
	json_object_set_new(o, "verified_at", dk_json_time(p->verified_at));
	json_object_set_new(o, "published_at", dk_json_time(p->published_at));
	json_object_set_new(o, "retired_at", dk_json_time(p->retired_at));
	json_object_set_new(o, "purged_at", dk_json_time(p->purged_at));
	json_object_set_new(o, "created_at", dk_json_time(p->created_at));
	json_object_set_new(o, "updated_at", dk_json_time(p->updated_at));
	return o;
}

json_t *
dk_event_to_json(const dk_event *e)
{
	json_t *payload = e->payload ? json_loads(e->payload, 0, NULL) : NULL;

	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)e->id,
			 "account_id", dk_json_str(e->account_id),
			 "kind", dk_json_str(e->kind),
			 "severity", dk_json_str(e->severity),
			 "source", dk_json_str(e->source),
			 "subject_id", dk_json_str(e->subject_id),
			 "payload", payload ? payload : json_object(),
			 "created_at", dk_json_time(e->created_at));
}
