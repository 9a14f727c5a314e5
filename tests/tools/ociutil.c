/* Disk-image artifacts and their signatures pushed to a test registry (ociutil.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/sigstore.h"
#include "ociutil.h"
#include "testutil.h"

#define EMPTY_CONFIG "{}"
#define BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"

json_t *
ou_layer(dk_oci_client *c, const char *repo, const char *media_type, const char *title,
	 const void *data, size_t len)
{
	char *digest = NULL;
	json_t *j;

	if (dk_oci_blob_push_mem(&digest, c, repo, data, len) != 0)
		fail_msg("blob push: %s", dk_error_last()->message);
	j = json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
		      (json_int_t)len);
	if (title)
		json_object_set_new(j, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.title", title));
	free(digest);
	return j;
}

char *
ou_manifest(dk_oci_client *c, const char *repo, const char *tag, json_t *layers,
	    const char *artifact_type, json_t *subject)
{
	char *cfg_digest = NULL, *bytes, *digest = NULL;
	json_t *m;

	if (dk_oci_blob_push_mem(&cfg_digest, c, repo, EMPTY_CONFIG, 2) != 0)
		fail_msg("config push: %s", dk_error_last()->message);
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:o}", "schemaVersion", 2, "mediaType",
		      DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType", DK_OCI_MEDIA_EMPTY, "digest",
		      cfg_digest, "size", 2, "layers", layers);
	if (artifact_type)
		json_object_set_new(m, "artifactType", json_string(artifact_type));
	if (subject)
		json_object_set_new(m, "subject", subject);
	bytes = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (dk_oci_manifest_put(&digest, c, repo, tag, DK_OCI_MEDIA_OCI_MANIFEST, bytes,
				strlen(bytes)) != 0)
		fail_msg("manifest put: %s", dk_error_last()->message);
	free(bytes);
	free(cfg_digest);
	return digest;
}

char *
ou_boot_set(dk_oci_client *c, const char *repo, const char *tag, int seq, int64_t *size)
{
	char k[64], i[64], r[64];

	snprintf(k, sizeof(k), "kernel %d", seq);
	snprintf(i, sizeof(i), "initramfs bytes %d", seq);
	snprintf(r, sizeof(r), "rootfs erofs bytes %d!", seq);
	*size = (int64_t)(strlen(k) + strlen(i) + strlen(r));
	return ou_manifest(c, repo, tag,
			   json_pack("[o, o, o]",
				     ou_layer(c, repo, "application/vnd.acct.disk-image.kernel.v1",
					      "vmlinuz", k, strlen(k)),
				     ou_layer(c, repo, "application/vnd.acct.disk-image.initramfs.v1",
					      "initramfs.cpio.gz", i, strlen(i)),
				     ou_layer(c, repo, "application/vnd.acct.disk-image.rootfs.v1",
					      "rootfs.erofs", r, strlen(r))),
			   NULL, NULL);
}

char *
ou_img(dk_oci_client *c, const char *repo, const char *tag, const char *name, const void *img,
       size_t img_len, const char *bundle, const char *attestation)
{
	json_t *layers = json_array();
	char title[256];

	json_array_append_new(layers, ou_layer(c, repo, "application/octet-stream", name, img,
					       img_len));
	if (bundle) {
		snprintf(title, sizeof(title), "%s.cosign-bundle", name);
		json_array_append_new(layers, ou_layer(c, repo, "application/vnd.dev.cosign.bundle.v1+json",
						       title, bundle, strlen(bundle)));
	}
	if (attestation) {
		snprintf(title, sizeof(title), "%s.attestation-bundle", name);
		json_array_append_new(layers, ou_layer(c, repo,
						       "application/vnd.dev.cosign.attestation.v1+json",
						       title, attestation, strlen(attestation)));
	}
	return ou_manifest(c, repo, tag, layers, "application/vnd.powernode.disk-image.v1", NULL);
}

void
ou_sign_legacy(dk_oci_client *c, const char *repo, const char *digest, const char *key)
{
	dk_sigstore_signer *s = NULL;
	dk_sigstore_layer *l = NULL;
	json_t *layer;
	char tag[80];

	if (dk_sigstore_signer_load(&s, key) != 0 || dk_sigstore_sign_legacy(&l, s, digest, NULL) != 0)
		fail_msg("sign: %s", dk_error_last()->message);
	layer = ou_layer(c, repo, "application/vnd.dev.cosign.simplesigning.v1+json", NULL,
			 l->payload, l->payload_len);
	json_object_set_new(layer, "annotations", json_pack("{s:s}", "dev.cosignproject.cosign/signature",
							     l->signature));
	assert_int_equal(dk_oci_digest_tag(tag, digest), 0);
	strcat(tag, ".sig");
	free(ou_manifest(c, repo, tag, json_pack("[o]", layer), NULL, NULL));
	dk_sigstore_layer_free(l);
	dk_sigstore_signer_free(s);
}

char *
ou_manifest_bytes(dk_oci_client *c, const char *repo, const char *digest, size_t *len)
{
	dk_oci_manifest *m = NULL;
	char *out;

	if (dk_oci_manifest_get(&m, c, repo, digest) != 0)
		fail_msg("manifest get: %s", dk_error_last()->message);
	out = malloc(m->size + 1);
	memcpy(out, m->data, m->size);
	out[m->size] = '\0';
	*len = m->size;
	dk_oci_manifest_free(m);
	return out;
}

char *
ou_attach_bundle(dk_oci_client *c, const char *repo, const char *digest, const char *bundle)
{
	dk_oci_descriptor *subj = NULL;
	dk_oci_manifest *old = NULL;
	json_t *subject, *index, *entries, *entry;
	char tag[80], *ref_digest, *bytes;
	size_t ref_len;
	int rc;

	if (dk_oci_manifest_head(&subj, c, repo, digest) != 0)
		fail_msg("head: %s", dk_error_last()->message);
	subject = json_pack("{s:s, s:s, s:I}", "mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest",
			    digest, "size", (json_int_t)subj->size);
	dk_oci_descriptor_free(subj);
	ref_digest = ou_manifest(c, repo, NULL,
				 json_pack("[o]", ou_layer(c, repo, BUNDLE_V03, NULL, bundle,
							   strlen(bundle))),
				 BUNDLE_V03, subject);
	free(ou_manifest_bytes(c, repo, ref_digest, &ref_len));
	/* The tag-schema index: what cosign and @sigstore/oci keep on registries like 2.8. */
	assert_int_equal(dk_oci_digest_tag(tag, digest), 0);
	rc = dk_oci_manifest_get(&old, c, repo, tag);
	if (rc == 0) {
		index = json_loadb((const char *)old->data, old->size, 0, NULL);
		dk_oci_manifest_free(old);
	} else {
		assert_int_equal(rc, DK_ENOTFOUND);
		index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
				  DK_OCI_MEDIA_OCI_INDEX, "manifests");
	}
	entries = json_object_get(index, "manifests");
	entry = json_pack("{s:s, s:s, s:I, s:s, s:{s:s}}", "mediaType", DK_OCI_MEDIA_OCI_MANIFEST,
			  "digest", ref_digest, "size", (json_int_t)ref_len, "artifactType",
			  BUNDLE_V03, "annotations", "dev.sigstore.bundle.content",
			  strstr(bundle, "\"dsseEnvelope\"") ? "dsse-envelope" : "message-signature");
	json_array_append_new(entries, entry);
	bytes = json_dumps(index, JSON_COMPACT);
	json_decref(index);
	if (dk_oci_manifest_put(NULL, c, repo, tag, DK_OCI_MEDIA_OCI_INDEX, bytes, strlen(bytes)) != 0)
		fail_msg("index put: %s", dk_error_last()->message);
	free(bytes);
	return ref_digest;
}

char *
ou_key_bundle(const char *key_path, const void *data, size_t len)
{
	dk_sigstore_signer *s = NULL;
	char *bundle = NULL;

	if (dk_sigstore_signer_load(&s, key_path) != 0 ||
	    dk_sigstore_sign_blob(&bundle, s, data, len) != 0)
		fail_msg("sign blob: %s", dk_error_last()->message);
	dk_sigstore_signer_free(s);
	return bundle;
}

int
ou_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}
