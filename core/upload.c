/*
 * `diskops upload`: local files as an OCI artifact in the layout ingest reads (a boot
 * set titled kernel/initramfs/rootfs, or one .img), signed with a local key as cosign
 * signs an image (legacy sha256-<hex>.sig tag). Files are streamed by the OCI client;
 * nothing large is held in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/sigstore.h"
#include "diskops/upload.h"

#define TITLE "org.opencontainers.image.title"
#define REVISION "org.opencontainers.image.revision"
#define SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIG_ANNOTATION "dev.cosignproject.cosign/signature"
#define EMPTY_CONFIG "{}"

typedef struct {
	const char *flag;       /* for messages: "--kernel" */
	const char *path;
	const char *media_type;
	const char *prefix[2];  /* the title prefixes ingest recognises for this role */
	const char *fallback;   /* the title when the file's name is not one of them */
	char *title;
	dk_oci_descriptor *pushed;
} part;

void
dk_upload_result_clear(dk_upload_result *r)
{
	free(r->digest);
	free(r->pinned);
	free(r->signature_tag);
	memset(r, 0, sizeof(*r));
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Readable regular file, checked before anything goes to the registry. */
static int
check_file(const part *p)
{
	struct stat st;
	int fd = open(p->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return dk_error_set(DK_EINVALID, "%s %s: %s", p->flag, p->path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return dk_error_set(DK_EINVALID, "%s %s: not a regular file", p->flag, p->path);
	}
	close(fd);
	return 0;
}

/*
 * The file's own name when ingest would recognise it for its role, else the role's
 * name. A boot-set title never ends in ".img" (ingest would take it for a raw image:
 * think of Debian's initrd.img); a raw image's always does.
 */
static int
make_title(part *p)
{
	char *copy = strdup(p->path), *base;
	int rc = 0;

	if (!copy)
		return dk_error_set(DK_ENOMEM, "out of memory");
	base = basename(copy);
	if (!p->prefix[0]) {
		if (ends_with(base, ".img"))
			p->title = strdup(base);
		else if (asprintf(&p->title, "%s.img", base) < 0)
			p->title = NULL;
	} else if (!ends_with(base, ".img") &&
		   (strncmp(base, p->prefix[0], strlen(p->prefix[0])) == 0 ||
		    strncmp(base, p->prefix[1], strlen(p->prefix[1])) == 0)) {
		p->title = strdup(base);
	} else {
		p->title = strdup(p->fallback);
	}
	if (!p->title)
		rc = dk_error_set(DK_ENOMEM, "out of memory");
	free(copy);
	return rc;
}

static bool
tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(t[0] == '_' || (t[0] >= '0' && t[0] <= '9') ||
				   (t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
		return false;
	for (; *t; t++) {
		if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      *t == '.' || *t == '_' || *t == '-'))
			return false;
	}
	return true;
}

static json_t *
layer_json(const part *p)
{
	return json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", p->media_type, "digest",
			 p->pushed->digest, "size", (json_int_t)p->pushed->size, "annotations", TITLE,
			 p->title);
}

/* The artifact manifest: no timestamp, so the same files give the same digest. */
static char *
manifest_json(const part *parts, size_t n, const char *artifact_type, const char *config_digest,
	      const char *git_sha)
{
	json_t *layers = json_array(), *m;
	char *out;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(layers, layer_json(&parts[i]));
	m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:o}", "schemaVersion", 2, "mediaType",
		      DK_OCI_MEDIA_OCI_MANIFEST, "artifactType", artifact_type, "config",
		      "mediaType", DK_OCI_MEDIA_EMPTY, "digest", config_digest, "size",
		      (int)strlen(EMPTY_CONFIG), "layers", layers);
	if (m && git_sha)
		json_object_set_new(m, "annotations", json_pack("{s:s}", REVISION, git_sha));
	out = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	return out;
}

/* Our layer already in the signature image (same payload and signature)? */
static bool
has_layer(json_t *layers, const char *digest, const char *signature)
{
	size_t i;
	json_t *l;

	json_array_foreach(layers, i, l) {
		const char *d = json_string_value(json_object_get(l, "digest"));
		const char *s = json_string_value(
			json_object_get(json_object_get(l, "annotations"), SIG_ANNOTATION));

		if (d && s && strcmp(d, digest) == 0 && strcmp(s, signature) == 0)
			return true;
	}
	return false;
}

