#ifndef DISKOPS_SIGSTORE_INT_H
#define DISKOPS_SIGSTORE_INT_H

/* Internals shared by the core/sigstore_*.c files; not part of the public API. */

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "diskops/error.h"
#include "diskops/sigstore.h"

/* Caps against hostile input: a bundle is a few KiB, a real one never nears these. */
#define SG_MAX_INPUT (4u << 20)
#define SG_MAX_TLOG 32
#define SG_MAX_TIMESTAMPS 32
#define SG_MAX_PROOF 64
#define SG_MAX_CHAIN 8

/* ---- util ---- */

typedef struct {
	unsigned char *data;
	size_t len;
} sg_buf;

void sg_buf_free(sg_buf *b);
int sg_b64_decode(sg_buf *out, const char *in, size_t len, const char *what);
int sg_b64_encode(char **out, const unsigned char *in, size_t len);
void sg_hex(char *out, const unsigned char *in, size_t len);    /* out: 2*len+1 */
int sg_digest_parse(unsigned char out[32], const char *digest);  /* "sha256:<hex>" */
void sg_sha256(unsigned char out[32], const void *data, size_t len);
int sg_json_load(json_t **out, const char *text, size_t len, const char *what);
const char *sg_json_str(const json_t *obj, const char *key);
int sg_json_int64(int64_t *out, const json_t *obj, const char *key, int required, const char *what);
int sg_time_parse(int64_t *out, const char *rfc3339, int round_up);
int sg_pubkey_parse(EVP_PKEY **out, const unsigned char *der, size_t len);
int sg_pubkey_spki(sg_buf *out, EVP_PKEY *key);
/* 1 valid, 0 invalid. Hash follows the key: SHA-256 for P-256/RSA, SHA-384 for P-384, none for Ed25519. */
int sg_verify_sig(EVP_PKEY *key, const unsigned char *msg, size_t msg_len,
	const unsigned char *sig, size_t sig_len);
/* Same, over a precomputed SHA-256 digest (not possible for Ed25519 or P-384). */
int sg_verify_prehash(EVP_PKEY *key, const unsigned char digest[32],
	const unsigned char *sig, size_t sig_len);
int sg_pem_to_der_cert(X509 **out, const char *pem, size_t len);
/* DER of a PEM CERTIFICATE or PUBLIC KEY (the Rekor entry's publicKey.content). */
int sg_pem_any_der(sg_buf *out, const unsigned char *pem, size_t len);
int sg_cert_der(sg_buf *out, X509 *cert);

/* ---- trusted root ---- */

typedef struct {
	int64_t start;
	int64_t end;   /* inclusive; INT64_MAX when open */
} sg_window;

static inline int
sg_window_has(const sg_window *w, int64_t t)
{
	return t >= w->start && t <= w->end;
}

typedef struct {
	char *base_url;
	char *host;
	EVP_PKEY *key;
	int ed25519;
	unsigned char log_id[32];
	size_t log_id_len;
	unsigned char spki_hint[4];   /* SHA-256(DER SPKI)[0..4] */
	sg_window valid;
} sg_log;

typedef struct {
	X509 *anchor;                 /* last certificate of certChain */
	STACK_OF(X509) *intermediates;
	X509_STORE *store;
	sg_window valid;
} sg_ca;

struct dk_sigstore_root {
	sg_log *tlogs;
	size_t n_tlogs;
	sg_log *ctlogs;
	size_t n_ctlogs;
	sg_ca *cas;
	size_t n_cas;
	sg_ca *tsas;
	size_t n_tsas;
};

const sg_log *sg_root_tlog(const dk_sigstore_root *r, const unsigned char *id, size_t len);
const sg_log *sg_root_ctlog(const dk_sigstore_root *r, const unsigned char *id, size_t len);
extern const unsigned char sg_production_root[];
extern const size_t sg_production_root_len;

/* ---- the signature under verification, from a bundle or a legacy layer ---- */

typedef enum { SG_CONTENT_MESSAGE, SG_CONTENT_DSSE, SG_CONTENT_PAYLOAD } sg_content;

typedef struct {
	int64_t log_index;
	unsigned char log_id[32];
	size_t log_id_len;
	char kind[32];
	char version[16];
	int64_t integrated_time;      /* 0 when absent (Rekor v2) */
	sg_buf set;                   /* inclusion promise, empty when absent */
	int has_proof;
	int64_t proof_index;
	int64_t tree_size;
	unsigned char root_hash[32];
	unsigned char (*hashes)[32];
	size_t n_hashes;
	char *checkpoint;
	sg_buf body;                  /* canonicalized entry */
} sg_tlog_entry;

