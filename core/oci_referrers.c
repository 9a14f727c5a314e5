/*
 * Referrers of a digest: the OCI 1.1 API, and the "sha256-<hex>" tag-schema index for
 * registries without it (registry 2.8 answers 404). Entries are hints, never trust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "oci_internal.h"

/* Keeps only entries of one artifactType (many registries ignore the filter). */
static void
filter(dk_oci_manifest *m, const char *artifact_type)
{
	size_t i, k = 0;

	if (!artifact_type)
		return;
	for (i = 0; i < m->n_layers; i++) {
		dk_oci_descriptor *d = &m->layers[i];

		if (d->artifact_type && strcmp(d->artifact_type, artifact_type) == 0) {
			if (k != i)
				m->layers[k] = *d;
			k++;
			continue;
		}
		free(d->media_type);
		free(d->digest);
		free(d->artifact_type);
		free(d->title);
		free(d->os);
		free(d->architecture);
		free(d->variant);
		json_decref(d->annotations);
	}
	m->n_layers = k;
}

static int
empty_index(dk_oci_manifest **out)
{
	static const char doc[] = "{\"schemaVersion\":2,\"mediaType\":\"" DK_OCI_MEDIA_OCI_INDEX "\",\"manifests\":[]}";

	return dk_oci_manifest_parse(out, doc, sizeof(doc) - 1, NULL);
}

int
dk_oci_referrers(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *digest,
		 const char *artifact_type)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, *esc = NULL, what[512], tag[72];
	int rc;

	*out = NULL;
	if ((rc = dk_oci_digest_tag(tag, digest)) < 0)
		return dk_error_prefix("referrers");
	snprintf(what, sizeof(what), "referrers of %s@%s", repo, digest);
	if (artifact_type && !(esc = curl_easy_escape(c->curl, artifact_type, 0))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	url = oci_url(c, "/v2/%s/referrers/%s%s%s", repo, digest, esc ? "?artifactType=" : "", esc ? esc : "");
	if (!url || asprintf(&scope, "repository:%s:pull", repo) < 0) {
		scope = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	req.method = "GET";
	req.url = url;
	req.scopes[0] = scope;
	req.accept = "Accept: " DK_OCI_MEDIA_OCI_INDEX;
	req.body_cap = DK_OCI_MANIFEST_MAX;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
		goto done;
	if (resp.status == 200 && resp.body_len &&
	    dk_oci_manifest_parse(out, resp.body, resp.body_len, resp.content_type) == 0 && (*out)->is_index) {
		filter(*out, artifact_type);
		goto done;
	}
	dk_oci_manifest_free(*out);
	*out = NULL;
	if (resp.status != 200 && resp.status != 404 && resp.status != 400 && resp.status != 405) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	/* No referrers API: the tag schema, where a missing tag means nothing refers. */
	rc = dk_oci_manifest_get(out, c, repo, tag);
	if (rc == DK_ENOTFOUND) {
		rc = empty_index(out);
		goto done;
	}
	if (rc < 0)
		goto done;
	if (!(*out)->is_index) {
		dk_oci_manifest_free(*out);
		*out = NULL;
		rc = dk_error_set(DK_EINVALID, "registry %s: tag %s in %s is not an index", c->registry, tag, repo);
		goto done;
	}
	filter(*out, artifact_type);
done:
	oci_resp_reset(&resp);
	curl_free(esc);
	free(url);
	free(scope);
	return rc;
}
