/* OCI client: one curl handle per registry, the request loop, retries, error text. */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "oci_internal.h"

#ifndef DK_VERSION
#define DK_VERSION "dev"
#endif

const char oci_manifest_accept[] =
	"Accept: " DK_OCI_MEDIA_OCI_MANIFEST ", " DK_OCI_MEDIA_OCI_INDEX ", "
	DK_OCI_MEDIA_DOCKER_MANIFEST ", " DK_OCI_MEDIA_DOCKER_LIST;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Loopback registries are test and development set-ups; plain HTTP is allowed there. */
static int
host_is_loopback(const char *host)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (strncmp(host, names[i], n) == 0 && (host[n] == '\0' || host[n] == ':'))
			return 1;
	}
	return 0;
}

static const char *
host_arch(void)
{
	struct utsname u;

	if (uname(&u) == 0 && (strcmp(u.machine, "aarch64") == 0 || strcmp(u.machine, "arm64") == 0))
		return "arm64";
	return "amd64";
}

void
dk_oci_options_from_config(dk_oci_options *opts, const dk_config *cfg, const char *registry)
{
	dk_oci_options init = DK_OCI_OPTIONS_INIT;

	*opts = init;
	if (!cfg || !cfg->registry_host || !registry || strcasecmp(cfg->registry_host, registry) != 0)
		return;
	opts->username = cfg->registry_username;
	opts->password = cfg->registry_password;
	opts->insecure = cfg->registry_insecure;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int
dk_oci_client_new(dk_oci_client **out, const char *registry, const dk_oci_options *opts)
{
	dk_oci_options defaults = DK_OCI_OPTIONS_INIT;
	dk_oci_client *c = NULL;
	int rc = DK_ENOMEM;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != DK_OCI_OPTIONS_VERSION)
		return dk_error_set(DK_EUSAGE, "dk_oci_options version %d, expected %d",
				    opts->version, DK_OCI_OPTIONS_VERSION);
	if (!registry || !*registry || strchr(registry, '/'))
		return dk_error_set(DK_EINVALID, "registry \"%s\" is not host[:port]", registry ? registry : "");
	pthread_once(&curl_once, curl_init_once);
	if (!(c = calloc(1, sizeof(*c))))
		goto done;
	c->registry = strdup(registry);
	c->insecure = opts->insecure || host_is_loopback(registry);
	if (asprintf(&c->base, "https://%s", registry) < 0)
		c->base = NULL;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	c->low_speed_time_s = opts->low_speed_time_s > 0 ? opts->low_speed_time_s : 30;
	c->max_retries = opts->max_retries > 0 ? opts->max_retries : (opts->max_retries < 0 ? 0 : 4);
	c->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 250;
	c->retry_max_ms = opts->retry_max_ms > 0 ? opts->retry_max_ms : 30000;
	c->chunk_size = opts->chunk_size > 0 ? opts->chunk_size : 16u * 1024 * 1024;
	c->arch = strdup(opts->arch ? opts->arch : host_arch());
	c->ca_file = dup_or_null(opts->ca_file);
	c->sleep = opts->sleep;
	c->sleep_payload = opts->sleep_payload;
	if (!c->registry || !c->base || !c->arch || (opts->ca_file && !c->ca_file))
		goto done;
	if (opts->username) {
		c->username = strdup(opts->username);
		c->password = strdup(opts->password ? opts->password : "");
		if (!c->username || !c->password)
			goto done;
	} else if ((rc = oci_docker_config_creds(&c->username, &c->password, opts->docker_config,
						 registry)) < 0) {
		goto done;
	}
	if (c->password)
		dk_log_register_secret(c->password);
	if (!(c->curl = curl_easy_init())) {
		rc = dk_error_set(DK_ERROR, "curl_easy_init failed");
		goto done;
	}
	*out = c;
	c = NULL;
	rc = 0;
done:
	if (rc == DK_ENOMEM)
		dk_error_set(DK_ENOMEM, "out of memory");
	dk_oci_client_free(c);
	return rc;
}

void
dk_oci_client_free(dk_oci_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	oci_auth_free(c);
	free(c->registry);
	free(c->base);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->username);
	free(c->password);
	free(c->ca_file);
	free(c->arch);
	free(c);
}

const char *
dk_oci_client_registry(const dk_oci_client *c)
{
	return c->registry;
}

unsigned
dk_oci_client_token_fetches(const dk_oci_client *c)
{
	return c->token_fetches;
}

unsigned
dk_oci_client_connects(const dk_oci_client *c)
{
	return c->connects;
}

