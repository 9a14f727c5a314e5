/* Gitea client: transport, errors, version probe, pagination. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "gitea_internal.h"

int
gitea_oom(void)
{
	return dk_error_set(DK_ENOMEM, "out of memory");
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe; curl_easy_init would call it on first use. */
static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
dk_gitea_open(dk_gitea **out, const char *url, const char *token)
{
	dk_gitea *g = NULL;
	size_t n;
	int rc = 0;

	*out = NULL;
	if (!url || !*url)
		return dk_error_set(DK_EINVALID, "no Gitea URL: set [gitea] url in the config "
				    "or DISKOPS_GITEA_URL");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return dk_error_set(DK_EINVALID, "Gitea URL \"%s\" must start with http:// or "
				    "https://", url);
	if (!(g = calloc(1, sizeof(*g))))
		return gitea_oom();
	g->timeout_ms = 30000;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 7 && strncmp(url + n - 7, "/api/v1", 7) == 0)
		n -= 7;
	if (asprintf(&g->api, "%.*s/api/v1", (int)n, url) < 0) {
		g->api = NULL;
		rc = gitea_oom();
		goto done;
	}
	g->token = token && *token ? strdup(token) : NULL;
	if (token && *token && !g->token) {
		rc = gitea_oom();
		goto done;
	}
	/* Belt and braces: the token is never formatted into a line, but if it ever is,
	 * the log filter catches it. */
	if (g->token)
		dk_log_register_secret(g->token);
	pthread_once(&curl_once, curl_init_once);
	if (!(g->curl = curl_easy_init())) {
		rc = dk_error_set(DK_ERROR, "cannot initialise libcurl");
		goto done;
	}
done:
	if (rc < 0)
		dk_gitea_free(g);
	else
		*out = g;
	return rc;
}

void
dk_gitea_free(dk_gitea *g)
{
	if (!g)
		return;
	if (g->curl)
		curl_easy_cleanup(g->curl);
	free(g->api);
	if (g->token) {
		/* Don't leave the token in freed heap memory. */
		memset(g->token, 0, strlen(g->token));
		free(g->token);
	}
	free(g->last_message);
	free(g->login);
	free(g);
}

long
dk_gitea_last_status(const dk_gitea *g)
{
	return g ? g->last_status : 0;
}

const char *
dk_gitea_last_message(const dk_gitea *g)
{
	return g && g->last_message ? g->last_message : "";
}

void
dk_gitea_set_timeout(dk_gitea *g, long timeout_ms)
{
	g->timeout_ms = timeout_ms < 0 ? 0 : timeout_ms;
}

/* --- transport --- */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct gitea_resp *r = userdata;
	size_t n = size * nmemb;
	char *grown = realloc(r->body, r->len + n + 1);

	if (!grown)
		return 0;
	r->body = grown;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static char *
header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v;
	char *out;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	v = line + k + 1;
	while (v < line + n && (*v == ' ' || *v == '\t'))
		v++;
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	out = strndup(v, (size_t)(line + n - v));
	return out;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct gitea_resp *r = userdata;
	size_t n = size * nmemb;
	char *v;

	/* A new status line (a redirect followed, 100 Continue) starts a new set. */
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(r->link);
		free(r->content_range);
		r->link = r->content_range = NULL;
		r->total = -1;
	} else if ((v = header_value(data, n, "X-Total-Count"))) {
		r->total = strtoll(v, NULL, 10);
		free(v);
	} else if ((v = header_value(data, n, "Link"))) {
		free(r->link);
		r->link = v;
	} else if ((v = header_value(data, n, "Content-Range"))) {
		free(r->content_range);
		r->content_range = v;
	}
	return n;
}

void
gitea_resp_free(struct gitea_resp *r)
{
	free(r->body);
	free(r->link);
	free(r->content_range);
	memset(r, 0, sizeof(*r));
}

