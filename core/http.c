#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "http_internal.h"

/*
 * The libmicrohttpd side: one epoll loop per pool thread, bodies collected up to
 * 1 MiB, routes dispatched by path. A handler that waits for the group commit
 * suspends its connection instead of a thread, so a pool of two serves every client.
 */

#define API_PREFIX "/api/v1/system/"
#define WORKER_PREFIX "/api/v1/system/worker_api/"

#define JSON_TYPE "application/json"

dk_store *
http_store(dk_serve *srv)
{
	dk_store_options opts = DK_STORE_OPTIONS_INIT;
	struct store_slot *slot;
	dk_store *store = pthread_getspecific(srv->store_key);

	if (store)
		return store;
	opts.no_create = true;
	opts.busy_timeout_ms = srv->cfg->busy_timeout_ms;
	opts.one_thread = true;         /* this thread's own */
	if (dk_store_open(&store, srv->db_path, &opts) < 0)
		return NULL;
	if (!(slot = calloc(1, sizeof(*slot)))) {
		dk_store_free(store);
		return NULL;
	}
	slot->store = store;
	pthread_mutex_lock(&srv->slots_lock);
	slot->next = srv->slots;
	srv->slots = slot;
	pthread_mutex_unlock(&srv->slots_lock);
	pthread_setspecific(srv->store_key, store);
	return store;
}

const char *
http_header(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void
http_text(http_resp *out, int status, const char *content_type, char *body)
{
	out->status = status;
	out->content_type = content_type;
	free(out->body);
	out->body = body;
}

void
http_json(http_resp *out, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	http_text(out, status, JSON_TYPE, text);
}

void
http_error(http_resp *out, int status, const char *code, const char *msg)
{
	http_json(out, status, json_pack("{s:b, s:s, s:s}", "success", 0, "error", msg, "code", code));
}

void
http_suspend(http_req *r)
{
	MHD_suspend_connection(r->conn);
}

void
http_finish_async(http_req *r)
{
	atomic_store(&r->state, REQ_READY);
	MHD_resume_connection(r->conn);
}

static enum MHD_Result
send_resp(http_req *r, http_resp *resp)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	const char *body = resp->body ? resp->body : "";

	mr = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!mr)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	ret = MHD_queue_response(r->conn, (unsigned)(resp->status ? resp->status : 500), mr);
	MHD_destroy_response(mr);
	free(resp->body);
	resp->body = NULL;
	return ret;
}

static bool
is(const char *method, const char *want)
{
	return strcmp(method, want) == 0;
}

/* 0 answered, 1 suspended. */
static int
route(http_req *r, http_resp *out)
{
	const char *url = r->url;

	if (strncmp(url, DK_WEBHOOK_PATH, strlen(DK_WEBHOOK_PATH)) == 0) {
		if (!is(r->method, "POST")) {
			http_error(out, 405, "METHOD_NOT_ALLOWED", "use POST");
			return 0;
		}
		return http_webhook(r, url + strlen(DK_WEBHOOK_PATH), out);
	}
	if (r->too_large) {
		http_error(out, 413, "PAYLOAD_TOO_LARGE", "request body larger than 1 MiB");
		return 0;
	}
	if (strcmp(url, "/healthz") == 0 && is(r->method, "GET"))
		return http_healthz(r, out);
	if (strcmp(url, "/metrics") == 0 && is(r->method, "GET"))
		return http_metrics(r, out);
	if (strncmp(url, WORKER_PREFIX, strlen(WORKER_PREFIX)) == 0)
		return http_worker(r, url + strlen(WORKER_PREFIX), out);
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0)
		return http_rest(r, url + strlen(API_PREFIX), out);
	http_error(out, 404, "NOT_FOUND", "Not found");
	return 0;
}

