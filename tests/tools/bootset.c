#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "bootset.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

dk_oci_client *
bs_client(const char *host)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	dk_oci_client *c = NULL;

	o.docker_config = "/nonexistent/config.json";
	if (dk_oci_client_new(&c, host, &o) < 0)
		fail_msg("oci client for %s: %s", host, dk_error_last()->message);
	return c;
}

static json_t *
layer(dk_oci_client *c, const char *repo, const char *media_type, const char *title,
      const char *data)
{
	char *digest = NULL;
	json_t *j;

	if (dk_oci_blob_push_mem(&digest, c, repo, data, strlen(data)) < 0)
		fail_msg("blob push: %s", dk_error_last()->message);
	j = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", digest, "size",
		      (json_int_t)strlen(data), "annotations", "org.opencontainers.image.title", title);
	free(digest);
	return j;
}

static void
put_manifest(char **digest, dk_oci_client *c, const char *repo, const char *tag, json_t *m)
{
	char *bytes = json_dumps(m, JSON_COMPACT);

	json_decref(m);
	if (dk_oci_manifest_put(digest, c, repo, tag, DK_OCI_MEDIA_OCI_MANIFEST, bytes,
				strlen(bytes)) != 0)
		fail_msg("manifest put %s:%s: %s", repo, tag, dk_error_last()->message);
	free(bytes);
}

static char *
empty_config(dk_oci_client *c, const char *repo)
{
	char *digest = NULL;

	if (dk_oci_blob_push_mem(&digest, c, repo, "{}", 2) < 0)
		fail_msg("config push: %s", dk_error_last()->message);
	return digest;
}

void
bs_push_boot_set(char **digest, int64_t *size, dk_oci_client *c, const char *repo,
		 const char *tag, int seq)
{
	char k[64], i[64], r[64], *cfg = empty_config(c, repo);
	json_t *m;

	snprintf(k, sizeof(k), "kernel %d", seq);
	snprintf(i, sizeof(i), "initramfs bytes %d", seq);
	snprintf(r, sizeof(r), "rootfs erofs bytes %d!", seq);
	if (size)
		*size = (int64_t)(strlen(k) + strlen(i) + strlen(r));
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[o, o, o]}", "schemaVersion", 2, "mediaType",
		      DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType", DK_OCI_MEDIA_EMPTY, "digest",
		      cfg, "size", 2, "layers",
		      layer(c, repo, "application/vnd.acct.disk-image.kernel.v1", "vmlinuz", k),
		      layer(c, repo, "application/vnd.acct.disk-image.initramfs.v1", "initramfs.cpio.gz", i),
		      layer(c, repo, "application/vnd.acct.disk-image.rootfs.v1", "rootfs.erofs", r));
	put_manifest(digest, c, repo, tag, m);
	free(cfg);
}

void
bs_push_signature(dk_oci_client *c, const char *repo, const char *digest, const char *key)
{
	dk_sigstore_signer *s = NULL;
	dk_sigstore_layer *l = NULL;
	char tag[80], *cfg, *pd = NULL;
	json_t *m;

	if (dk_sigstore_signer_load(&s, key) < 0 || dk_sigstore_sign_legacy(&l, s, digest, NULL) < 0)
		fail_msg("signing %s: %s", digest, dk_error_last()->message);
	if (dk_oci_blob_push_mem(&pd, c, repo, l->payload, l->payload_len) < 0)
		fail_msg("payload push: %s", dk_error_last()->message);
	cfg = empty_config(c, repo);
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion",
		      2, "mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType",
		      DK_OCI_MEDIA_EMPTY, "digest", cfg, "size", 2, "layers", "mediaType",
		      "application/vnd.dev.cosign.simplesigning.v1+json", "digest", pd, "size",
		      (json_int_t)l->payload_len, "annotations", "dev.cosignproject.cosign/signature",
		      l->signature);
	assert_int_equal(dk_oci_digest_tag(tag, digest), 0);
	strcat(tag, ".sig");
	put_manifest(NULL, c, repo, tag, m);
	free(cfg);
	free(pd);
	dk_sigstore_layer_free(l);
	dk_sigstore_signer_free(s);
}

int
bs_manifest_present(dk_oci_client *c, const char *repo, const char *digest)
{
	dk_oci_manifest *m = NULL;
	int rc = dk_oci_manifest_get(&m, c, repo, digest);

	dk_oci_manifest_free(m);
	if (rc == DK_ENOTFOUND)
		return 0;
	if (rc < 0)
		fail_msg("GET %s@%s: %s", repo, digest, dk_error_last()->message);
	return 1;
}