typedef struct {
	int bundle_version;           /* 1..3; 0 for legacy formats */
	/* verification material */
	X509 *leaf;
	STACK_OF(X509) *chain;        /* intermediates shipped with the signature */
	int has_public_key;           /* bundle says "signed with a key" */
	/* content */
	sg_content content;
	sg_buf sig;
	int has_digest;               /* messageDigest hint (SHA2_256) */
	unsigned char digest[32];
	sg_buf payload;               /* DSSE payload or legacy simplesigning payload */
	char *payload_type;
	/* evidence */
	sg_tlog_entry *entries;
	size_t n_entries;
	sg_buf *timestamps;           /* DER TimeStampResp (or bare token) */
	size_t n_timestamps;
} sg_material;

void sg_material_clear(sg_material *m);
int sg_bundle_parse(sg_material *m, const char *json, size_t len);
int sg_set_bundle_parse(sg_tlog_entry *e, const char *json, size_t len);

/* ---- verifier ---- */

typedef struct sg_regex sg_regex;
int sg_regex_compile(sg_regex **out, const char *pattern, const char *what);
int sg_regex_match(const sg_regex *re, const char *subject, size_t len); /* 1, 0, <0 */
void sg_regex_free(sg_regex *re);

struct dk_sigstore_verifier {
	dk_sigstore_root *owned_root;
	const dk_sigstore_root *root;
	EVP_PKEY **keys;
	sg_buf *key_spki;
	size_t n_keys;
	char *identity;
	char *issuer;
	sg_regex *identity_re;
	sg_regex *issuer_re;
	char *identity_re_src;
	char *issuer_re_src;
	dk_sigstore_tlog tlog;
	int ignore_sct;
};

/* The state of one verification; every step records its reason here on failure. */
typedef struct {
	const dk_sigstore_verifier *v;
	sg_material *m;
	int legacy;
	/* what the signature binds: artifact hash (message, hashedrekord data) */
	int have_artifact_hash;
	unsigned char artifact_hash[32];
	const unsigned char *artifact;
	size_t artifact_len;
	/* signer */
	EVP_PKEY *signer_key;         /* borrowed: leaf key or the matching trusted key */
	int key_index;
	sg_buf signer_der;            /* leaf certificate DER or key SPKI DER */
	/* trusted times */
	int64_t times[SG_MAX_TLOG + SG_MAX_TIMESTAMPS];
	size_t n_times;
	int64_t log_index;
	int64_t integrated_time;
	int64_t signed_time;
	int tlog_verified;
	char reason[512];
} sg_ctx;

int sg_fail(sg_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* steps */
int sg_verify_tlog(sg_ctx *c);
int sg_dsse_pae(sg_buf *out, const char *type, const sg_buf *payload);
int sg_verify_entry_body(sg_ctx *c, const sg_tlog_entry *e, char *why, size_t why_len);
int sg_checkpoint_verify(const sg_log *log, const char *note, int64_t tree_size,
	const unsigned char root_hash[32], char *why, size_t why_len);
int sg_merkle_verify(const unsigned char leaf[32], int64_t index, int64_t size,
	unsigned char (*hashes)[32], size_t n, const unsigned char root[32]);
int sg_verify_timestamps(sg_ctx *c);
int sg_tsa_verify(const dk_sigstore_root *root, const unsigned char *der, size_t len,
	const unsigned char *data, size_t data_len, int64_t *out_time, char *why, size_t why_len);
int sg_verify_chain(sg_ctx *c, X509 **issuer_out);
int sg_verify_sct(sg_ctx *c, X509 *issuer);
int sg_verify_identity(sg_ctx *c, char **identity_out, char **issuer_out);
int sg_chain_cache_clear(void);
/* Memo of verified, immutable facts (certificate signatures, SCTs); successes only. */
int sg_memo_has(const unsigned char key[32]);
void sg_memo_put(const unsigned char key[32]);
int sg_verify_built_chain(X509_STORE_CTX *ctx);

int sg_run(dk_sigstore_result **out, const dk_sigstore_verifier *v, sg_material *m,
	const dk_sigstore_artifact *artifact, const char *manifest_digest, int legacy);

#endif
