#ifndef DISKOPS_OCI_INTERNAL_H
#define DISKOPS_OCI_INTERNAL_H

/* Shared by core/oci_*.c only: the client, one request, auth state. */

#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "diskops/oci.h"

#define OCI_ERRBODY_MAX (64u * 1024)   /* error bodies and small JSON answers */
#define OCI_MAX_SCOPES 2

typedef struct oci_token {
	char *scope;        /* the scope string(s) asked for, space-separated */
	char *token;
	int64_t expires_at; /* dk_clock_now() seconds */
	struct oci_token *next;
} oci_token;

struct dk_oci_client {
	CURL *curl;
	char *registry;
	char *base;             /* "https://host[:port]" or "http://…" after fallback */
	int insecure;           /* loopback or named by the operator */
	int scheme_known;       /* the first request settled http vs https */
	char *username, *password;
	char *ca_file;
	long connect_timeout_ms, low_speed_time_s, retry_base_ms, retry_max_ms;
	int max_retries;
	uint64_t chunk_size;
	char *arch;
	dk_oci_sleep_fn sleep;
	void *sleep_payload;

	/* What the registry asked for: 0 unknown, 'B' Basic, 'T' Bearer. */
	int auth_kind;
	char *realm, *service;
	oci_token *tokens;
	unsigned token_fetches;
	unsigned connects;      /* new connections opened (keep-alive reuse shows here) */
};

/* A response as the request loop saw it. */
typedef struct oci_resp {
	long status;
	char *content_type;
	char *digest;           /* Docker-Content-Digest */
	char *location;
	char *www_auth;
	char *retry_after;
	char *range;
	char *content_range;
	char *link;
	int64_t content_length; /* -1 when absent */
	/* Body of a non-2xx answer, or of a 2xx answer when no sink was given (capped). */
	unsigned char *body;
	size_t body_len;
	size_t body_cap;        /* allocated size of body */
	int body_overflow;
} oci_resp;

/* Where request bytes come from: memory or a file range (replayable for retries). */
typedef struct oci_body {
	const unsigned char *mem;
	int fd;                 /* used when mem is NULL and len > 0 */
	off_t offset;
	uint64_t len;
	uint64_t pos;
} oci_body;

typedef struct oci_req {
	const char *method;     /* GET HEAD PUT POST PATCH DELETE */
	const char *url;        /* absolute, or a path joined to the client's base */
	const char *scopes[OCI_MAX_SCOPES];   /* "repository:<name>:<actions>" */
	const char *accept;
	const char *content_type;
	const char *content_range;
	int64_t range_from;     /* >0: "Range: bytes=N-" */
	oci_body *body;         /* NULL: no body */
	/* 2xx body goes here when set; otherwise it is collected in resp (capped). */
	size_t (*sink)(void *payload, const char *data, size_t len);
	void *sink_payload;
	size_t body_cap;        /* cap for a collected 2xx body, default OCI_ERRBODY_MAX */
	int no_retry;           /* streamed GETs handle their own resumption */
	const char *what;       /* "manifest acct/x:v1" for messages */
} oci_req;

void oci_resp_reset(oci_resp *r);

/*
 * Sends a request with auth, retries on 429/5xx (and network errors for requests
 * with replayable bodies), and fills resp. Returns 0 when an HTTP answer arrived
 * (any status) or DK_EIO/DK_EAUTH when none usable did; *curl_rc gets the last
 * transfer's code when not NULL.
 */
int oci_request(dk_oci_client *c, const oci_req *req, oci_resp *resp, CURLcode *curl_rc);

/* DK_E* for a non-2xx answer, with "registry H: <message> (<status> <CODE>) for <what>". */
int oci_status_error(dk_oci_client *c, const oci_resp *resp, const char *what);

/* The registry's answer to a transfer that failed in curl: DK_EIO with curl's words. */
int oci_curl_error(dk_oci_client *c, CURLcode rc, const char *errbuf, const char *what);

/* Auth (core/oci_auth.c). */
/* The Authorization line for a request, fetching a token when needed; *fresh says it was just fetched. */
int oci_auth_header(dk_oci_client *c, const char *const *scopes, char **out, int *fresh);
/* Learns from a 401 challenge; 1 when a retry can succeed, 0 when not, <0 on error. */
int oci_auth_challenge(dk_oci_client *c, const char *www_auth, const char *const *scopes, int had_token);
void oci_auth_drop(dk_oci_client *c, const char *const *scopes);
void oci_auth_free(dk_oci_client *c);
int oci_docker_config_creds(char **user, char **pass, const char *config_path, const char *registry);

/* "<base>/v2/<repo>/<kind>/<ref>" or a Location made absolute; caller frees. */
char *oci_url(dk_oci_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *oci_absolute(dk_oci_client *c, const char *location);

/* HEAD on a blob with the given scope actions ("pull", or "pull,push" while pushing). */
int oci_blob_head(dk_oci_client *c, const char *repo, const char *digest, const char *actions, int64_t *size_out);

/* The Accept list for manifests: OCI and Docker, image and index. */
extern const char oci_manifest_accept[];

#endif