char *
oci_url(dk_oci_client *c, const char *fmt, ...)
{
	char *path = NULL, *url = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if (asprintf(&url, "%s%s", c->base, path) < 0)
		url = NULL;
	free(path);
	return url;
}

/* Location headers are absolute (registry 2.8) or a path (others); both work. */
char *
oci_absolute(dk_oci_client *c, const char *location)
{
	char *url;

	if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
		return strdup(location);
	if (asprintf(&url, "%s%s%s", c->base, location[0] == '/' ? "" : "/", location) < 0)
		return NULL;
	return url;
}

void
oci_resp_reset(oci_resp *r)
{
	free(r->content_type);
	free(r->digest);
	free(r->location);
	free(r->www_auth);
	free(r->retry_after);
	free(r->range);
	free(r->content_range);
	free(r->link);
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

/* ---- one transfer --------------------------------------------------------------- */

typedef struct xfer {
	dk_oci_client *c;
	const oci_req *req;
	oci_resp *resp;
	uint64_t sunk;          /* 2xx body bytes handed to req->sink */
	int sink_failed;
} xfer;

static void
set_header(char **slot, const char *value, size_t len)
{
	while (len && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
		len--;
	while (len && (*value == ' ' || *value == '\t')) {
		value++;
		len--;
	}
	free(*slot);
	*slot = strndup(value, len);
}

static size_t
on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	xfer *x = userdata;
	oci_resp *r = x->resp;
	size_t len = size * nitems;
	static const struct { const char *name; size_t off; } names[] = {
		{ "content-type:", offsetof(oci_resp, content_type) },
		{ "docker-content-digest:", offsetof(oci_resp, digest) },
		{ "location:", offsetof(oci_resp, location) },
		{ "www-authenticate:", offsetof(oci_resp, www_auth) },
		{ "retry-after:", offsetof(oci_resp, retry_after) },
		{ "range:", offsetof(oci_resp, range) },
		{ "content-range:", offsetof(oci_resp, content_range) },
		{ "link:", offsetof(oci_resp, link) },
	};
	size_t i, n;

	/* A new status line (redirect, 100-continue): forget the previous answer's headers. */
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		oci_resp_reset(r);
		return len;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i].name);
		if (len > n && strncasecmp(buf, names[i].name, n) == 0) {
			set_header((char **)((char *)r + names[i].off), buf + n, len - n);
			return len;
		}
	}
	if (len > 15 && strncasecmp(buf, "content-length:", 15) == 0)
		r->content_length = strtoll(buf + 15, NULL, 10);
	return len;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	xfer *x = userdata;
	oci_resp *r = x->resp;
	size_t len = size * nmemb, cap;
	long status = 0;

	curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300 && x->req->sink) {
		if (x->req->sink(x->req->sink_payload, data, len) != len) {
			x->sink_failed = 1;
			return 0;       /* aborts the transfer: CURLE_WRITE_ERROR */
		}
		x->sunk += len;
		return len;
	}
	cap = (status >= 200 && status < 300 && x->req->body_cap) ? x->req->body_cap : OCI_ERRBODY_MAX;
	if (r->body_len + len > cap) {
		r->body_overflow = 1;
		/* Error bodies are only for messages: keep the start, drop the rest. */
		if (status < 200 || status >= 300)
			return len;
		return 0;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t ncap = r->body_cap ? r->body_cap : 4096;
		unsigned char *nb;

		while (ncap < r->body_len + len + 1)
			ncap *= 2;
		if (!(nb = realloc(r->body, ncap)))
			return 0;
		r->body = nb;
		r->body_cap = ncap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	oci_body *b = userdata;
	size_t want = size * nitems;
	ssize_t n;

	if (b->pos >= b->len)
		return 0;
	if (want > b->len - b->pos)
		want = (size_t)(b->len - b->pos);
	if (b->mem) {
		memcpy(buf, b->mem + b->pos, want);
		b->pos += want;
		return want;
	}
	do
		n = pread(b->fd, buf, want, b->offset + (off_t)b->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return CURL_READFUNC_ABORT;
	b->pos += (uint64_t)n;
	return (size_t)n;
}

static int
on_seek(void *userdata, curl_off_t offset, int origin)
{
	oci_body *b = userdata;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->len)
		return CURL_SEEKFUNC_CANTSEEK;
	b->pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

#define OCI_XFER_BUFFER (512L * 1024)

static CURLcode
perform(dk_oci_client *c, const oci_req *req, oci_resp *resp, const char *url, const char *auth,
	char errbuf[CURL_ERROR_SIZE], uint64_t *sunk)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	char line[512], range[48];
	xfer x = { c, req, resp, 0, 0 };
	oci_body empty = { 0 };         /* a PUT without a body still uploads zero bytes */
	CURLcode rc;
	int body = req->body != NULL;

	curl_easy_reset(h);
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "diskops/" DK_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	/* Stalled rather than slow: below 1 KiB/s for low_speed_time seconds. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * Blobs in big pieces: on a busy host every wake-up waits for a CPU, and libcurl's
	 * 16 KiB default made a 1 GiB download wait 65,536 times (a third of curl(1)'s
	 * speed, which reads 100 KiB at a time). 512 KiB is libcurl's maximum.
	 */
	if (req->sink)
		curl_easy_setopt(h, CURLOPT_BUFFERSIZE, OCI_XFER_BUFFER);
	if (body)
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, OCI_XFER_BUFFER);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);

	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") == 0) {
		/* Blob GETs are redirected to storage on some registries; curl drops our
		 * Authorization header when the host changes. */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	} else if (body || strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, body ? req->body : &empty);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, body ? req->body : &empty);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(body ? req->body->len : 0));
		if (strcmp(req->method, "PUT") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->range_from > 0) {
		snprintf(range, sizeof(range), "%lld-", (long long)req->range_from);
		curl_easy_setopt(h, CURLOPT_RANGE, range);
	}
	if (req->accept)
		hdrs = curl_slist_append(hdrs, req->accept);
	if (req->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, line);
	} else {
		hdrs = curl_slist_append(hdrs, "Content-Type:");
	}
	if (req->content_range) {
		snprintf(line, sizeof(line), "Content-Range: %s", req->content_range);
		hdrs = curl_slist_append(hdrs, line);
	}
	/* No 100-continue round trip: registries answer uploads directly. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (auth)
		hdrs = curl_slist_append(hdrs, auth);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	{
		long connects = 0;

		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
		c->connects += (unsigned)connects;
	}
	if (x.sink_failed && rc == CURLE_WRITE_ERROR)
		rc = CURLE_ABORTED_BY_CALLBACK;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	*sunk = x.sunk;
	return rc;
}

static void
oci_sleep(dk_oci_client *c, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (c->sleep) {
		c->sleep(c->sleep_payload, ms);
		return;
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Retry-After in seconds (the HTTP-date form is rare from registries: backoff instead). */
static long
retry_delay(dk_oci_client *c, const oci_resp *resp, int attempt)
{
	long ms = c->retry_base_ms;
	int i;

	if (resp && resp->retry_after) {
		char *end;
		long s = strtol(resp->retry_after, &end, 10);

		if (end != resp->retry_after && *end == '\0' && s >= 0)
			return s * 1000 > c->retry_max_ms ? c->retry_max_ms : s * 1000;
	}
	for (i = 0; i < attempt && ms < c->retry_max_ms; i++)
		ms *= 2;
	return ms > c->retry_max_ms ? c->retry_max_ms : ms;
}

