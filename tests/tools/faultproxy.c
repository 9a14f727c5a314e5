/*
 * Fault proxy: forwards to a real registry and injects the faults it cannot be made to
 * produce on demand: a 500, a 429 with Retry-After, a connection dropped mid-body, an
 * answer lost after the registry acted.
 * Responses are buffered (test-sized blobs only); Location is rewritten to the proxy.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "registry.h"
#include "testutil.h"

#define MAX_FAULTS 8
#define MAX_LOG 256

typedef struct fault {
	char method[8];
	char path[256];
	tr_fault_kind kind;
	int status;
	char retry_after[16];
	size_t cut_after;
	int times;
} fault;

struct tr_proxy {
	struct MHD_Daemon *mhd;
	char host[32];
	char base[48];
	char upstream[128];
	pthread_mutex_t lock;
	fault faults[MAX_FAULTS];
	char *log[MAX_LOG];     /* "METHOD uri range" */
	size_t n_log;
	int relative;
};

typedef struct conn_state {
	char *uri;              /* raw, with the query */
	int started;
	unsigned char *body;
	size_t len, cap;
} conn_state;

typedef struct upstream_resp {
	long status;
	struct MHD_Response *r;         /* headers collected here first */
	unsigned char *body;
	size_t len, cap;
	const char *proxy_base, *upstream;
	int relative;
} upstream_resp;

typedef struct cut_reader {
	unsigned char *body;
	size_t len, cut;
} cut_reader;

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	conn_state *s = calloc(1, sizeof(*s));

	(void)cls; (void)c;
	if (s)
		s->uri = strdup(uri);
	return s;
}

static void
completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
	conn_state *s = *state;

	(void)cls; (void)c; (void)t;
	if (!s)
		return;
	free(s->uri);
	free(s->body);
	free(s);
	*state = NULL;
}

static const char *const passed_headers[] = {
	"Content-Type", "Docker-Content-Digest", "Location", "WWW-Authenticate", "Range",
	"Content-Range", "Retry-After", "Link", "Docker-Upload-UUID", "Docker-Distribution-Api-Version",
	"Accept-Ranges", "Etag",
};

static size_t
up_header(char *buf, size_t size, size_t n, void *userdata)
{
	upstream_resp *u = userdata;
	size_t len = size * n, i, k;
	char line[2048], *colon, *value, *end;

	if (len >= sizeof(line))
		return len;
	memcpy(line, buf, len);
	line[len] = '\0';
	if (!(colon = strchr(line, ':')))
		return len;
	*colon = '\0';
	value = colon + 1;
	while (*value == ' ')
		value++;
	for (end = value + strlen(value); end > value && (end[-1] == '\r' || end[-1] == '\n'); end--)
		*(end - 1) = '\0';
	for (i = 0; i < sizeof(passed_headers) / sizeof(passed_headers[0]); i++) {
		if (strcasecmp(line, passed_headers[i]) != 0)
			continue;
		k = strlen(u->upstream);
		if (strcasecmp(line, "Location") == 0 && strncmp(value, u->upstream, k) == 0) {
			char fixed[2048];

			snprintf(fixed, sizeof(fixed), "%s%s", u->relative ? "" : u->proxy_base, value + k);
			MHD_add_response_header(u->r, line, fixed);
		} else {
			MHD_add_response_header(u->r, line, value);
		}
	}
	if (strcasecmp(line, "Content-Length") == 0)
		MHD_add_response_header(u->r, "X-Upstream-Length", value);
	return len;
}

/* Room for `more` bytes, doubling: a 16 MiB body in 4 KiB pieces stays linear (ASan's
 * realloc always copies). */
static int
reserve(unsigned char **buf, size_t *cap, size_t len, size_t more)
{
	size_t want = *cap ? *cap : 65536;
	unsigned char *nb;

	if (len + more <= *cap)
		return 0;
	while (want < len + more)
		want *= 2;
	if (!(nb = realloc(*buf, want)))
		return -1;
	*buf = nb;
	*cap = want;
	return 0;
}

