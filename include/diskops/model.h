#ifndef DISKOPS_MODEL_H
#define DISKOPS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Typed rows of the store (DESIGN §3). Strings are owned by the row and freed with the
 * row's dk_<type>_free; NULL means the column is NULL. Times are UTC unix seconds,
 * 0 when unset.
 */

typedef enum {
	DK_PUB_QUEUED = 0,
	DK_PUB_AWAITING_UPLOAD,
	DK_PUB_VERIFYING,
	DK_PUB_PUBLISHED,
	DK_PUB_FAILED,
	DK_PUB_RETIRED,
	DK_PUB_PURGED,
	DK_PUB__COUNT
} dk_pub_status;

const char *dk_pub_status_name(dk_pub_status status);
int dk_pub_status_parse(dk_pub_status *out, const char *name);
/* The publication state machine of DESIGN §3; every transition goes through it. */
bool dk_pub_transition_allowed(dk_pub_status from, dk_pub_status to);

typedef struct {
	char *id;
	char *name;
	int64_t created_at;
} dk_account;

typedef struct {
	char *id;
	char *account_id;
	char *name;
	char *arch;                     /* amd64 | arm64 */
	char *disk_image_oci_ref;       /* digest-pinned ref of the default */
	char *default_publication_id;
	char *publication_status;       /* none | verifying | published | failed */
	char *publication_error;
	int retention_count;            /* 1..50 */
	char *cosign_identity_regexp;
	char *cosign_issuer_regexp;
	char *trusted_keys;             /* concatenated PEM public keys, or NULL */
	char *tlog_policy;              /* required | optional | ignore */
	char *trusted_root;             /* path of a trusted_root.json override, or NULL */
	char *build_repo;               /* owner/repo on Gitea */
	char *workflow_file;
	int64_t created_at;
	int64_t updated_at;
	/* joined from the default publication, for display */
	char *default_git_sha;
	int64_t default_published_at;
} dk_platform;

typedef struct {
	char *id;
	char *account_id;
	char *node_platform_id;
	char *platform_name;            /* joined */
	char *git_sha;
	char *oci_ref;
	char *oci_digest;               /* sha256:<hex> of the manifest */
	char *artifact_sha256;          /* 64 lower-case hex */
	int64_t size_bytes;
	char *arch;
	char *firmware_ref;
	char *sbom_url;
	dk_pub_status status;
	bool is_default;                /* derived: the platform's default points here */
	bool cosign_verified;
	char *cosign_identity;
	char *cosign_issuer;
	char *signature_kind;           /* keyless | key | none */
	int64_t tlog_index;             /* -1 when none */
	char *error_message;
	int attempt_count;
	char *payload;                  /* JSON text, "{}" at least */
	char *webhook_id;
	int64_t built_at;
	int64_t verified_at;
	int64_t published_at;
	int64_t retired_at;
	int64_t purged_at;
	int64_t created_at;
	int64_t updated_at;
} dk_publication;

typedef struct {
	int64_t id;
	char *account_id;
	char *kind;
	char *severity;                 /* debug | info | warning | error | critical */
	char *source;
	char *subject_id;
	char *payload;                  /* JSON text */
	int64_t created_at;
} dk_event;

#define DK_DEFINE_LIST(type) \
	typedef struct { type *items; size_t count; } type##_list;

DK_DEFINE_LIST(dk_account)
DK_DEFINE_LIST(dk_platform)
DK_DEFINE_LIST(dk_publication)
DK_DEFINE_LIST(dk_event)

/* Free the strings a row owns (not the row itself) — for rows embedded in lists. */
void dk_account_clear(dk_account *a);
void dk_platform_clear(dk_platform *p);
void dk_publication_clear(dk_publication *p);
void dk_event_clear(dk_event *e);

/* Free a heap row and everything it owns. NULL is fine. */
void dk_account_free(dk_account *a);
void dk_platform_free(dk_platform *p);
void dk_publication_free(dk_publication *p);
void dk_event_free(dk_event *e);

void dk_account_list_free(dk_account_list *l);
void dk_platform_list_free(dk_platform_list *l);
void dk_publication_list_free(dk_publication_list *l);
void dk_event_list_free(dk_event_list *l);

#endif