static int
tls_failure(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_WEIRD_SERVER_REPLY ||
	       rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
}

static int
tls_permanent(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

/*
 * Paths are joined to the base; absolute URLs on our own host follow the scheme the
 * client settled on (a URL built before an https -> http fallback still works).
 */
static char *
request_url(dk_oci_client *c, const char *url)
{
	char *out;

	if (url[0] == '/')
		return oci_url(c, "%s", url);
	if (strncmp(c->base, "http://", 7) == 0 && strncmp(url, "https://", 8) == 0 &&
	    strncmp(url + 8, c->registry, strlen(c->registry)) == 0 &&
	    (url[8 + strlen(c->registry)] == '/' || url[8 + strlen(c->registry)] == '\0'))
		return asprintf(&out, "http://%s", url + 8) < 0 ? NULL : out;
	return strdup(url);
}

int
oci_request(dk_oci_client *c, const oci_req *req, oci_resp *resp, CURLcode *curl_rc)
{
	char errbuf[CURL_ERROR_SIZE];
	char *url = NULL, *auth = NULL;
	int attempt = 0, auth_rounds = 0, fresh = 0, rc;
	uint64_t sunk;
	CURLcode crc;

	for (;;) {
		free(url);
		free(auth);
		url = NULL;
		auth = NULL;
		oci_resp_reset(resp);
		if (req->body)
			req->body->pos = 0;
		url = request_url(c, req->url);
		if (!url) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = oci_auth_header(c, req->scopes, &auth, &fresh)) < 0)
			goto done;
		crc = perform(c, req, resp, url, auth, errbuf, &sunk);
		if (curl_rc)
			*curl_rc = crc;
		if (crc != CURLE_OK) {
			/* Loopback/insecure hosts: HTTPS first, plain HTTP when the handshake fails. */
			if (!c->scheme_known && c->insecure && tls_failure(crc) &&
			    strncmp(c->base, "https://", 8) == 0 && strncmp(url, c->base, strlen(c->base)) == 0) {
				char *nb;

				if (asprintf(&nb, "http://%s", c->registry) < 0) {
					rc = dk_error_set(DK_ENOMEM, "out of memory");
					goto done;
				}
				free(c->base);
				c->base = nb;
				c->scheme_known = 1;
				dk_log_debug("msg=\"registry speaks plain http\" registry=%s", c->registry);
				continue;
			}
			if (crc == CURLE_WRITE_ERROR) {
				rc = resp->body_overflow ?
					dk_error_set(DK_EINVALID, "registry %s: answer too large for %s", c->registry,
						     req->what ? req->what : "request") :
					dk_error_set(DK_ENOMEM, "out of memory");
				goto done;
			}
			if (crc == CURLE_ABORTED_BY_CALLBACK) {
				rc = dk_error_last()->code ? dk_error_last()->code : DK_ERROR;
				goto done;
			}
			/* Bytes already streamed cannot be taken back: the caller resumes. A TLS
			 * failure is configuration, not weather: no retry. */
			if (sunk == 0 && attempt < c->max_retries && !tls_permanent(crc)) {
				long ms = retry_delay(c, NULL, attempt++);

				dk_log_info("msg=\"registry request failed, retrying\" registry=%s error=\"%s\" delay_ms=%ld",
					    c->registry, curl_easy_strerror(crc), ms);
				oci_sleep(c, ms);
				continue;
			}
			rc = oci_curl_error(c, crc, errbuf, req->what);
			goto done;
		}
		c->scheme_known = 1;
		/*
		 * 401: learn the challenge and go again — the first time because nothing was
		 * sent, then (at most twice) because a token was refused: expired early,
		 * revoked, or issued with a skewed clock.
		 */
		if (resp->status == 401 && auth_rounds < 3 && resp->www_auth && !(auth && fresh && auth_rounds == 2)) {
			auth_rounds++;
			rc = oci_auth_challenge(c, resp->www_auth, req->scopes, auth != NULL);
			if (rc < 0)
				goto done;
			if (rc > 0)
				continue;
		}
		if ((resp->status == 429 || resp->status >= 500) && attempt < c->max_retries) {
			long ms = retry_delay(c, resp, attempt++);

			dk_log_info("msg=\"registry busy, retrying\" registry=%s status=%ld delay_ms=%ld",
				    c->registry, resp->status, ms);
			oci_sleep(c, ms);
			continue;
		}
		rc = 0;
		goto done;
	}