static void
remote_address(http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(r->remote, sizeof(r->remote), "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  r->remote, sizeof(r->remote));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  r->remote, sizeof(r->remote));
}

static bool
append(http_req *r, const char *data, size_t n)
{
	if (r->len + n > DK_WEBHOOK_BODY_MAX) {
		/* The rest is read off the socket and dropped, never kept. */
		r->too_large = true;
		r->declared = (int64_t)(r->len + n);
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return true;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (!(b = realloc(r->body, cap)))
			return false;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return true;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	       const char *version, const char *data, size_t *data_size, void **con_cls)
{
	dk_serve *srv = cls;
	http_req *r = *con_cls;
	http_resp out = { 0 };
	const char *cl;
	int rc;

	(void)version;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		r->srv = srv;
		r->conn = conn;
		r->method = method;
		r->url = url;
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		remote_address(r);
		atomic_fetch_add(&srv->in_flight, 1);
		*con_cls = r;
		cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoll(cl, NULL, 10) > DK_WEBHOOK_BODY_MAX) {
			r->too_large = true;
			r->declared = strtoll(cl, NULL, 10);
			/* Answered before the body is read; MHD closes the connection after. */
			goto dispatch;
		}
		return MHD_YES;
	}
	if (*data_size) {
		if (!r->too_large && !append(r, data, *data_size))
			return MHD_NO;
		*data_size = 0;
		return MHD_YES;
	}
	if (atomic_load(&r->state) == REQ_READY)
		return send_resp(r, &r->resp);
	if (atomic_load(&r->state) == REQ_PENDING)
		return MHD_YES;
dispatch:
	atomic_store(&r->state, REQ_PENDING);
	rc = route(r, &out);
	if (rc == 1)
		return MHD_YES;
	return send_resp(r, &out);
}

static const double bucket_le[HTTP_LATENCY_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5
};

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	dk_serve *srv = cls;
	http_req *r = *con_cls;
	struct timespec now;
	double secs;
	int b = 0;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - r->start.tv_sec) + (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
	while (b < HTTP_LATENCY_BUCKETS && secs > bucket_le[b])
		b++;
	atomic_fetch_add(&srv->latency[b], 1);
	atomic_fetch_add(&srv->latency_sum_us, (long long)(secs * 1e6));
	atomic_fetch_add(&srv->requests, 1);
	atomic_fetch_sub(&srv->in_flight, 1);
	dk_webhook_plan_free(r->plan);
	dk_webhook_result_clear(&r->wres);
	free(r->resp.body);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

const double *http_bucket_bounds(void);
const double *
http_bucket_bounds(void)
{
	return bucket_le;
}

/*
 * An answer that follows a suspension leaves in two writes (headers, then body); with
 * Nagle the second waits for the client's delayed ACK, some 40 ms. Small answers
 * should leave at once.
 */
static void
connection_opened(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	int one = 1;

	(void)cls;
	(void)socket_context;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
		msg[--n] = '\0';
	for (char *p = msg; *p; p++) {
		if (*p == '"')
			*p = '\'';
	}
	dk_log_debug("msg=\"http: %s\"", msg);
}

static int
parse_listen(struct sockaddr_storage *ss, socklen_t *len, const char *listen)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		goto bad;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &s4->sin_addr) != 1)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	}
	return 0;
bad:
	return dk_error_set(DK_EINVALID, "listen address \"%s\" is not HOST:PORT (e.g. "
			    "127.0.0.1:8080 or [::1]:8080)", listen);
}

int
http_start(dk_serve *srv, const dk_serve_options *opts)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	char host[64] = "";
	int rc;

	if ((rc = parse_listen(&ss, &sslen, srv->cfg->listen)) < 0)
		return rc;
	if (srv->tls_cert)
		flags |= MHD_USE_TLS;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts->http_threads > 0 ? opts->http_threads : 2),
		MHD_OPTION_CONNECTION_LIMIT, 1024u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, 512u,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(opts->connection_timeout > 0 ? opts->connection_timeout : 30),
		MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, connection_opened, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		srv->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
		MHD_OPTION_END);
	if (!srv->daemon)
		return dk_error_set(DK_EIO, "cannot listen on %s (address in use, or not allowed)",
				    srv->cfg->listen);
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		snprintf(srv->address, sizeof(srv->address), "[%s]:%u", host,
			 info ? info->port : 0);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		snprintf(srv->address, sizeof(srv->address), "%s:%u", host, info ? info->port : 0);
	}
	return 0;
}

void
http_quiesce(dk_serve *srv)
{
	if (srv->daemon)
		MHD_quiesce_daemon(srv->daemon);
}

void
http_stop(dk_serve *srv)
{
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
}