int
gitea_request(dk_gitea *g, struct gitea_resp *r, const char *path, const struct gitea_call *call)
{
	static const struct gitea_call defaults = { 0 };
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *auth = NULL, *payload = NULL, range[64];
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *method;
	CURLcode cc;
	int rc = 0;

	if (!call)
		call = &defaults;
	method = call->method ? call->method : "GET";
	memset(r, 0, sizeof(*r));
	r->total = -1;
	free(g->last_message);
	g->last_message = NULL;
	g->last_status = 0;
	if (asprintf(&url, "%s%s", g->api, path) < 0) {
		url = NULL;
		rc = gitea_oom();
		goto done;
	}
	curl_easy_reset(g->curl);
	curl_easy_setopt(g->curl, CURLOPT_URL, url);
	curl_easy_setopt(g->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(g->curl, CURLOPT_TIMEOUT_MS, g->timeout_ms);
	curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(g->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(g->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(g->curl, CURLOPT_USERAGENT, "diskops/" DK_VERSION);
	/* Never follow a redirect with the token to another host. */
	curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(g->curl, CURLOPT_NOBODY, 1L);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (call->basic_user) {
		curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(g->curl, CURLOPT_USERNAME, call->basic_user);
		curl_easy_setopt(g->curl, CURLOPT_PASSWORD,
				 call->basic_password ? call->basic_password : "");
	} else if (!call->anonymous && g->token) {
		/* Exactly "token <PAT>": the one form every Gitea version accepts. */
		if (asprintf(&auth, "Authorization: token %s", g->token) < 0) {
			auth = NULL;
			rc = gitea_oom();
			goto done;
		}
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (call->has_range) {
		snprintf(range, sizeof(range), "Range: bytes=%llu-",
			 (unsigned long long)call->range_from);
		hdrs = curl_slist_append(hdrs, range);
	}
	if (call->body) {
		if (!(payload = json_dumps(call->body, JSON_COMPACT))) {
			rc = gitea_oom();
			goto done;
		}
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(g->curl, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(g->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(g->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(g->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, hdrs);
	dk_log_debug("msg=\"gitea request\" method=%s path=%s", method, path);
	cc = curl_easy_perform(g->curl);
	if (cc != CURLE_OK) {
		/* The URL holds no credentials, so it is safe to name. */
		rc = dk_error_set(DK_EIO, "cannot reach Gitea at %.*s: %s", (int)(strlen(g->api) - 7),
				  g->api, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &r->status);
	g->last_status = r->status;
	if (!r->body && !(r->body = calloc(1, 1)))
		rc = gitea_oom();
done:
	curl_slist_free_all(hdrs);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(payload);
	free(url);
	return rc;
}

/* --- errors --- */

/* Gitea's {"message": ...}, or the start of a non-JSON body. */
static char *
reply_message(const struct gitea_resp *r)
{
	json_t *j = r->body && r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "message"));
	char *out;

	if (m && *m) {
		out = strdup(m);
	} else if (r->body && r->len) {
		size_t n = strcspn(r->body, "\r\n");

		out = strndup(r->body, n > 200 ? 200 : n);
	} else {
		out = strdup("");
	}
	json_decref(j);
	return out;
}

int
gitea_fail(dk_gitea *g, const struct gitea_resp *r, const char *what, int flags)
{
	char *msg = reply_message(r);
	char detail[600];
	int rc;

	if (!msg)
		return gitea_oom();
	free(g->last_message);
	g->last_message = msg;
	if (*msg)
		snprintf(detail, sizeof(detail), ": %s", msg);
	else
		detail[0] = '\0';
	switch (r->status) {
	case 401:
		rc = dk_error_set(DK_EAUTH, "%s: Gitea refused the credentials (401, bad or expired "
				  "token)%s", what, detail);
		break;
	case 403:
		rc = dk_error_set(DK_EAUTH, "%s: forbidden (403)%s%s", what, detail,
				  flags & GITEA_OWNER_ONLY ?
				  " — repo Actions secrets, variables and runners need the repo "
				  "owner, an org owner or a site admin" : "");
		break;
	case 404:
		rc = dk_error_set(DK_ENOTFOUND, "%s: not found on Gitea, or not visible to this "
				  "token (404)%s", what, detail);
		break;
	case 409:
		rc = dk_error_set(DK_ECONFLICT, "%s: conflict (409)%s", what, detail);
		break;
	case 400:
	case 422:
		rc = dk_error_set(DK_EINVALID, "%s: Gitea refused the request (%ld)%s", what,
				  r->status, detail);
		break;
	case 423:
		rc = dk_error_set(DK_ESTATE, "%s: the repository is archived (423)%s", what, detail);
		break;
	default:
		rc = dk_error_set(DK_ERROR, "%s: Gitea answered %ld%s", what, r->status, detail);
		break;
	}
	return rc;
}

int
gitea_do(dk_gitea *g, json_t **json, const char *path, const struct gitea_call *call,
	 const long *ok, const char *what, int flags)
{
	struct gitea_resp r;
	json_error_t err;
	bool good = false;
	int rc;

	if (json)
		*json = NULL;
	if ((rc = gitea_request(g, &r, path, call)) < 0)
		goto done;
	if (ok) {
		for (const long *s = ok; *s; s++)
			good = good || r.status == *s;
	} else {
		good = r.status >= 200 && r.status < 300;
	}
	if (!good) {
		rc = gitea_fail(g, &r, what, flags);
		goto done;
	}
	if (json && !(*json = json_loadb(r.body, r.len, 0, &err))) {
		rc = dk_error_set(DK_ERROR, "%s: Gitea sent a reply that is not valid JSON (%s at "
				  "byte %d)", what, err.text, err.position);
		goto done;
	}
	rc = (int)r.status;
done:
	gitea_resp_free(&r);
	return rc;
}

/* --- version --- */

int
dk_gitea_server_version(dk_gitea *g, dk_gitea_version *out)
{
	static const struct gitea_call anon = { .anonymous = true };
	json_t *j = NULL;
	const char *v;
	int rc;

	if (g->version_known) {
		*out = g->version;
		return 0;
	}
	/* No token: /version needs none, and a bad token must not hide the version. A
	 * server that requires sign-in for everything answers 401/403: then with the token. */
	rc = gitea_do(g, &j, "/version", &anon, NULL, "Gitea version", 0);
	if ((rc == DK_EAUTH) && g->token)
		rc = gitea_do(g, &j, "/version", NULL, NULL, "Gitea version", 0);
	if (rc < 0)
		goto done;
	v = json_string_value(json_object_get(j, "version"));
	memset(&g->version, 0, sizeof(g->version));
	if (!v || sscanf(v, "%d.%d.%d", &g->version.major, &g->version.minor,
			 &g->version.patch) < 2) {
		rc = dk_error_set(DK_ERROR, "Gitea version: the server did not say which version "
				  "it is (%s)", v ? v : "no \"version\" field");
		goto done;
	}
	snprintf(g->version.text, sizeof(g->version.text), "%s", v);
	g->version_known = true;
	*out = g->version;
	rc = 0;
done:
	json_decref(j);
	return rc;
}

static const struct {
	int minor;
	const char *since;
} features[] = {
	[DK_GITEA_RUNS_API] = { 25, "1.25" },
	[DK_GITEA_RUN_DETAILS] = { 26, "1.26" },
	[DK_GITEA_RERUN] = { 26, "1.26" },
	[DK_GITEA_REGISTRATION_POST] = { 24, "1.24" },
	[DK_GITEA_CANCEL] = { 28, "1.28" },
	[DK_GITEA_LIST_HEADERS] = { 27, "1.27" },
};

const char *
dk_gitea_feature_since(dk_gitea_feature f)
{
	return (size_t)f < sizeof(features) / sizeof(features[0]) ? features[f].since : "?";
}

bool
dk_gitea_has(dk_gitea *g, dk_gitea_feature f)
{
	dk_gitea_version v;

	if ((size_t)f >= sizeof(features) / sizeof(features[0]) || dk_gitea_server_version(g, &v) < 0)
		return false;
	return v.major > 1 || (v.major == 1 && v.minor >= features[f].minor);
}

int
gitea_require(dk_gitea *g, dk_gitea_feature f, const char *what)
{
	dk_gitea_version v;
	int rc;

	if ((rc = dk_gitea_server_version(g, &v)) < 0)
		return rc;
	if (dk_gitea_has(g, f))
		return 0;
	return dk_error_set(DK_EINVALID, "%s needs Gitea %s or newer; this server is %s", what,
			    dk_gitea_feature_since(f), v.text);
}

int
dk_gitea_whoami(dk_gitea *g, char **out)
{
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (!g->login) {
		if ((rc = gitea_do(g, &j, "/user", NULL, NULL, "Gitea user", 0)) < 0)
			return rc;
		g->login = gitea_jstr(j, "login");
		json_decref(j);
		if (!g->login)
			return gitea_oom();
	}
	if (!(*out = strdup(g->login)))
		return gitea_oom();
	return 0;
}

/* --- pagination --- */

/* True when a Link header offers a next page. */
static bool
link_has_next(const char *link)
{
	return link && strstr(link, "rel=\"next\"");
}

int
gitea_list(dk_gitea *g, const char *path, const char *key, size_t max,
	   int (*each)(json_t *item, void *ctx), void *ctx, int64_t *total, const char *what,
	   int flags)
{
	/* One limit for every page: changing it between pages would shift the offsets. */
	int limit = max > 0 && max < 50 ? (int)max : 50;
	size_t seen = 0;
	int rc = 0;

	if (total)
		*total = -1;
	for (int page = 1; page <= 10000; page++) {
		struct gitea_resp r;
		json_error_t err;
		json_t *doc = NULL, *items;
		char *url = NULL;
		long long server_total;
		size_t n;

		if (asprintf(&url, "%s%cpage=%d&limit=%d", path, strchr(path, '?') ? '&' : '?', page,
			     limit) < 0)
			return gitea_oom();
		rc = gitea_request(g, &r, url, NULL);
		free(url);
		if (rc < 0)
			return rc;
		if (r.status != 200) {
			rc = gitea_fail(g, &r, what, flags);
			gitea_resp_free(&r);
			return rc;
		}
		if (!(doc = json_loadb(r.body, r.len, 0, &err))) {
			rc = dk_error_set(DK_ERROR, "%s: Gitea sent a reply that is not valid JSON "
					  "(%s at byte %d)", what, err.text, err.position);
			gitea_resp_free(&r);
			return rc;
		}
		items = key ? json_object_get(doc, key) : doc;
		server_total = key ? (json_is_integer(json_object_get(doc, "total_count")) ?
				      json_integer_value(json_object_get(doc, "total_count")) : -1)
				   : r.total;
		if (!json_is_array(items)) {
			rc = dk_error_set(DK_ERROR, "%s: Gitea's reply has no \"%s\" list", what,
					  key ? key : "[]");
			json_decref(doc);
			gitea_resp_free(&r);
			return rc;
		}
		if (total)
			*total = server_total;
		n = json_array_size(items);
		for (size_t i = 0; i < n && (max == 0 || seen < max); i++, seen++) {
			if ((rc = each(json_array_get(items, i), ctx)) < 0)
				break;
		}
		json_decref(doc);
		if (rc < 0) {
			gitea_resp_free(&r);
			return rc;
		}
		/* Done: enough, a short page, the total reached, or (bare arrays) no next link. */
		if ((max && seen >= max) || n < (size_t)limit ||
		    (server_total >= 0 && seen >= (size_t)server_total) ||
		    (!key && r.link && !link_has_next(r.link))) {
			gitea_resp_free(&r);
			return 0;
		}
		gitea_resp_free(&r);
	}
	return 0;
}

/* --- helpers --- */

char *
gitea_escape(const char *segment)
{
	char *e = curl_easy_escape(NULL, segment ? segment : "", 0), *out;

	if (!e)
		return NULL;
	out = strdup(e);
	curl_free(e);
	return out;
}

char *
gitea_repo_path(const char *owner, const char *repo, const char *suffix_fmt, ...)
{
	char *o = gitea_escape(owner), *r = gitea_escape(repo), *suffix = NULL, *out = NULL;
	va_list ap;
	int n;

	va_start(ap, suffix_fmt);
	n = vasprintf(&suffix, suffix_fmt, ap);
	va_end(ap);
	if (o && r && n >= 0 && asprintf(&out, "/repos/%s/%s%s", o, r, suffix) < 0)
		out = NULL;
	free(o);
	free(r);
	if (n >= 0)
		free(suffix);
	return out;
}

int
dk_gitea_split_repo(char **owner, char **repo, const char *full)
{
	const char *slash = full ? strchr(full, '/') : NULL;

	*owner = *repo = NULL;
	if (!slash || slash == full || !slash[1] || strchr(slash + 1, '/'))
		return dk_error_set(DK_EINVALID, "repository \"%s\" is not OWNER/REPO",
				    full ? full : "");
	*owner = strndup(full, (size_t)(slash - full));
	*repo = strdup(slash + 1);
	if (!*owner || !*repo) {
		free(*owner);
		free(*repo);
		*owner = *repo = NULL;
		return gitea_oom();
	}
	return 0;
}

char *
gitea_jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return strdup(s ? s : "");
}

int64_t
gitea_jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

bool
gitea_jbool(json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

int64_t
gitea_jtime(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key)), *p;
	struct tm tm = { 0 };
	int64_t t;
	int n = 0;

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm);
	p = s + n;
	if (*p == '.')
		while (isdigit((unsigned char)*++p))
			;
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;

		if (sscanf(p + 1, "%d:%d", &hh, &mm) >= 1)
			t -= (*p == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
	}
	/* Gitea sends the epoch (in its local offset for run fields) for "not set". */
	return t <= 86400 ? 0 : t;
}