done:
	free(url);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	return rc;
}

int
oci_curl_error(dk_oci_client *c, CURLcode rc, const char *errbuf, const char *what)
{
	return dk_error_set(DK_EIO, "registry %s: %s (%s) for %s", c->registry,
			    curl_easy_strerror(rc), errbuf && *errbuf ? errbuf : "no detail",
			    what ? what : "request");
}

static const char *
status_words(long status)
{
	switch (status) {
	case 400: return "bad request";
	case 401: return "unauthorized";
	case 403: return "denied";
	case 404: return "not found";
	case 405: return "method not allowed";
	case 409: return "conflict";
	case 413: return "too large";
	case 416: return "range not satisfiable";
	case 429: return "too many requests";
	case 500: return "internal server error";
	case 502: return "bad gateway";
	case 503: return "service unavailable";
	case 504: return "gateway timeout";
	default: return "unexpected answer";
	}
}

int
oci_status_error(dk_oci_client *c, const oci_resp *resp, const char *what)
{
	json_t *doc = NULL, *err;
	const char *code = NULL, *msg = NULL;
	int dk;
	long s = resp->status;

	if (resp->body_len)
		doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
	err = json_array_get(json_object_get(doc, "errors"), 0);
	code = json_string_value(json_object_get(err, "code"));
	msg = json_string_value(json_object_get(err, "message"));
	if (s == 401 || s == 403)
		dk = DK_EAUTH;
	else if (s == 404)
		dk = DK_ENOTFOUND;
	else if (s == 409)
		dk = DK_ECONFLICT;
	else if (s == 429 || s >= 500)
		dk = DK_EIO;
	else if (s >= 400)
		dk = DK_EINVALID;
	else
		dk = DK_ERROR;
	if (s == 401)
		msg = c->auth_kind == 'T' ? "token rejected" :
		      c->username ? "credentials rejected" : "authentication required";
	dk_error_set(dk, "registry %s: %s (%ld%s%s) for %s", c->registry,
		     msg && *msg ? msg : status_words(s), s, code ? " " : "", code ? code : "",
		     what ? what : "request");
	json_decref(doc);
	return dk;
}
