#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"
#include "diskops/process.h"
#include "diskops/store_serve.h"

#define NOT_AVAILABLE "ingest not available"

void
dk_process_result_clear(dk_process_result *r)
{
	free(r->error_message);
	free(r->platform_id);
	free(r->git_sha);
	memset(r, 0, sizeof(*r));
}

/* Row failed, platform failed, one event; the old default keeps serving. */
static int
fail_publication(dk_store *store, const dk_publication *p, const char *message, const char *actor)
{
	json_t *payload;
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_publication_transition(store, p->account_id, p->id, DK_PUB_FAILED,
						  message)) < 0 ||
	    (rc = dk_store_platform_set_status(store, p->account_id, p->node_platform_id, "failed",
					       message)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	payload = json_pack("{s:s, s:s, s:s}", "platform", p->platform_name, "git_sha", p->git_sha,
			    "error", message);
	dk_event_emit(store, p->account_id, "system.disk_image_publish_failed", "error", actor, p->id,
		      payload);
	json_decref(payload);
	return dk_store_commit(store);
}

static int
start_verifying(dk_store *store, const dk_publication *p)
{
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_publication_transition(store, p->account_id, p->id, DK_PUB_VERIFYING,
						  NULL)) < 0 ||
	    (rc = dk_store_platform_set_status(store, p->account_id, p->node_platform_id,
					       "verifying", NULL)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	return dk_store_commit(store);
}

int
dk_process_publication(dk_store *store, dk_process_result *out, const char *account_id,
		       const char *publication_id, const char *actor)
{
	dk_publication *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dk_store_publication_get(store, &p, account_id, publication_id)) < 0)
		return rc;
	out->platform_id = strdup(p->node_platform_id);
	out->git_sha = strdup(p->git_sha);
	out->status = p->status;
	switch (p->status) {
	case DK_PUB_PUBLISHED:
		out->idempotent_hit = true;
		goto done;
	case DK_PUB_RETIRED:
	case DK_PUB_PURGED:
		/* A strict no-op: a retired build is never re-ingested behind the operator's back. */
		out->error_message = strdup(p->status == DK_PUB_RETIRED ? "publication is retired; not "
					    "processed" : "publication is purged; not processed");
		goto done;
	default:
		break;
	}
	if ((rc = start_verifying(store, p)) < 0)
		goto done;
	dk_log_info("msg=\"ingest started\" publication=%s platform=%s git_sha=%s", p->id,
		    p->platform_name, p->git_sha);
	if ((rc = fail_publication(store, p, NOT_AVAILABLE, actor)) < 0)
		goto done;
	out->status = DK_PUB_FAILED;
	out->error_message = strdup(NOT_AVAILABLE);
	dk_log_warn("msg=\"ingest failed\" publication=%s error=\"%s\"", p->id, NOT_AVAILABLE);
done:
	dk_publication_free(p);
	if (rc < 0)
		dk_process_result_clear(out);
	return rc;
}