/*
 * sha256-<hex>.sig: cosign's signature image for the manifest. Signatures already there
 * (another signer's, an earlier upload's) are kept and ours appended, as cosign does.
 */
static int
push_signature(dk_upload_result *out, dk_oci_client *c, const dk_oci_ref *ref,
	       const dk_sigstore_signer *signer, const char *config_digest)
{
	dk_sigstore_layer *l = NULL;
	dk_oci_manifest *old = NULL;
	json_t *doc = NULL, *layers, *layer;
	char tag[80], *docker_ref = NULL, *pd = NULL, *bytes = NULL;
	int rc;

	if (asprintf(&docker_ref, "%s/%s", ref->registry, ref->repository) < 0) {
		docker_ref = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = dk_sigstore_sign_legacy(&l, signer, out->digest, docker_ref)) < 0 ||
	    (rc = dk_oci_blob_push_mem(&pd, c, ref->repository, l->payload, l->payload_len)) < 0)
		goto done;
	if ((rc = dk_oci_digest_tag(tag, out->digest)) < 0)
		goto done;
	strcat(tag, ".sig");
	rc = dk_oci_manifest_get(&old, c, ref->repository, tag);
	if (rc == 0 && !old->is_index)
		doc = json_loadb((const char *)old->data, old->size, 0, NULL);
	else if (rc < 0 && rc != DK_ENOTFOUND)
		goto done;
	if (!json_is_array(json_object_get(doc, "layers"))) {
		json_decref(doc);
		doc = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:[]}", "schemaVersion", 2,
				"mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType",
				DK_OCI_MEDIA_EMPTY, "digest", config_digest, "size",
				(int)strlen(EMPTY_CONFIG), "layers");
	}
	layers = doc ? json_object_get(doc, "layers") : NULL;
	if (!layers) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if (!has_layer(layers, pd, l->signature)) {
		layer = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", SIMPLESIGNING, "digest", pd,
				  "size", (json_int_t)l->payload_len, "annotations", SIG_ANNOTATION,
				  l->signature);
		json_array_append_new(layers, layer);
	}
	if (!(bytes = json_dumps(doc, JSON_COMPACT)) || !(out->signature_tag = strdup(tag))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	/* A Docker-typed signature image stays one; ours and new ones are OCI. */
	rc = dk_oci_manifest_put(NULL, c, ref->repository, tag,
				 old && old->media_type && !old->is_index ? old->media_type
									  : DK_OCI_MEDIA_OCI_MANIFEST,
				 bytes, strlen(bytes));
done:
	if (rc < 0)
		dk_error_prefix("signing %s", out->digest);
	free(bytes);
	free(pd);
	free(docker_ref);
	json_decref(doc);
	dk_oci_manifest_free(old);
	dk_sigstore_layer_free(l);
	return rc;
}

/* Everything that can be wrong locally, before the registry is touched. */
static int
check_inputs(dk_oci_ref **ref, dk_sigstore_signer **signer, part *parts, size_t n,
	     const dk_upload_request *req)
{
	int rc;

	if (!req->repo || !*req->repo)
		return dk_error_set(DK_EINVALID, "--repo REGISTRY/REPO is required");
	if ((rc = dk_oci_ref_parse(ref, req->repo)) < 0)
		return dk_error_prefix("--repo %s", req->repo);
	if ((*ref)->tag || (*ref)->digest)
		return dk_error_set(DK_EINVALID, "--repo %s: give the repository alone; the tag "
				    "goes in --tag", req->repo);
	if (!req->tag || !tag_valid(req->tag))
		return dk_error_set(DK_EINVALID, "--tag \"%s\" must be 1-128 characters of "
				    "[A-Za-z0-9._-], not starting with . or -",
				    req->tag ? req->tag : "");
	if (req->git_sha && !dk_git_sha_valid(req->git_sha))
		return dk_error_set(DK_EINVALID, "--git-sha \"%s\" must be 1-128 characters of "
				    "[0-9A-Za-z._:-]", req->git_sha);
	for (size_t i = 0; i < n; i++) {
		if ((rc = check_file(&parts[i])) < 0 || (rc = make_title(&parts[i])) < 0)
			return rc;
	}
	if (!req->key || !*req->key)
		return dk_error_set(DK_EINVALID, "--key KEY is required (make one with diskops keygen)");
	if ((rc = dk_sigstore_signer_load(signer, req->key)) < 0) {
		char msg[1024];

		/* Unreadable or not a key: the user's input, not an I/O fault of ours. */
		snprintf(msg, sizeof(msg), "%s", dk_error_last()->message);
		return dk_error_set(DK_EINVALID, "--key %s", msg);
	}
	return 0;
}