static size_t
up_body(char *data, size_t size, size_t n, void *userdata)
{
	upstream_resp *u = userdata;
	size_t len = size * n;

	if (reserve(&u->body, &u->cap, u->len, len) < 0)
		return 0;
	memcpy(u->body + u->len, data, len);
	u->len += len;
	return len;
}

typedef struct fwd_headers {
	struct curl_slist *list;
} fwd_headers;

static enum MHD_Result
add_fwd(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	static const char *const names[] = { "Accept", "Authorization", "Content-Type", "Content-Range", "Range" };
	fwd_headers *f = cls;
	char line[4096];
	size_t i;

	(void)kind;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(key, names[i]) == 0) {
			snprintf(line, sizeof(line), "%s: %s", key, value);
			f->list = curl_slist_append(f->list, line);
		}
	}
	return MHD_YES;
}

static ssize_t
cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	cut_reader *c = cls;
	size_t n;

	if (pos >= c->cut)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = c->cut - pos < max ? c->cut - pos : max;
	memcpy(buf, c->body + pos, n);
	return (ssize_t)n;
}

static void
cut_free(void *cls)
{
	cut_reader *c = cls;

	free(c->body);
	free(c);
}

static ssize_t
no_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls; (void)pos; (void)buf; (void)max;
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static enum MHD_Result
copy_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct MHD_Response *to = cls;

	(void)kind;
	if (strcasecmp(key, "X-Upstream-Length") != 0 && strcasecmp(key, "Content-Length") != 0)
		MHD_add_response_header(to, key, value);
	return MHD_YES;
}

static enum MHD_Result
proxy_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	      const char *version, const char *data, size_t *data_size, void **state)
{
	tr_proxy *p = cls;
	conn_state *s = *state;
	fault f = { 0 };
	fwd_headers fh = { NULL };
	upstream_resp u = { 0 };
	const char *range;
	char target[4096], entry[4200];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	CURL *h;
	size_t i;
	int hit = 0, head = strcmp(method, "HEAD") == 0;

	(void)url; (void)version;
	if (!s || !s->uri)
		return MHD_NO;
	/* The first call only has the headers; the body follows in pieces. */
	if (!s->started) {
		s->started = 1;
		return MHD_YES;
	}
	if (*data_size) {
		if (reserve(&s->body, &s->cap, s->len, *data_size) < 0)
			return MHD_NO;
		memcpy(s->body + s->len, data, *data_size);
		s->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
	pthread_mutex_lock(&p->lock);
	snprintf(entry, sizeof(entry), "%s %s %s", method, s->uri, range ? range : "");
	if (p->n_log < MAX_LOG)
		p->log[p->n_log++] = strdup(entry);
	for (i = 0; i < MAX_FAULTS && !hit; i++) {
		fault *x = &p->faults[i];

		if (x->times > 0 && (!x->method[0] || strcmp(x->method, method) == 0) && strstr(s->uri, x->path)) {
			x->times--;
			f = *x;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (hit && f.kind == TR_FAULT_STATUS) {
		static const char unavailable[] = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected fault\"}]}";
		static const char denied[] = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}";
		const char *body = f.status == 403 ? denied : unavailable;

		resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Type", "application/json");
		if (f.retry_after[0])
			MHD_add_response_header(resp, "Retry-After", f.retry_after);
		ret = MHD_queue_response(conn, (unsigned)f.status, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	snprintf(target, sizeof(target), "%s%s", p->upstream, s->uri);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_fwd, &fh);
	fh.list = curl_slist_append(fh.list, "Expect:");
	if (!MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"))
		fh.list = curl_slist_append(fh.list, "Content-Type:");
	u.proxy_base = p->base;
	u.upstream = p->upstream;
	u.relative = p->relative;
	u.r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT); /* header holder */
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, target);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, fh.list);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, up_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &u);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, up_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &u);
	if (head)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, s->body ? (char *)s->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->len);
	}
	curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &u.status);
	curl_easy_cleanup(h);
	curl_slist_free_all(fh.list);
	/* The registry did it; the client never hears so. */
	if (hit && f.kind == TR_FAULT_LOSE_ANSWER) {
		MHD_destroy_response(u.r);
		free(u.body);
		return MHD_NO;
	}

	if (head) {
		const char *len = MHD_get_response_header(u.r, "X-Upstream-Length");

		resp = MHD_create_response_from_callback(len ? strtoull(len, NULL, 10) : 0, 4096, no_read, NULL, NULL);
	} else if (hit && f.kind == TR_FAULT_CUT && f.cut_after < u.len) {
		cut_reader *c = calloc(1, sizeof(*c));

		c->body = u.body;
		c->len = u.len;
		c->cut = f.cut_after;
		u.body = NULL;
		resp = MHD_create_response_from_callback(c->len, 64 * 1024, cut_read, c, cut_free);
	} else {
		resp = MHD_create_response_from_buffer(u.len, u.body, MHD_RESPMEM_MUST_FREE);
		u.body = NULL;
	}
	/* Copy the collected upstream headers onto the real response. */
	MHD_get_response_headers(u.r, copy_header, resp);
	ret = MHD_queue_response(conn, (unsigned)(u.status ? u.status : 502), resp);
	MHD_destroy_response(resp);
	MHD_destroy_response(u.r);
	free(u.body);
	return ret;
}

