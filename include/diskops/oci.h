#ifndef DISKOPS_OCI_H
#define DISKOPS_OCI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diskops/config.h"

/*
 * OCI registry client (distribution spec v2) on libcurl.
 *
 * The registry is never trusted: every manifest is hashed locally and checked against
 * the digest asked for (or Docker-Content-Digest when asked by tag), every blob is
 * hashed and sized as it streams in. Verification failures are DK_EVERIFY (final);
 * network trouble, 429 and 5xx after retries are DK_EIO (worth retrying later);
 * 401/403 are DK_EAUTH; 404 is DK_ENOTFOUND. Messages name the registry, the HTTP
 * status and the registry's error code, e.g.
 *   registry 127.0.0.1:5000: manifest unknown (404 MANIFEST_UNKNOWN) for acct/x:v1
 *
 * A client is for one registry host and one thread at a time (one curl handle, so
 * connections are kept alive between requests). Credentials and tokens never reach
 * the log.
 */

#define DK_OCI_MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define DK_OCI_MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define DK_OCI_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DK_OCI_MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define DK_OCI_MEDIA_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define DK_OCI_MEDIA_EMPTY           "application/vnd.oci.empty.v1+json"

/* Manifests larger than this are refused: they are the one thing held in memory. */
#define DK_OCI_MANIFEST_MAX (4u * 1024 * 1024)

/* ---- references ---------------------------------------------------------------- */

/*
 * host[:port]/repo[:tag][@sha256:<64 lower hex>]. Docker Hub names are normalised
 * ("ubuntu" -> registry-1.docker.io/library/ubuntu, docker.io -> registry-1.docker.io);
 * IPv6 literals are bracketed ("[::1]:5000/x").
 */
typedef struct dk_oci_ref {
	char *registry;     /* "127.0.0.1:5000", "[::1]:5000", "registry-1.docker.io" */
	char *repository;   /* "acct/disk-images/ubuntu", "library/ubuntu" */
	char *tag;          /* NULL when none was given */
	char *digest;       /* "sha256:<hex>" or NULL */
} dk_oci_ref;

/* DK_EINVALID with a message naming the part that is wrong. */
int dk_oci_ref_parse(dk_oci_ref **out, const char *text);
void dk_oci_ref_free(dk_oci_ref *ref);
/* What to ask the registry for: the digest when there is one, else the tag, else "latest". */
const char *dk_oci_ref_reference(const dk_oci_ref *ref);
/* "registry/repo[:tag][@digest]"; caller frees. */
char *dk_oci_ref_string(const dk_oci_ref *ref);
/* "registry/repo@sha256:…" for a digest; caller frees. */
char *dk_oci_ref_pinned(const dk_oci_ref *ref, const char *digest);

/* 0 when digest is "sha256:" + 64 lower-case hex, DK_EINVALID otherwise. */
int dk_oci_digest_valid(const char *digest);
/* "sha256:<hex>" of a buffer into out (72 bytes). */
void dk_oci_digest_of(char out[72], const void *data, size_t len);
/* The referrers tag-schema tag for a digest: "sha256-<hex>" into out (72 bytes). */
int dk_oci_digest_tag(char out[72], const char *digest);

/* ---- client -------------------------------------------------------------------- */

typedef struct dk_oci_client dk_oci_client;

/* Called instead of sleeping between retries (tests record the delay). */
typedef void (*dk_oci_sleep_fn)(void *payload, long ms);