int
dk_upload(dk_upload_result *out, const dk_upload_request *req)
{
	part parts[3] = {
		{ "--kernel", req->kernel, DK_UPLOAD_MEDIA_KERNEL, { "kernel", "vmlinuz" }, "vmlinuz",
		  NULL, NULL },
		{ "--initramfs", req->initramfs, DK_UPLOAD_MEDIA_INITRAMFS, { "initramfs", "initrd" },
		  "initramfs", NULL, NULL },
		{ "--rootfs", req->rootfs, DK_UPLOAD_MEDIA_ROOTFS, { "rootfs", "composefs" },
		  "rootfs.erofs", NULL, NULL },
	};
	dk_oci_options opts;
	dk_oci_ref *ref = NULL;
	dk_oci_client *c = NULL;
	dk_sigstore_signer *signer = NULL;
	char *config_digest = NULL, *bytes = NULL;
	const char *artifact_type = DK_UPLOAD_ARTIFACT_BOOT_SET;
	size_t n = 3;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req->image) {
		if (req->kernel || req->initramfs || req->rootfs)
			return dk_error_set(DK_EINVALID, "give --image or --kernel/--initramfs/--rootfs, "
					    "not both");
		parts[0] = (part){ "--image", req->image, DK_UPLOAD_MEDIA_IMAGE, { NULL, NULL }, NULL,
				   NULL, NULL };
		artifact_type = DK_UPLOAD_ARTIFACT_IMAGE;
		n = 1;
	} else if (!req->kernel || !req->initramfs || !req->rootfs) {
		return dk_error_set(DK_EINVALID, "a boot set needs all of --kernel, --initramfs and "
				    "--rootfs (or give --image F.img)");
	}
	if ((rc = check_inputs(&ref, &signer, parts, n, req)) < 0)
		goto done;
	dk_oci_options_from_config(&opts, req->cfg, ref->registry);
	if ((rc = dk_oci_client_new(&c, ref->registry, &opts)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if ((rc = dk_oci_blob_push_file(&parts[i].pushed, c, ref->repository,
						parts[i].path)) < 0) {
			dk_error_prefix("%s %s", parts[i].flag, parts[i].path);
			goto done;
		}
		out->size += parts[i].pushed->size;
		dk_log_info("msg=\"uploaded\" file=%s title=%s digest=%s size=%lld", parts[i].path,
			    parts[i].title, parts[i].pushed->digest, (long long)parts[i].pushed->size);
	}
	if ((rc = dk_oci_blob_push_mem(&config_digest, c, ref->repository, EMPTY_CONFIG,
				       strlen(EMPTY_CONFIG))) < 0)
		goto done;
	if (!(bytes = manifest_json(parts, n, artifact_type, config_digest, req->git_sha))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = dk_oci_manifest_put(&out->digest, c, ref->repository, req->tag,
				      DK_OCI_MEDIA_OCI_MANIFEST, bytes, strlen(bytes))) < 0)
		goto done;
	if (!(out->pinned = dk_oci_ref_pinned(ref, out->digest))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	rc = push_signature(out, c, ref, signer, config_digest);
done:
	for (size_t i = 0; i < 3; i++) {
		free(parts[i].title);
		dk_oci_descriptor_free(parts[i].pushed);
	}
	free(bytes);
	free(config_digest);
	dk_sigstore_signer_free(signer);
	dk_oci_client_free(c);
	dk_oci_ref_free(ref);
	if (rc < 0)
		dk_upload_result_clear(out);
	return rc;
}
