#ifndef DISKOPS_SIGSTORE_H
#define DISKOPS_SIGSTORE_H

/*
 * Native cosign / Sigstore verification and key signing (DESIGN §4, issue 4).
 *
 * Verification is offline and follows reference/cosign-verify.md: certificates are
 * checked at the time a transparency log (SET) or a timestamp authority proves, never
 * at "now". A verification returns 0 when the signature verified; otherwise a negative
 * DK_E* code, and *out (when the call got far enough to build one) still receives a
 * result whose `reason` is the one sentence an operator reads in the console.
 */

#include <stddef.h>
#include <stdint.h>

/* A parsed trusted_root.json: Fulcio CAs, Rekor logs, CT logs, TSAs with validity windows. */
typedef struct dk_sigstore_root dk_sigstore_root;

/* The Sigstore public-good production root compiled into the binary. */
int dk_sigstore_root_default(dk_sigstore_root **out);
int dk_sigstore_root_load(dk_sigstore_root **out, const char *path);
int dk_sigstore_root_parse(dk_sigstore_root **out, const char *json, size_t len);
void dk_sigstore_root_free(dk_sigstore_root *root);

typedef enum {
	DK_SIGSTORE_TLOG_REQUIRED = 0, /* at least one entry must verify (SET or proof) */
	DK_SIGSTORE_TLOG_OPTIONAL,     /* entries present are verified; none is acceptable */
	DK_SIGSTORE_TLOG_IGNORE        /* cosign --insecure-ignore-tlog */
} dk_sigstore_tlog;

/* "required" | "optional" | "ignore" (the node_platform.tlog_policy column). */
int dk_sigstore_tlog_parse(dk_sigstore_tlog *out, const char *name);
const char *dk_sigstore_tlog_name(dk_sigstore_tlog tlog);

#define DK_SIGSTORE_OPTIONS_VERSION 1

typedef struct {
	unsigned int version;
	/* Borrowed; must outlive the verifier. NULL = the built-in production root. */
	const dk_sigstore_root *root;
	/* One or more PEM "PUBLIC KEY" blocks. Set = key mode (no certificate identity). */
	const char *trusted_keys;
	/* Keyless mode needs an identity and an issuer constraint, exact or regexp
	 * (Go RE2 syntax, unanchored search, as cosign). Exact wins when both are set. */
	const char *identity;
	const char *identity_regexp;
	const char *issuer;
	const char *issuer_regexp;
	dk_sigstore_tlog tlog;
	int ignore_sct;   /* cosign --insecure-ignore-sct: for private PKI without CT */
} dk_sigstore_options;

#define DK_SIGSTORE_OPTIONS_INIT { DK_SIGSTORE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, \
	NULL, NULL, DK_SIGSTORE_TLOG_REQUIRED, 0 }

/*
 * A verifier holds everything that does not depend on the signature: the trusted root,
 * parsed keys, compiled regexps. Build one per trust policy and reuse it; it is
 * read-only after creation and may be shared between threads.
 */
typedef struct dk_sigstore_verifier dk_sigstore_verifier;

int dk_sigstore_verifier_new(dk_sigstore_verifier **out, const dk_sigstore_options *opts);
void dk_sigstore_verifier_free(dk_sigstore_verifier *v);

typedef enum {
	DK_SIGSTORE_KIND_NONE = 0,
	DK_SIGSTORE_KIND_KEYLESS,
	DK_SIGSTORE_KIND_KEY
} dk_sigstore_kind;

const char *dk_sigstore_kind_name(dk_sigstore_kind kind); /* "none" | "keyless" | "key" */

typedef struct {
	int verified;
	dk_sigstore_kind kind;
	char *identity;          /* keyless: the certificate SAN that was matched */
	char *issuer;            /* keyless: OIDC issuer from the certificate */
	char *key_id;            /* key mode: hex SHA-256 of the matching key's SPKI */
	int64_t log_index;       /* -1 when no transparency log entry verified */
	int64_t integrated_time; /* SET-backed time, 0 when none */
	int64_t signed_time;     /* RFC 3161 TSA time, 0 when none */
	char *reason;            /* NULL when verified */
} dk_sigstore_result;

void dk_sigstore_result_free(dk_sigstore_result *r);

/* What was signed: the bytes, or only their digest ("sha256:<hex>"). */
typedef struct {
	const unsigned char *data;
	size_t len;
	const char *digest;
} dk_sigstore_artifact;

/*
 * A blob signature: a Sigstore bundle (v0.1-v0.3, message signature or DSSE whose
 * in-toto subject must carry the artifact's sha256) or the older cosign
 * `sign-blob --bundle` JSON ({base64Signature, cert, rekorBundle}).
 */
int dk_sigstore_verify_bundle(dk_sigstore_result **out, const dk_sigstore_verifier *v,
	const char *bundle, size_t bundle_len, const dk_sigstore_artifact *artifact);

/* One layer of a legacy cosign `sha256-<hex>.sig` image: payload blob + annotations. */
typedef struct {
	const unsigned char *payload;  /* the simplesigning layer blob, exact bytes */
	size_t payload_len;
	const char *layer_digest;      /* descriptor digest; NULL skips the re-hash */
	const char *signature;         /* dev.cosignproject.cosign/signature */
	const char *certificate;       /* dev.sigstore.cosign/certificate, or NULL */
	const char *chain;             /* dev.sigstore.cosign/chain, or NULL */
	const char *rekor_bundle;      /* dev.sigstore.cosign/bundle, or NULL */
	const char *rfc3161_timestamp; /* dev.sigstore.cosign/rfc3161timestamp, or NULL */
} dk_sigstore_legacy;

/* Verifies one signature layer against the image manifest digest ("sha256:<hex>"). */
int dk_sigstore_verify_legacy(dk_sigstore_result **out, const dk_sigstore_verifier *v,
	const dk_sigstore_legacy *sig, const char *manifest_digest);

/* ---- signing (air-gapped and tests): a local ECDSA P-256 key, no transparency log ---- */

/* Writes a new key to `path` (PKCS#8 PEM, mode 0600) and `path`.pub (SPKI PEM). */
int dk_sigstore_keygen(const char *path);

typedef struct dk_sigstore_signer dk_sigstore_signer;

int dk_sigstore_signer_load(dk_sigstore_signer **out, const char *path);
void dk_sigstore_signer_free(dk_sigstore_signer *s);
/* The signer's public key as PEM; owned by the signer. */
const char *dk_sigstore_signer_public_pem(const dk_sigstore_signer *s);

typedef struct {
	char *payload;          /* simplesigning JSON, the exact bytes to push as the layer */
	size_t payload_len;
	char *payload_digest;   /* "sha256:<hex>" of payload: the layer descriptor digest */
	char *signature;        /* base64: the dev.cosignproject.cosign/signature annotation */
} dk_sigstore_layer;

void dk_sigstore_layer_free(dk_sigstore_layer *l);

/* A legacy cosign signature layer for `manifest_digest`; docker_reference may be NULL. */
int dk_sigstore_sign_legacy(dk_sigstore_layer **out, const dk_sigstore_signer *s,
	const char *manifest_digest, const char *docker_reference);

/* A v0.3 message-signature bundle (JSON, caller frees) over the blob. */
int dk_sigstore_sign_blob(char **out, const dk_sigstore_signer *s,
	const unsigned char *data, size_t len);

#endif