typedef struct dk_oci_options {
	int version;                /* DK_OCI_OPTIONS_VERSION */
	/*
	 * Basic credentials. NULL: look the registry up in the Docker config
	 * ($DOCKER_CONFIG/config.json, else ~/.docker/config.json, "auths" with a base64
	 * "auth" field or username/password).
	 */
	const char *username;
	const char *password;
	const char *docker_config;  /* explicit config.json path, overrides the above */
	/*
	 * Plain HTTP, or HTTPS without certificate checks, is allowed only when this is set
	 * (the operator named the host in [registry] insecure) or the host is loopback
	 * (127.0.0.1, localhost, ::1). Such hosts are tried over HTTPS first and fall back
	 * to HTTP when the TLS handshake fails. Every other host is HTTPS, verified.
	 */
	int insecure;
	const char *ca_file;        /* extra CA bundle for a private registry, or NULL */
	long connect_timeout_ms;    /* default 10000 */
	long low_speed_time_s;      /* abort when below 1 KiB/s for this long, default 30 */
	int max_retries;            /* on 429, 5xx and dropped connections; default 4 */
	long retry_base_ms;         /* backoff base, doubled each retry; default 250 */
	long retry_max_ms;          /* cap for backoff and Retry-After; default 30000 */
	uint64_t chunk_size;        /* blobs above this are pushed in PATCH chunks; default 16 MiB */
	const char *arch;           /* index resolution: "amd64" or "arm64"; default the host's */
	dk_oci_sleep_fn sleep;      /* NULL: really sleep */
	void *sleep_payload;
} dk_oci_options;

#define DK_OCI_OPTIONS_VERSION 1
#define DK_OCI_OPTIONS_INIT { DK_OCI_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/*
 * The options for a registry from [registry] in the config: credentials and the
 * insecure flag apply only when `registry` is [registry] host. Strings are borrowed
 * from cfg.
 */
void dk_oci_options_from_config(dk_oci_options *opts, const dk_config *cfg, const char *registry);

/* A client for one registry ("host[:port]", as in dk_oci_ref.registry). */
int dk_oci_client_new(dk_oci_client **out, const char *registry, const dk_oci_options *opts);

/* GET /v2/ (with the client's credentials): *http_status is the answer's status; DK_EIO
 * when no answer came. serve's heartbeat records this as the registry's reachability. */
int dk_oci_ping(dk_oci_client *c, long *http_status);
void dk_oci_client_free(dk_oci_client *client);
const char *dk_oci_client_registry(const dk_oci_client *client);
/* How many Bearer tokens this client fetched (for tests and metrics). */
unsigned dk_oci_client_token_fetches(const dk_oci_client *client);
/* How many new connections it opened to the registry (the rest were kept alive). */
unsigned dk_oci_client_connects(const dk_oci_client *client);

/* ---- manifests ----------------------------------------------------------------- */

typedef struct dk_oci_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	char *artifact_type;        /* NULL when absent */
	char *title;                /* annotations["org.opencontainers.image.title"] or NULL */
	char *os, *architecture, *variant;  /* index entries: platform, or NULL */
	json_t *annotations;        /* object or NULL; owned by the descriptor */
} dk_oci_descriptor;

typedef struct dk_oci_manifest {
	char *media_type;           /* from the document, else the Content-Type */
	char *digest;               /* sha256 of data, computed here */
	unsigned char *data;        /* the exact bytes (what signatures cover) */
	size_t size;
	int is_index;               /* OCI index or Docker manifest list */
	char *artifact_type;
	dk_oci_descriptor *config;  /* NULL for an index */
	dk_oci_descriptor *subject; /* NULL when absent */
	dk_oci_descriptor *layers;  /* image manifest layers, or index entries */
	size_t n_layers;
	json_t *annotations;
	char *index_digest;         /* set by dk_oci_resolve when it went through an index */
} dk_oci_manifest;

void dk_oci_manifest_free(dk_oci_manifest *m);

/* Parses manifest bytes (any of the four media types) without fetching. */
int dk_oci_manifest_parse(dk_oci_manifest **out, const void *data, size_t len, const char *content_type);

/*
 * GET a manifest or index by tag or digest, checked as described at the top:
 * DK_EVERIFY "manifest <repo>@<asked> digest mismatch: got sha256:…".
 */
int dk_oci_manifest_get(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *reference);

/*
 * Like dk_oci_manifest_get, but an index is resolved to its linux/<arch> image manifest
 * (arch from the options, or `arch` when not NULL); DK_ENOTFOUND naming what the index
 * holds when nothing matches.
 */
int dk_oci_resolve(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *reference,
		   const char *arch);

