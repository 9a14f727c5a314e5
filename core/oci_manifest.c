/* Manifests and indexes: parse, GET (hashed here), resolve by platform, HEAD, PUT, DELETE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/error.h"
#include "oci_internal.h"

void
dk_oci_descriptor_free(dk_oci_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	free(d->title);
	free(d->os);
	free(d->architecture);
	free(d->variant);
	json_decref(d->annotations);
	free(d);
}

static void
descriptor_clear(dk_oci_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	free(d->title);
	free(d->os);
	free(d->architecture);
	free(d->variant);
	json_decref(d->annotations);
}

void
dk_oci_manifest_free(dk_oci_manifest *m)
{
	size_t i;

	if (!m)
		return;
	free(m->media_type);
	free(m->digest);
	free(m->data);
	free(m->artifact_type);
	dk_oci_descriptor_free(m->config);
	dk_oci_descriptor_free(m->subject);
	for (i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	json_decref(m->annotations);
	free(m->index_digest);
	free(m);
}

static char *
json_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? strdup(s) : NULL;
}

/* One descriptor; `where` names it in messages ("layers[2]"). */
static int
parse_descriptor(dk_oci_descriptor *d, json_t *j, const char *where)
{
	json_t *size = json_object_get(j, "size"), *ann = json_object_get(j, "annotations"),
	       *plat = json_object_get(j, "platform");
	const char *digest = json_string_value(json_object_get(j, "digest"));

	memset(d, 0, sizeof(*d));
	if (!json_is_object(j) || !json_string_value(json_object_get(j, "mediaType")) ||
	    !json_is_integer(size) || json_integer_value(size) < 0 || !digest)
		return dk_error_set(DK_EINVALID, "manifest %s: not a descriptor (mediaType, digest, size)", where);
	if (dk_oci_digest_valid(digest) < 0)
		return dk_error_prefix("manifest %s", where);
	d->media_type = json_strdup(j, "mediaType");
	d->digest = strdup(digest);
	d->size = json_integer_value(size);
	d->artifact_type = json_strdup(j, "artifactType");
	if (json_is_object(ann)) {
		d->annotations = json_incref(ann);
		d->title = json_strdup(ann, "org.opencontainers.image.title");
	}
	if (json_is_object(plat)) {
		d->os = json_strdup(plat, "os");
		d->architecture = json_strdup(plat, "architecture");
		d->variant = json_strdup(plat, "variant");
	}
	if (!d->media_type || !d->digest)
		return dk_error_set(DK_ENOMEM, "out of memory");
	return 0;
}

