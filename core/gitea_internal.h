#ifndef DISKOPS_GITEA_INTERNAL_H
#define DISKOPS_GITEA_INTERNAL_H

/* Shared by core/gitea_*.c only: the transport, error mapping, pagination, JSON readers. */

#include <curl/curl.h>
#include <jansson.h>

#include "diskops/gitea.h"

struct dk_gitea {
	CURL *curl;
	char *api;              /* "<root>/api/v1" */
	char *token;
	long timeout_ms;
	long last_status;
	char *last_message;
	bool version_known;
	dk_gitea_version version;
	char *login;
};

struct gitea_resp {
	long status;            /* 0 when no reply arrived */
	char *body;
	size_t len;
	long long total;        /* X-Total-Count, -1 when absent */
	char *link;             /* Link header */
	char *content_range;
};

struct gitea_call {
	const char *method;     /* default GET */
	json_t *body;           /* sent as JSON when set */
	bool has_range;
	uint64_t range_from;
	const char *basic_user, *basic_password; /* Basic auth instead of the token */
	bool anonymous;
};

/* One request. Returns 0 when a reply arrived (any status), DK_EIO when none did. */
int gitea_request(dk_gitea *g, struct gitea_resp *r, const char *path,
		  const struct gitea_call *call);
void gitea_resp_free(struct gitea_resp *r);

/* Flags for gitea_fail. */
#define GITEA_OWNER_ONLY 1      /* the route needs the repo owner or a site admin */

/* Turns a non-2xx reply into a DK_E* error naming `what` ("repository o/r"). */
int gitea_fail(dk_gitea *g, const struct gitea_resp *r, const char *what, int flags);

/* Request + status check (+ JSON parse when `json` is given). `ok` lists the expected
 * statuses, 0-terminated; NULL means any 2xx. */
int gitea_do(dk_gitea *g, json_t **json, const char *path, const struct gitea_call *call,
	     const long *ok, const char *what, int flags);

/* Pages a list (page/limit 50): `key` is the array's name in a wrapping object
 * ("workflow_runs"), or NULL for a bare array with X-Total-Count/Link. Calls `each` per
 * item until `max` items (0: all), the total, or a short page. */
int gitea_list(dk_gitea *g, const char *path, const char *key, size_t max,
	       int (*each)(json_t *item, void *ctx), void *ctx, int64_t *total,
	       const char *what, int flags);

/* Requires a feature; DK_EINVALID naming the version that added it. */
int gitea_require(dk_gitea *g, dk_gitea_feature f, const char *what);

/* "/repos/<owner>/<repo><suffix>" with both escaped; NULL when out of memory. */
char *gitea_repo_path(const char *owner, const char *repo, const char *suffix_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A path segment escaped for a URL (slashes too); caller frees. */
char *gitea_escape(const char *segment);

/* JSON readers: a missing or null field is "", 0 or false (Gitea omits empty fields). */
char *gitea_jstr(json_t *obj, const char *key);
int64_t gitea_jint(json_t *obj, const char *key);
bool gitea_jbool(json_t *obj, const char *key);
/* RFC 3339 to unix seconds; 0 for missing and for "not set" (at or before 1970-01-02). */
int64_t gitea_jtime(json_t *obj, const char *key);

int gitea_oom(void);

#endif
