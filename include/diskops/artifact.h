#ifndef DISKOPS_ARTIFACT_H
#define DISKOPS_ARTIFACT_H

/*
 * One verified disk-image artifact in a registry: what ingest, `diskops verify` and
 * `diskops pull` establish, through one code path (core/ingest_oci.c, core/ingest_sig.c).
 *
 * Layouts (DESIGN §4):
 *   img       the original CI's: one `.img` layer, optionally `.cosign-bundle` and
 *             `.attestation-bundle` layers beside it (blob signatures over the .img sha256)
 *   boot-set  kernel + initramfs + rootfs (composefs/EROFS) layers, by title or media type
 * Signatures, first verified wins: Sigstore bundles attached as referrers (API or the
 * sha256-<hex> tag index), the legacy sha256-<hex>.sig image, then (img only) the
 * `.cosign-bundle` layer. An `.attestation-bundle` layer, when present, must verify too.
 */

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diskops/config.h"
#include "diskops/model.h"
#include "diskops/sigstore.h"
#include "diskops/store.h"

typedef struct {
	char *title;            /* org.opencontainers.image.title, or NULL */
	char *media_type;
	char *digest;           /* "sha256:<hex>", checked as the bytes streamed in */
	int64_t size;
} dk_artifact_file;

typedef struct {
	char *digest;                   /* "sha256:<hex>" of the image manifest */
	char *artifact_sha256;          /* hex: the .img's, or the manifest's for a boot set */
	int64_t size;                   /* sum of the artifact files */
	const char *layout;             /* "img" | "boot-set" */
	const char *signature_source;   /* "referrer" | "legacy" | "blob-bundle" */
	dk_sigstore_result *sig;        /* the verified signature */
	dk_artifact_file files[3];      /* the .img, or kernel, initramfs, rootfs */
	size_t n_files;
	json_t *attestation_predicate;  /* the verified attestation's predicate, or NULL */
} dk_artifact;

void dk_artifact_clear(dk_artifact *a);

/* The checksum file `diskops pull` writes beside the layers. */
#define DK_ARTIFACT_SUMS "SHA256SUMS"

/*
 * The name a layer's file goes by: its title, or kernel / initramfs / rootfs (by index)
 * for an untitled boot-set layer. NULL, with the reason in why, when the title is not a
 * plain file name (a path, a dot file, a control character, SHA256SUMS): ingest refuses
 * such an artifact and pull never writes one.
 */
const char *dk_artifact_file_name(const dk_artifact_file *f, size_t index, char why[256]);

/* What the artifact must match besides its signature (all optional). */
typedef struct {
	const char *sha256;     /* hex, from the webhook or the publication row */
	int64_t size;           /* < 0: not checked */
	const char *digest;     /* the manifest digest it must have (pull: the published one) */
	const char *arch;       /* the index entry to take; NULL: the platform's arch */
} dk_artifact_expect;

#define DK_ARTIFACT_EXPECT_NONE { NULL, -1, NULL, NULL }

/*
 * Fetches and verifies `oci_ref` against `plat`'s trust policy (the platform's arch picks
 * from an index), streams every file once and checks it, writes nothing. Returns 0 when
 * verified; 1 with *reason (caller frees) when the artifact is refused (a decision);
 * negative when it could not decide (network, memory: worth retrying).
 */
int dk_artifact_verify(dk_artifact *out, char **reason, const dk_platform *plat,
		       const char *oci_ref, const dk_artifact_expect *expect, const dk_config *cfg);

/* `diskops pull`: the verified files of a published publication in a directory. */
typedef void (*dk_pull_progress_fn)(void *payload, const char *name, int64_t done, int64_t total);

typedef struct {
	dk_publication *publication;
	dk_artifact artifact;
	char **paths;           /* the files written (n_files), then SHA256SUMS */
	size_t n_paths;
} dk_pull_result;

void dk_pull_result_free(dk_pull_result *r);

/*
 * Resolves `target` (a platform name/id: its default; or a publication id) in the
 * account, refuses anything not published (DK_ESTATE), re-verifies it against the
 * platform's current trust policy and the digests, sha256 and size recorded at publish,
 * and writes the files and SHA256SUMS into `dir` atomically (temp names, fsync, rename,
 * fsync dir). A refusal is DK_EVERIFY with the reason as the message; nothing of this
 * pull is left in `dir` on any failure. progress may be NULL.
 */
int dk_pull(dk_pull_result **out, dk_store *store, const char *account_id, const char *target,
	    const char *dir, const dk_config *cfg, dk_pull_progress_fn progress, void *payload);

#endif
