#ifndef DISKOPS_UPLOAD_H
#define DISKOPS_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/config.h"
#include "diskops/model.h"
#include "diskops/store.h"

/*
 * Ingest without a webhook, and direct upload for air-gapped sites (DESIGN §4):
 * `diskops ingest OCI-REF` (core/ingest_direct.c) and `diskops upload` (core/upload.c).
 */

/* ---- direct ingest --------------------------------------------------------------- */

typedef struct {
	const char *platform;   /* name or id, in the account */
	const char *oci_ref;    /* any reference: tag, digest or both */
	/*
	 * The idempotency key. NULL: the manifest's org.opencontainers.image.revision
	 * annotation, else the manifest digest ("sha256:<hex>", as the webhook uses for a
	 * digest-pinned oci_ref without git_sha).
	 */
	const char *git_sha;
	const char *actor;
	const dk_config *cfg;   /* [registry] settings; NULL: the defaults */
} dk_ingest_request;

typedef struct {
	char *publication_id;
	char *platform_name;
	char *git_sha;
	char *oci_ref;          /* as recorded: digest-pinned "registry/repo@sha256:…" */
	char *oci_digest;       /* the manifest digest the ref resolved to */
	dk_pub_status status;   /* where the row ended */
	bool created;           /* a new row (else an existing one was reused) */
	bool idempotent_hit;    /* published already with this digest: nothing done */
	char *error_message;    /* failed: the reason recorded on the row */
	int64_t retry_job;      /* > 0: the registry was unreachable; queued for `serve` */
} dk_ingest_outcome;

/*
 * Resolves the reference (the manifest is fetched and hashed here, so the row records
 * the digest looked at, and a tag moved meanwhile cannot change what is ingested),
 * applies the (platform, git_sha) rules of DESIGN §4 and runs the processor inline:
 *   no row                    → a new row, processed
 *   queued/failed/verifying   → refreshed with this ref, processed again
 *   published, same digest    → *out idempotent_hit, nothing done
 *   published, other digest   → DK_ECONFLICT, nothing written
 *   retired/purged            → DK_ECONFLICT, nothing written
 * Returns 0 when the processor decided (out->status published or failed). A reference
 * that does not resolve is an error before anything is written (DK_ENOTFOUND,
 * DK_EVERIFY, DK_EAUTH, DK_EIO). When the registry fails during the processing the row
 * stays verifying, an ingest job is queued for `diskops serve` (out->retry_job) and the
 * network error is returned.
 */
int dk_ingest_ref(dk_store *store, dk_ingest_outcome *out, const char *account_id,
		  const dk_ingest_request *req);
void dk_ingest_outcome_clear(dk_ingest_outcome *o);

/* 1-128 characters of [0-9A-Za-z._:-], as the webhook accepts. */
bool dk_git_sha_valid(const char *s);

/* ---- direct upload --------------------------------------------------------------- */

/* Media types and the artifact type of what `diskops upload` pushes. */
#define DK_UPLOAD_ARTIFACT_IMAGE     "application/vnd.powernode.disk-image.v1"
#define DK_UPLOAD_ARTIFACT_BOOT_SET  "application/vnd.powernode.boot-set.v1"
#define DK_UPLOAD_MEDIA_IMAGE        "application/octet-stream"
#define DK_UPLOAD_MEDIA_KERNEL       "application/vnd.powernode.disk-image.kernel.v1"
#define DK_UPLOAD_MEDIA_INITRAMFS    "application/vnd.powernode.disk-image.initramfs.v1"
#define DK_UPLOAD_MEDIA_ROOTFS       "application/vnd.powernode.disk-image.rootfs.v1.erofs"

typedef struct {
	const char *kernel, *initramfs, *rootfs;  /* a boot set, all three */
	const char *image;                        /* or one raw .img */
	const char *repo;       /* "registry[:port]/path", no tag or digest */
	const char *tag;
	const char *key;        /* PEM private key (diskops keygen) */
	const char *git_sha;    /* recorded as org.opencontainers.image.revision; may be NULL */
	const dk_config *cfg;
} dk_upload_request;

typedef struct {
	char *digest;           /* the manifest's */
	char *pinned;           /* "registry/repo@sha256:…" */
	char *signature_tag;    /* "sha256-<hex>.sig" */
	int64_t size;           /* sum of the artifact layers */
} dk_upload_result;

/*
 * Checks every input first (files readable and regular, the key loadable, the repo and
 * tag well formed): DK_EINVALID naming the file or value, nothing pushed. Then pushes
 * each file streamed (chunked PATCH when large), an empty config and the manifest
 * under `tag` (no timestamp in it: the same files and git sha give the same digest),
 * and a legacy cosign signature at sha256-<hex>.sig (appended to the signatures
 * already there, as cosign does).
 */
int dk_upload(dk_upload_result *out, const dk_upload_request *req);
void dk_upload_result_clear(dk_upload_result *r);

#endif
