#ifndef DISKOPS_HTTP_INTERNAL_H
#define DISKOPS_HTTP_INTERNAL_H

/* Shared by core/serve.c, core/http*.c only: the server and its request type. */

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "diskops/commit.h"
#include "diskops/config.h"
#include "diskops/jobs.h"
#include "diskops/serve_agent.h"
#include "diskops/serve_poller.h"
#include "diskops/secret.h"
#include "diskops/serve.h"
#include "diskops/store.h"
#include "diskops/webhook.h"

#define HTTP_LATENCY_BUCKETS 12

/* Webhook answers by (status, reason), for /metrics. */
enum {
	OUT_QUEUED, OUT_IDEMPOTENT, OUT_MISMATCH, OUT_RETIRED, OUT_UNKNOWN_WEBHOOK,
	OUT_BAD_SIGNATURE, OUT_INVALID_PAYLOAD, OUT_UNKNOWN_PLATFORM, OUT_INVALID_FIELD,
	OUT_TOO_LARGE, OUT_PROCESSING_ERROR, OUT__COUNT
};

struct store_slot {
	struct store_slot *next;
	dk_store *store;
};

struct dk_serve {
	dk_config *cfg;
	char *db_path;
	char address[80];
	dk_secret_box *box;
	unsigned char *jwt_key;
	size_t jwt_key_len;
	dk_batcher *batcher;
	dk_jobs_pool *jobs;
	dk_serve_agent *agent;
	dk_serve_poller *poller;
	struct MHD_Daemon *daemon;
	char *tls_cert, *tls_key;

	/* per-thread read connections, opened on first use, closed at the end */
	pthread_key_t store_key;
	pthread_mutex_t slots_lock;
	struct store_slot *slots;

	atomic_long in_flight;
	atomic_long deliveries[OUT__COUNT];
	atomic_long latency[HTTP_LATENCY_BUCKETS + 1];  /* cumulative on output only */
	atomic_llong latency_sum_us;
	atomic_long requests;
};

typedef struct {
	int status;
	char *body;                     /* malloc'ed, or NULL */
	const char *content_type;
} http_resp;

enum { REQ_NEW, REQ_PENDING, REQ_READY };

typedef struct http_req {
	dk_serve *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	char *body;
	size_t len, cap;
	bool too_large;
	int64_t declared;
	char remote[64];
	struct timespec start;
	atomic_int state;
	http_resp resp;                 /* filled by an asynchronous completion */
	dk_webhook_plan *plan;
	dk_webhook_result wres;         /* written by the commit thread */
	int wrc;
} http_req;

/* Counts a webhook answer for /metrics. */
void http_count_delivery(dk_serve *srv, const dk_webhook_result *res);

/* The calling thread's own read connection to the store. */
dk_store *http_store(dk_serve *srv);

const char *http_header(http_req *r, const char *name);

/* Responses; each takes ownership of what it is given. */
void http_json(http_resp *out, int status, json_t *body);
/* {"success":false,"error":msg,"code":code} */
void http_error(http_resp *out, int status, const char *code, const char *msg);
void http_text(http_resp *out, int status, const char *content_type, char *body);

/* Parks the connection before handing the request to another thread; from then on
 * only http_finish_async answers it. */
void http_suspend(http_req *r);
/* Marks an asynchronous request answered (r->resp) and wakes its connection. */
void http_finish_async(http_req *r);

/* Route handlers: 0 answered in *out, 1 suspended (answered later by http_finish_async). */
int http_webhook(http_req *r, const char *webhook_id, http_resp *out);
int http_metrics(http_req *r, http_resp *out);
int http_healthz(http_req *r, http_resp *out);
int http_rest(http_req *r, const char *path, http_resp *out);
int http_worker(http_req *r, const char *path, http_resp *out);

int http_start(dk_serve *srv, const dk_serve_options *opts);
void http_quiesce(dk_serve *srv);
void http_stop(dk_serve *srv);

#endif
