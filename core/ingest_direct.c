/*
 * `diskops ingest OCI-REF`: the publication row a webhook would have made, without the
 * webhook, then the processor inline (DESIGN §4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/process.h"
#include "diskops/store_serve.h"
#include "diskops/upload.h"

#define REVISION "org.opencontainers.image.revision"
/* When the registry failed mid-ingest, `serve` tries again after this long. */
#define RETRY_AFTER_S 60

void
dk_ingest_outcome_clear(dk_ingest_outcome *o)
{
	free(o->publication_id);
	free(o->platform_name);
	free(o->git_sha);
	free(o->oci_ref);
	free(o->oci_digest);
	free(o->error_message);
	memset(o, 0, sizeof(*o));
}

bool
dk_git_sha_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 128)
		return false;
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      *s == '.' || *s == '_' || *s == '-' || *s == ':'))
			return false;
	}
	return true;
}

/* The manifest the reference names now: its digest, and the revision it declares. */
static int
resolve(char **digest, char **pinned, char **revision, const char *text, const char *arch,
	const dk_config *cfg)
{
	dk_oci_options opts = DK_OCI_OPTIONS_INIT;
	dk_oci_ref *ref = NULL;
	dk_oci_client *c = NULL;
	dk_oci_manifest *m = NULL;
	json_t *rev;
	int rc;

	if ((rc = dk_oci_ref_parse(&ref, text)) < 0)
		return rc;
	dk_oci_options_from_config(&opts, cfg, ref->registry);
	opts.arch = arch;
	if ((rc = dk_oci_client_new(&c, ref->registry, &opts)) < 0 ||
	    (rc = dk_oci_resolve(&m, c, ref->repository, dk_oci_ref_reference(ref), arch)) < 0)
		goto done;
	rev = m->annotations ? json_object_get(m->annotations, REVISION) : NULL;
	*digest = strdup(m->digest);
	*pinned = dk_oci_ref_pinned(ref, m->digest);
	*revision = json_is_string(rev) ? strdup(json_string_value(rev)) : NULL;
	if (!*digest || !*pinned || (json_is_string(rev) && !*revision))
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	dk_oci_ref_free(ref);
	return rc;
}

/* The (platform, git_sha) rules of DESIGN §4; the row to process in out->publication_id. */
static int
upsert(dk_store *store, dk_ingest_outcome *out, const dk_platform *plat)
{
	dk_publication row = { 0 }, *cur = NULL, *made = NULL;
	int rc;

	row.account_id = plat->account_id;
	row.node_platform_id = plat->id;
	row.git_sha = out->git_sha;
	row.oci_ref = out->oci_ref;
	row.arch = plat->arch;
	row.payload = "{}";
	row.status = DK_PUB_QUEUED;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	rc = dk_store_publication_find_sha(store, &cur, plat->account_id, plat->id, out->git_sha);
	if (rc == DK_ENOTFOUND) {
		if ((rc = dk_store_publication_insert(store, &made, &row)) < 0)
			goto fail;
		out->created = true;
		out->publication_id = strdup(made->id);
	} else if (rc < 0) {
		goto fail;
	} else if (cur->status == DK_PUB_PUBLISHED) {
		out->publication_id = strdup(cur->id);
		if (cur->oci_digest && strcmp(cur->oci_digest, out->oci_digest) != 0) {
			rc = dk_error_set(DK_ECONFLICT, "git_sha %s is already published on '%s' with a "
					  "DIFFERENT artifact (%s, publication %s); %s was not ingested",
					  cur->git_sha, plat->name, cur->oci_digest, cur->id,
					  out->oci_digest);
			goto fail;
		}
		out->idempotent_hit = true;
		out->status = DK_PUB_PUBLISHED;
	} else if (cur->status == DK_PUB_RETIRED || cur->status == DK_PUB_PURGED) {
		out->publication_id = strdup(cur->id);
		rc = dk_error_set(DK_ECONFLICT, "git_sha %s was published on '%s' and is now %s "
				  "(publication %s); push a new commit to publish again, or "
				  "`diskops promote` it", cur->git_sha, plat->name,
				  dk_pub_status_name(cur->status), cur->id);
		goto fail;
	} else {
		row.id = cur->id;
		if ((rc = dk_store_publication_refresh(store, &row)) < 0)
			goto fail;
		out->publication_id = strdup(cur->id);
	}
	if (!out->publication_id) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto fail;
	}
	rc = dk_store_commit(store);
	goto done;
fail:
	dk_store_rollback(store);
done:
	dk_publication_free(cur);
	dk_publication_free(made);
	return rc;
}

int
dk_ingest_ref(dk_store *store, dk_ingest_outcome *out, const char *account_id,
	      const dk_ingest_request *req)
{
	dk_platform *plat = NULL;
	dk_process_result r = { 0 };
	char *revision = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req->git_sha && !dk_git_sha_valid(req->git_sha))
		return dk_error_set(DK_EINVALID, "git sha \"%s\" must be 1-128 characters of "
				    "[0-9A-Za-z._:-]", req->git_sha);
	if ((rc = dk_store_platform_find(store, &plat, account_id, req->platform)) < 0)
		return rc;
	if (!(out->platform_name = strdup(plat->name))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = resolve(&out->oci_digest, &out->oci_ref, &revision, req->oci_ref, plat->arch,
			  req->cfg)) < 0) {
		dk_error_prefix("%s (nothing recorded)", req->oci_ref);
		goto done;
	}
	if (req->git_sha)
		out->git_sha = strdup(req->git_sha);
	else if (revision) {
		if (!dk_git_sha_valid(revision)) {
			rc = dk_error_set(DK_EINVALID, "%s: the manifest's %s \"%.140s\" is not a "
					  "usable git sha (1-128 of [0-9A-Za-z._:-]); give --git-sha",
					  req->oci_ref, REVISION, revision);
			goto done;
		}
		out->git_sha = strdup(revision);
	} else {
		out->git_sha = strdup(out->oci_digest);
	}
	if (!out->git_sha) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = upsert(store, out, plat)) < 0 || out->idempotent_hit)
		goto done;
	rc = dk_process_publication(store, &r, account_id, out->publication_id, req->actor);
	if (rc < 0) {
		int code = rc;
		char msg[1024];

		/* As the webhook's queue would: `serve` retries a registry that failed us. */
		snprintf(msg, sizeof(msg), "%s", dk_error_last()->message);
		out->status = DK_PUB_VERIFYING;
		if (dk_store_job_enqueue(store, &out->retry_job, "ingest", out->publication_id,
					 account_id, dk_clock_now() + RETRY_AFTER_S) < 0)
			out->retry_job = 0;
		rc = dk_error_set(code, "%s", msg);
		goto done;
	}
	out->status = r.status;
	if (r.error_message && !(out->error_message = strdup(r.error_message)))
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	dk_process_result_clear(&r);
	free(revision);
	dk_platform_free(plat);
	return rc;
}
