#ifndef DISKOPS_TEST_REGISTRY_H
#define DISKOPS_TEST_REGISTRY_H

/*
 * A real Docker distribution registry for tests: Debian's /usr/bin/docker-registry on
 * 127.0.0.1 with an ephemeral port, a temp storage dir and delete enabled. Variants:
 * no auth, htpasswd Basic (ciuser/cipass, made with htpasswd -Bbn) and `auth: token`
 * with a token server in this process that signs ES256 JWTs with a test key whose
 * self-signed certificate is the registry's rootcertbundle (x5c header).
 *
 * Also a fault proxy: a libmicrohttpd server that forwards to a registry and injects
 * the faults a real registry cannot be made to produce (500, 429, a dropped connection).
 */

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define TR_USER "ciuser"
#define TR_PASS "cipass"

typedef enum { TR_AUTH_NONE, TR_AUTH_BASIC, TR_AUTH_TOKEN } tr_auth;

typedef struct tr_token_server tr_token_server;

typedef struct tr_registry {
	pid_t pid;
	int port;
	char host[32];          /* "127.0.0.1:<port>" */
	char url[48];           /* "http://127.0.0.1:<port>" */
	char *dir;              /* temp root: config, storage, log */
	char *storage;
	tr_auth auth;
	tr_token_server *ts;    /* TR_AUTH_TOKEN only */
} tr_registry;

/* Starts and waits for /v2/ to answer; fails the test when it cannot. */
tr_registry *tr_start(tr_auth auth);
void tr_stop(tr_registry *r);
/* The file the registry keeps a blob's bytes in (manifests are blobs too); caller frees. */
char *tr_blob_path(const tr_registry *r, const char *digest);
/* A 127.0.0.1 port nothing listens on right now. */
int tr_free_port(void);

/* ---- token server ---- */

typedef struct tr_token_stats {
	unsigned requests;      /* every GET of the realm */
	unsigned issued;
	unsigned refused;       /* bad or missing credentials */
	char last_scope[512];   /* the scope parameters of the last request, space-separated */
	char last_service[128];
} tr_token_stats;

void tr_token_stats_get(tr_registry *r, tr_token_stats *out);
/* expires_in the server announces (default 300 s). */
void tr_token_set_expires_in(tr_registry *r, int seconds);
/* The next n tokens carry an exp already past, so the registry refuses them. */
void tr_token_issue_stale(tr_registry *r, int n);

/* ---- fault proxy ---- */

typedef struct tr_proxy tr_proxy;

typedef enum {
	TR_FAULT_STATUS,        /* answer `status` (with Retry-After when set), do not forward */
	TR_FAULT_CUT,           /* forward, then drop the connection after `cut_after` body bytes */
	TR_FAULT_LOSE_ANSWER    /* forward, then drop the connection before the answer */
} tr_fault_kind;

tr_proxy *tr_proxy_start(const char *upstream_url);
void tr_proxy_stop(tr_proxy *p);
const char *tr_proxy_host(const tr_proxy *p);     /* "127.0.0.1:<port>" */
/* The next `times` requests whose method matches (NULL any) and path contains `path_part`. */
void tr_proxy_fault(tr_proxy *p, const char *method, const char *path_part, tr_fault_kind kind,
		    int status, const char *retry_after, size_t cut_after, int times);
/* Rewrite upload Location headers to bare paths (what some registries send). */
void tr_proxy_relative_locations(tr_proxy *p, int on);
/* How many requests came in whose "METHOD path" contains `needle` (NULL: all). */
unsigned tr_proxy_count(tr_proxy *p, const char *needle);
/* The Range header of the last request whose path contains `path_part` ("" when none); caller frees. */
char *tr_proxy_last_range(tr_proxy *p, const char *path_part);

#endif