tr_proxy *
tr_proxy_start(const char *upstream_url)
{
	tr_proxy *p = calloc(1, sizeof(*p));
	struct sockaddr_in a = { 0 };
	const union MHD_DaemonInfo *info;

	assert_non_null(p);
	pthread_mutex_init(&p->lock, NULL);
	snprintf(p->upstream, sizeof(p->upstream), "%s", upstream_url);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* No MHD_USE_ERROR_LOG: the client's HTTPS probe of a loopback host is expected noise. */
	p->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				  proxy_handler, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				  MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
				  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	assert_non_null(p->mhd);
	info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(p->host, sizeof(p->host), "127.0.0.1:%u", (unsigned)info->port);
	snprintf(p->base, sizeof(p->base), "http://%s", p->host);
	return p;
}

void
tr_proxy_stop(tr_proxy *p)
{
	size_t i;

	if (!p)
		return;
	MHD_stop_daemon(p->mhd);
	for (i = 0; i < p->n_log; i++)
		free(p->log[i]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void
tr_proxy_relative_locations(tr_proxy *p, int on)
{
	pthread_mutex_lock(&p->lock);
	p->relative = on;
	pthread_mutex_unlock(&p->lock);
}

const char *
tr_proxy_host(const tr_proxy *p)
{
	return p->host;
}

void
tr_proxy_fault(tr_proxy *p, const char *method, const char *path_part, tr_fault_kind kind,
	       int status, const char *retry_after, size_t cut_after, int times)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < MAX_FAULTS; i++) {
		fault *f = &p->faults[i];

		if (f->times > 0)
			continue;
		memset(f, 0, sizeof(*f));
		snprintf(f->method, sizeof(f->method), "%s", method ? method : "");
		snprintf(f->path, sizeof(f->path), "%s", path_part);
		f->kind = kind;
		f->status = status;
		snprintf(f->retry_after, sizeof(f->retry_after), "%s", retry_after ? retry_after : "");
		f->cut_after = cut_after;
		f->times = times;
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

unsigned
tr_proxy_count(tr_proxy *p, const char *needle)
{
	unsigned n = 0;
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n_log; i++)
		if (!needle || strstr(p->log[i], needle))
			n++;
	pthread_mutex_unlock(&p->lock);
	return n;
}

char *
tr_proxy_last_range(tr_proxy *p, const char *path_part)
{
	char *out = NULL;
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = p->n_log; i-- > 0;) {
		if (strstr(p->log[i], path_part)) {
			const char *r = strstr(p->log[i], "bytes=");

			out = strdup(r ? r : "");
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return out;
}