static int
parse_one(dk_oci_descriptor **out, json_t *j, const char *where)
{
	dk_oci_descriptor *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = parse_descriptor(d, j, where)) < 0) {
		dk_oci_descriptor_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int
dk_oci_manifest_parse(dk_oci_manifest **out, const void *data, size_t len, const char *content_type)
{
	dk_oci_manifest *m = NULL;
	json_t *doc = NULL, *list, *item;
	json_error_t jerr;
	const char *mt;
	char where[32];
	size_t i;
	int rc = DK_EINVALID;

	*out = NULL;
	if (len > DK_OCI_MANIFEST_MAX) {
		dk_error_set(DK_EINVALID, "manifest is %zu bytes, more than the %u allowed", len, DK_OCI_MANIFEST_MAX);
		goto done;
	}
	if (!(doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(doc)) {
		dk_error_set(DK_EINVALID, "manifest is not a JSON object: %s", doc ? "wrong type" : jerr.text);
		goto done;
	}
	if (json_integer_value(json_object_get(doc, "schemaVersion")) != 2) {
		dk_error_set(DK_EINVALID, "manifest schemaVersion is not 2 (Docker v2 schema 1 is not supported)");
		goto done;
	}
	if (!(m = calloc(1, sizeof(*m))) || !(m->data = malloc(len ? len : 1))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(m->data, data, len);
	m->size = len;
	mt = json_string_value(json_object_get(doc, "mediaType"));
	if (!mt)
		mt = content_type;
	m->media_type = mt ? strdup(mt) : NULL;
	m->artifact_type = json_strdup(doc, "artifactType");
	if (json_is_object(json_object_get(doc, "annotations")))
		m->annotations = json_incref(json_object_get(doc, "annotations"));
	list = json_object_get(doc, "manifests");
	m->is_index = json_is_array(list) ||
		      (mt && (strcmp(mt, DK_OCI_MEDIA_OCI_INDEX) == 0 || strcmp(mt, DK_OCI_MEDIA_DOCKER_LIST) == 0));
	if (!m->is_index) {
		list = json_object_get(doc, "layers");
		if ((rc = parse_one(&m->config, json_object_get(doc, "config"), "config")) < 0)
			goto done;
	}
	if (list && !json_is_array(list)) {
		rc = dk_error_set(DK_EINVALID, "manifest %s is not an array", m->is_index ? "manifests" : "layers");
		goto done;
	}
	if (json_object_get(doc, "subject") &&
	    (rc = parse_one(&m->subject, json_object_get(doc, "subject"), "subject")) < 0)
		goto done;
	if (json_array_size(list) && !(m->layers = calloc(json_array_size(list), sizeof(*m->layers)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(list, i, item) {
		snprintf(where, sizeof(where), "%s[%zu]", m->is_index ? "manifests" : "layers", i);
		m->n_layers = i + 1;
		if ((rc = parse_descriptor(&m->layers[i], item, where)) < 0)
			goto done;
	}
	*out = m;
	m = NULL;
	rc = 0;
done:
	dk_oci_manifest_free(m);
	json_decref(doc);
	return rc;
}

/* "repo:tag" or "repo@digest" for messages. */
static void
ref_what(char *buf, size_t n, const char *repo, const char *reference)
{
	snprintf(buf, n, "%s%s%s", repo, strncmp(reference, "sha256:", 7) == 0 ? "@" : ":", reference);
}

static int
check_reference(const char *reference)
{
	size_t i, n;

	if (!reference || !*reference)
		return dk_error_set(DK_EINVALID, "empty manifest reference");
	if (strchr(reference, ':'))
		return dk_oci_digest_valid(reference);
	n = strlen(reference);
	for (i = 0; i < n; i++)
		if (!(reference[i] >= 'a' && reference[i] <= 'z') && !(reference[i] >= 'A' && reference[i] <= 'Z') &&
		    !(reference[i] >= '0' && reference[i] <= '9') && !strchr("._-", reference[i]))
			return dk_error_set(DK_EINVALID, "tag \"%s\" has characters a tag cannot have", reference);
	return n > 128 ? dk_error_set(DK_EINVALID, "tag \"%.32s…\" is longer than 128", reference) : 0;
}

static char *
scope_of(const char *repo, const char *actions)
{
	char *s;

	return asprintf(&s, "repository:%s:%s", repo, actions) < 0 ? NULL : s;
}

int
dk_oci_manifest_get(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *reference)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, what[512], got[72];
	int rc;

	*out = NULL;
	if ((rc = check_reference(reference)) < 0)
		return rc;
	ref_what(what, sizeof(what), repo, reference);
	url = oci_url(c, "/v2/%s/manifests/%s", repo, reference);
	scope = scope_of(repo, "pull");
	if (!url || !scope) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	req.method = "GET";
	req.url = url;
	req.scopes[0] = scope;
	/* Registry 2.8 answers 404 to an OCI manifest unless the Accept header names it. */
	req.accept = oci_manifest_accept;
	req.body_cap = DK_OCI_MANIFEST_MAX;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0) {
		if (resp.body_overflow)
			rc = dk_error_set(DK_EINVALID, "registry %s: manifest %s is larger than %u bytes",
					  c->registry, what, DK_OCI_MANIFEST_MAX);
		goto done;
	}
	if (resp.status != 200) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	/* The registry is never trusted: the bytes are hashed here. */
	dk_oci_digest_of(got, resp.body ? resp.body : (unsigned char *)"", resp.body_len);
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(got, reference) != 0) {
		rc = dk_error_set(DK_EVERIFY, "manifest %s digest mismatch: got %s", what, got);
		goto done;
	}
	if (strncmp(reference, "sha256:", 7) != 0 && resp.digest && strcmp(got, resp.digest) != 0) {
		rc = dk_error_set(DK_EVERIFY, "manifest %s digest mismatch: registry says %s, got %s",
				  what, resp.digest, got);
		goto done;
	}
	if ((rc = dk_oci_manifest_parse(out, resp.body ? resp.body : (unsigned char *)"", resp.body_len,
					resp.content_type)) < 0) {
		dk_error_prefix("registry %s: %s", c->registry, what);
		goto done;
	}
	if (!((*out)->digest = strdup(got))) {
		dk_oci_manifest_free(*out);
		*out = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
	}
done:
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}

static int
platform_matches(const dk_oci_descriptor *d, const char *arch)
{
	if (!d->os || !d->architecture || strcmp(d->os, "linux") != 0 || strcmp(d->architecture, arch) != 0)
		return 0;
	/* arm64 images are v8 whether or not they say so. */
	return !d->variant || strcmp(arch, "arm64") != 0 || strcmp(d->variant, "v8") == 0;
}

int
dk_oci_resolve(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *reference,
	       const char *arch)
{
	dk_oci_manifest *idx = NULL, *m = NULL;
	const dk_oci_descriptor *pick = NULL;
	char have[512] = "", what[512];
	size_t i;
	int rc;

	*out = NULL;
	if (!arch)
		arch = c->arch;
	if ((rc = dk_oci_manifest_get(&idx, c, repo, reference)) < 0)
		return rc;
	if (!idx->is_index) {
		*out = idx;
		return 0;
	}
	for (i = 0; i < idx->n_layers && !pick; i++)
		if (platform_matches(&idx->layers[i], arch))
			pick = &idx->layers[i];
	if (!pick) {
		for (i = 0; i < idx->n_layers; i++) {
			size_t n = strlen(have);

			snprintf(have + n, sizeof(have) - n, "%s%s/%s%s%s", i ? ", " : "",
				 idx->layers[i].os ? idx->layers[i].os : "?",
				 idx->layers[i].architecture ? idx->layers[i].architecture : "?",
				 idx->layers[i].variant ? "/" : "", idx->layers[i].variant ? idx->layers[i].variant : "");
		}
		ref_what(what, sizeof(what), repo, reference);
		rc = dk_error_set(DK_ENOTFOUND, "registry %s: index %s (%s) has no linux/%s manifest (it has %s)",
				  c->registry, what, idx->digest, arch, i ? have : "nothing");
		goto done;
	}
	if ((rc = dk_oci_manifest_get(&m, c, repo, pick->digest)) < 0)
		goto done;
	if ((int64_t)m->size != pick->size) {
		rc = dk_error_set(DK_EVERIFY, "manifest %s@%s is %zu bytes, the index says %lld",
				  repo, pick->digest, m->size, (long long)pick->size);
		goto done;
	}
	if (m->is_index) {
		rc = dk_error_set(DK_EINVALID, "registry %s: index %s points at another index %s",
				  c->registry, idx->digest, m->digest);
		goto done;
	}
	m->index_digest = idx->digest;
	idx->digest = NULL;
	*out = m;
	m = NULL;
done:
	dk_oci_manifest_free(idx);
	dk_oci_manifest_free(m);
	return rc;
}

int
dk_oci_manifest_head(dk_oci_descriptor **out, dk_oci_client *c, const char *repo, const char *reference)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	dk_oci_descriptor *d = NULL;
	char *url = NULL, *scope = NULL, what[512];
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_reference(reference)) < 0)
		return rc;
	ref_what(what, sizeof(what), repo, reference);
	url = oci_url(c, "/v2/%s/manifests/%s", repo, reference);
	scope = scope_of(repo, "pull");
	if (!url || !scope) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	req.method = "HEAD";
	req.url = url;
	req.scopes[0] = scope;
	req.accept = oci_manifest_accept;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
		goto done;
	if (resp.status != 200) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	if (out) {
		if (!(d = calloc(1, sizeof(*d)))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		d->media_type = resp.content_type;
		d->digest = resp.digest;
		resp.content_type = resp.digest = NULL;
		d->size = resp.content_length;
		*out = d;
	}
done:
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}

int
dk_oci_manifest_put(char **digest_out, dk_oci_client *c, const char *repo, const char *tag,
		    const char *media_type, const void *data, size_t len)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	oci_body body = { 0 };
	char *url = NULL, *scope = NULL, what[512], digest[72];
	int rc;

	if (digest_out)
		*digest_out = NULL;
	if (len > DK_OCI_MANIFEST_MAX)
		return dk_error_set(DK_EINVALID, "manifest is %zu bytes, more than the %u allowed",
				    len, DK_OCI_MANIFEST_MAX);
	if (!media_type || !*media_type)
		return dk_error_set(DK_EINVALID, "manifest PUT needs a media type");
	dk_oci_digest_of(digest, data, len);
	if (!tag)
		tag = digest;
	if ((rc = check_reference(tag)) < 0)
		return rc;
	ref_what(what, sizeof(what), repo, tag);
	url = oci_url(c, "/v2/%s/manifests/%s", repo, tag);
	scope = scope_of(repo, "pull,push");
	if (!url || !scope) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	body.mem = data;
	body.len = len;
	req.method = "PUT";
	req.url = url;
	req.scopes[0] = scope;
	req.content_type = media_type;
	req.body = &body;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
		goto done;
	if (resp.status != 201 && resp.status != 200) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	if (resp.digest && strcmp(resp.digest, digest) != 0) {
		rc = dk_error_set(DK_EVERIFY, "registry %s stored manifest %s as %s, expected %s",
				  c->registry, what, resp.digest, digest);
		goto done;
	}
	if (digest_out && !(*digest_out = strdup(digest)))
		rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}

int
dk_oci_manifest_delete(dk_oci_client *c, const char *repo, const char *digest)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, what[512];
	int rc;

	/* Registries refuse DELETE by tag (400 DIGEST_INVALID): say so before asking. */
	if (dk_oci_digest_valid(digest) < 0)
		return dk_error_prefix("manifest DELETE needs a digest, not a tag");
	ref_what(what, sizeof(what), repo, digest);
	url = oci_url(c, "/v2/%s/manifests/%s", repo, digest);
	scope = scope_of(repo, "delete");
	if (!url || !scope) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	req.method = "DELETE";
	req.url = url;
	req.scopes[0] = scope;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
		goto done;
	if (resp.status != 202 && resp.status != 200)
		rc = oci_status_error(c, &resp, what);
done:
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}
