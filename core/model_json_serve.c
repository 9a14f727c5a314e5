#include "diskops/model_json.h"
#include "diskops/webhook.h"

json_t *
dk_webhook_to_json(const dk_webhook *w)
{
	json_t *o = json_object();
	char path[160];

	snprintf(path, sizeof(path), "%s%s", DK_WEBHOOK_PATH, w->id);
	json_object_set_new(o, "id", dk_json_str(w->id));
	json_object_set_new(o, "account_id", dk_json_str(w->account_id));
	json_object_set_new(o, "label", dk_json_str(w->label));
	json_object_set_new(o, "status", dk_json_str(w->status));
	json_object_set_new(o, "secret_preview", dk_json_str(w->secret_preview));
	json_object_set_new(o, "received_count", json_integer(w->received_count));
	json_object_set_new(o, "last_received_at", dk_json_time(w->last_received_at));
	json_object_set_new(o, "last_rotated_at", dk_json_time(w->last_rotated_at));
	json_object_set_new(o, "created_by", dk_json_str(w->created_by));
	json_object_set_new(o, "webhook_url_path", json_string(path));
	json_object_set_new(o, "created_at", dk_json_time(w->created_at));
	json_object_set_new(o, "updated_at", dk_json_time(w->updated_at));
	return o;
}

json_t *
dk_delivery_to_json(const dk_delivery *d)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "webhook_id", dk_json_str(d->webhook_id));
	json_object_set_new(o, "received_at", dk_json_time(d->received_at));
	json_object_set_new(o, "remote_addr", dk_json_str(d->remote_addr));
	json_object_set_new(o, "body_sha256", dk_json_str(d->body_sha256));
	json_object_set_new(o, "body_size", json_integer(d->body_size));
	json_object_set_new(o, "signature_ok", json_boolean(d->signature_ok));
	json_object_set_new(o, "http_status", json_integer(d->http_status));
	json_object_set_new(o, "outcome", dk_json_str(d->outcome));
	json_object_set_new(o, "reason", dk_json_str(d->reason));
	json_object_set_new(o, "publication_id", dk_json_str(d->publication_id));
	return o;
}

json_t *
dk_worker_to_json(const dk_worker *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", dk_json_str(w->id));
	json_object_set_new(o, "account_id", dk_json_str(w->account_id));
	json_object_set_new(o, "name", dk_json_str(w->name));
	json_object_set_new(o, "status", dk_json_str(w->status));
	json_object_set_new(o, "roles", json_pack("[s]", w->role ? w->role : "ci_worker"));
	json_object_set_new(o, "terminated_at", dk_json_time(w->terminated_at));
	json_object_set_new(o, "last_seen_at", dk_json_time(w->last_seen_at));
	json_object_set_new(o, "created_at", dk_json_time(w->created_at));
	json_object_set_new(o, "updated_at", dk_json_time(w->updated_at));
	return o;
}

json_t *
dk_job_to_json(const dk_job *j)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "kind", dk_json_str(j->kind));
	json_object_set_new(o, "subject_id", dk_json_str(j->subject_id));
	json_object_set_new(o, "state", dk_json_str(j->state));
	json_object_set_new(o, "attempts", json_integer(j->attempts));
	json_object_set_new(o, "run_after", dk_json_time(j->run_after));
	json_object_set_new(o, "lease_until", dk_json_time(j->lease_until));
	json_object_set_new(o, "leased_by", dk_json_str(j->leased_by));
	json_object_set_new(o, "last_error", dk_json_str(j->last_error));
	json_object_set_new(o, "created_at", dk_json_time(j->created_at));
	json_object_set_new(o, "updated_at", dk_json_time(j->updated_at));
	return o;
}