/*
 * HEAD: existence, digest, size and type without the body. The digest is the
 * registry's claim (nothing to hash); use it to decide, never to trust.
 * DK_ENOTFOUND when absent. Any output may be NULL.
 */
int dk_oci_manifest_head(dk_oci_descriptor **out, dk_oci_client *c, const char *repo, const char *reference);

/*
 * PUT a manifest under a tag (or its own digest when tag is NULL). *digest_out (may be
 * NULL) gets the locally computed digest; a registry answering another digest is DK_EVERIFY.
 */
int dk_oci_manifest_put(char **digest_out, dk_oci_client *c, const char *repo, const char *tag,
			const char *media_type, const void *data, size_t len);

/* DELETE by digest (registries refuse tags: DK_EINVALID before asking). */
int dk_oci_manifest_delete(dk_oci_client *c, const char *repo, const char *digest);

void dk_oci_descriptor_free(dk_oci_descriptor *d);

/* ---- tags and referrers -------------------------------------------------------- */

typedef struct dk_oci_strings {
	char **items;
	size_t n;
} dk_oci_strings;

void dk_oci_strings_free(dk_oci_strings *s);

/* All tags of a repository (follows Link pagination). */
int dk_oci_tags_list(dk_oci_strings **out, dk_oci_client *c, const char *repo);

/*
 * Manifests that refer to `digest` (OCI 1.1 subject): the referrers API, and when the
 * registry has none (404/400/405, as registry 2.8) the "sha256-<hex>" tag-schema index.
 * Returns an index manifest whose layers are the referrer descriptors (possibly none),
 * filtered by artifact_type when not NULL. The entries are hints, not trust.
 */
int dk_oci_referrers(dk_oci_manifest **out, dk_oci_client *c, const char *repo, const char *digest,
		     const char *artifact_type);

/* ---- blobs --------------------------------------------------------------------- */

/*
 * Receives a blob as it arrives, in chunks no larger than libcurl's buffer (16 KiB by
 * default). Return 0 to go on, a negative DK_E* to stop. The bytes are unverified until
 * the call that streams them returns 0.
 */
typedef int (*dk_oci_sink_fn)(void *payload, const unsigned char *data, size_t len);

/*
 * Streams a blob to `sink`, SHA-256 and size checked as it arrives: more bytes than
 * `size` stops at once; fewer, or other bytes, is DK_EVERIFY
 * ("blob sha256:… digest mismatch: got sha256:…", "blob sha256:… truncated: …").
 * size < 0 means unknown (only the digest is checked). A dropped connection resumes
 * with Range from the byte reached.
 */
int dk_oci_blob_get(dk_oci_client *c, const char *repo, const char *digest, int64_t size,
		    dk_oci_sink_fn sink, void *payload);
/* Same into a file descriptor (written sequentially from its current offset). */
int dk_oci_blob_get_fd(dk_oci_client *c, const char *repo, const char *digest, int64_t size, int fd);

/* HEAD on a blob: 0 and *size_out (may be NULL) when present, DK_ENOTFOUND when not. */
int dk_oci_blob_exists(dk_oci_client *c, const char *repo, const char *digest, int64_t *size_out);

/* Pushes a buffer (configs, signatures); skipped when present. *digest_out may be NULL. */
int dk_oci_blob_push_mem(char **digest_out, dk_oci_client *c, const char *repo, const void *data, size_t len);

/*
 * Pushes a file, streamed (hashed first, then sent): skipped when the blob is present,
 * monolithic PUT up to chunk_size, chunked PATCH above. *out (may be NULL) gets the
 * descriptor (digest, size; media_type left NULL).
 */
int dk_oci_blob_push_file(dk_oci_descriptor **out, dk_oci_client *c, const char *repo, const char *path);

/*
 * Cross-repository mount: 0 when the registry linked `digest` from `from_repo`,
 * DK_ENOTFOUND when it could not (the upload it opened instead is cancelled).
 */
int dk_oci_blob_mount(dk_oci_client *c, const char *repo, const char *digest, const char *from_repo);

#endif
