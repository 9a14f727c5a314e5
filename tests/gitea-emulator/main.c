/*
 * gitea-emulator [--version 1.24|1.25|1.26|1.27] [--swagger FILE] [--data DIR]
 *                [--user LOGIN:TOKEN[:PASSWORD[:admin]]]... [--org NAME:OWNER]...
 *                [--repo OWNER/NAME]... [--runner NAME:online|offline:LABEL,...]...
 *                [--runner-script FILE] [--unknown-log FILE] [--port PORT]
 *
 * Listens on 127.0.0.1:PORT (default 0: any free port; a test restarting "the same
 * Gitea" passes the port it had) and prints "listening on 127.0.0.1:PORT" on stdout. SIGTERM or
 * SIGINT stops it cleanly (running job scripts are killed, a temporary --data removed).
 * /_emulator/... are test controls, outside Gitea's API; see README.md.
 */
#include <errno.h>
#include <ftw.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emulator.h"

struct emu emu = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.changed = PTHREAD_COND_INITIALIZER,
	.version = 127,
	.next_id = 1,
};

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data)
			abort();
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	buf_add(b, s, (size_t)n);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* --- requests and replies --- */

const char *
req_arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct args_ctx {
	const char *name;
	const char **out;
	size_t max, n;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args_ctx *a = cls;

	(void)kind;
	if (strcmp(key, a->name) == 0 && value && a->n < a->max)
		a->out[a->n++] = value;
	return MHD_YES;
}

size_t
req_args(struct req *r, const char *name, const char **out, size_t max)
{
	struct args_ctx a = { name, out, max, 0 };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	return a.n;
}

const char *
req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void
reply(struct req *r, int status, json_t *body)
{
	r->status = status;
	json_decref(r->reply);
	r->reply = body;
}

int
reply_error(struct req *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply(r, status, json_pack("{s:s, s:s}", "message", msg,
				   "url", "https://gitea.example/api/swagger"));
	return -1;
}

void
reply_header(struct req *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nheaders == 8)
		return;
	va_start(ap, fmt);
	if (vasprintf(&r->headers[r->nheaders], fmt, ap) >= 0)
		r->nheaders++;
	va_end(ap);
}

void
req_page(struct req *r, int *page, int *limit)
{
	const char *p = req_arg(r, "page"), *l = req_arg(r, "limit");

	*page = p ? atoi(p) : 1;
	*limit = l ? atoi(l) : 30;
	if (*page < 1)
		*page = 1;
	if (*limit < 1)
		*limit = 30;
	if (*limit > 50)
		*limit = 50;
}

void
reply_page_headers(struct req *r, size_t total, int page, int limit)
{
	int last = total ? (int)((total + (size_t)limit - 1) / (size_t)limit) : 1;
	char *base = api_base();
	struct buf link = { 0 };

	reply_header(r, "X-Total-Count: %zu", total);
	if (page < last)
		buf_addf(&link, "<%s/api/v1%s?page=%d&limit=%d>; rel=\"next\",", base, r->path,
			 page + 1, limit);
	buf_addf(&link, "<%s/api/v1%s?page=%d&limit=%d>; rel=\"last\"", base, r->path, last, limit);
	if (page > 1)
		buf_addf(&link, ",<%s/api/v1%s?page=1&limit=%d>; rel=\"first\","
			 "<%s/api/v1%s?page=%d&limit=%d>; rel=\"prev\"", base, r->path, limit,
			 base, r->path, page - 1, limit);
	reply_header(r, "Link: %s", link.data);
	reply_header(r, "Access-Control-Expose-Headers: Link, X-Total-Count");
	buf_free(&link);
	free(base);
}

char *
api_base(void)
{
	char *s;

	if (asprintf(&s, "http://127.0.0.1:%u", emu.port) < 0)
		abort();
	return s;
}

/* --- authentication: "token X", "bearer X" or Basic with a password or a token --- */

static struct user *
user_by_token(const char *value)
{
	for (size_t i = 0; i < emu.ntokens; i++) {
		if (strcmp(emu.tokens[i].value, value) == 0)
			return user_find(emu.tokens[i].login);
	}
	return NULL;
}

static const unsigned char *
b64_table(void)
{
	static unsigned char t[256];
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (!t['B'])
		for (int i = 0; i < 64; i++)
			t[(unsigned char)a[i]] = (unsigned char)(i + 1);
	return t;
}

/* Decodes standard base64 (padding optional); NULL on bad input. */
char *
b64_decode(const char *in, size_t *outlen)
{
	const unsigned char *t = b64_table();
	size_t n = strlen(in), o = 0;
	char *out = malloc(n / 4 * 3 + 4);
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '=' || c == '\n' || c == '\r')
			continue;
		if (!t[c]) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(t[c] - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

char *
b64_encode(const void *data, size_t len)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = data;
	char *out = malloc(len / 3 * 4 + 5), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)d[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		*o++ = a[(v >> 18) & 63];
		*o++ = a[(v >> 12) & 63];
		*o++ = i + 1 < len ? a[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? a[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* 0 anonymous, 1 authenticated, -1 bad credentials. */
int
authenticate(struct MHD_Connection *conn, struct user **out, bool *token_auth)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	char scheme[16] = "", *sep, *dec;
	const char *cred;
	size_t n;

	*out = NULL;
	*token_auth = false;
	if (!h)
		return 0;
	if (sscanf(h, "%15s", scheme) != 1)
		return -1;
	cred = h + strlen(scheme);
	while (*cred == ' ')
		cred++;
	if (strcasecmp(scheme, "token") == 0 || strcasecmp(scheme, "bearer") == 0) {
		*token_auth = true;
		*out = user_by_token(cred);
		return *out ? 1 : -1;
	}
	if (strcasecmp(scheme, "basic") != 0 || !(dec = b64_decode(cred, &n)))
		return -1;
	if ((sep = strchr(dec, ':'))) {
		struct user *u;

		*sep = '\0';
		u = user_find(dec);
		if (u && u->password && strcmp(u->password, sep + 1) == 0) {
			*out = u;
		} else if (u && user_by_token(sep + 1) == u) {
			/* Gitea takes a token as the Basic password, for git as for the API. */
			*out = u;
			*token_auth = true;
		}
	}
	free(dec);
	return *out ? 1 : -1;
}

/* --- the API dispatch --- */

static const struct route *
find_route(const char *method, const char *tmpl)
{
	const struct route *tables[] = { repo_routes, actions_routes };

	for (size_t t = 0; t < 2; t++) {
		for (const struct route *rt = tables[t]; rt->method; rt++) {
			if (strcmp(rt->method, method) == 0 && strcmp(rt->tmpl, tmpl) == 0)
				return rt;
		}
	}
	return NULL;
}

static void
record_unknown(const char *method, const char *path, const char *why)
{
	emu.unknown_calls++;
	json_array_append_new(emu.unknown, json_sprintf("%s %s", method, path));
	fprintf(stderr, "gitea-emulator: 501 %s /api/v1%s: %s\n", method, path, why);
	if (emu.unknown_log) {
		FILE *f = fopen(emu.unknown_log, "a");

		if (f) {
			fprintf(f, "%s /api/v1%s %s\n", method, path, why);
			fclose(f);
		}
	}
}

static void
api(struct req *r)
{
	const struct route *rt;
	int auth;

	r->tmpl = swagger_match(r->method, r->path, r->params, &r->nparams);
	if (!r->tmpl) {
		record_unknown(r->method, r->path, "not in Gitea's swagger.v1.json");
		reply_error(r, 501, "gitea-emulator: %s /api/v1%s is not a Gitea %s API call "
			    "(not in swagger.v1.json)", r->method, r->path, "1.27.0");
		return;
	}
	if (!(rt = find_route(r->method, r->tmpl))) {
		record_unknown(r->method, r->path, "in the swagger but not emulated");
		reply_error(r, 501, "gitea-emulator: %s %s exists in Gitea but is not emulated",
			    r->method, r->tmpl);
		return;
	}
	{
		char key[300];

		snprintf(key, sizeof(key), "%s %s", r->method, r->tmpl);
		json_object_set_new(emu.calls, key, json_integer(
			json_integer_value(json_object_get(emu.calls, key)) + 1));
	}
	if (emu.version < rt->since || (rt->until && emu.version > rt->until)) {
		/* What Gitea of that version does for a route it does not have yet. */
		reply_error(r, 404, "Not Found");
		return;
	}
	auth = authenticate(r->conn, &r->user, &r->token_auth);
	if (auth < 0) {
		reply_error(r, 401, "user does not exist or token is invalid");
		return;
	}
	if (!r->user && strcmp(r->tmpl, "/version") != 0) {
		reply_error(r, 401, "token is required");
		return;
	}
	if (r->body_len) {
		json_error_t err;

		r->json = json_loadb(r->body, r->body_len, 0, &err);
		if (!r->json) {
			reply_error(r, 400, "invalid JSON body: %s", err.text);
			return;
		}
	}
	rt->fn(r);
}

/* --- test controls (/_emulator/...) --- */

static void
control(struct req *r)
{
	const char *p = r->path;
	int64_t id;
	char verb[32];

	if (strcmp(p, "/stats") == 0 && strcmp(r->method, "GET") == 0) {
		reply(r, 200, json_pack("{s:I, s:I, s:O, s:i, s:O}", "requests",
					(json_int_t)emu.requests, "unknown_calls",
					(json_int_t)emu.unknown_calls, "unknown", emu.unknown,
					"running_jobs", emu.running_jobs, "calls", emu.calls));
	} else if (strcmp(p, "/fault") == 0 && strcmp(r->method, "POST") == 0) {
		const char *m = req_arg(r, "malformed_json");

		emu.fault_malformed_json = m && strcmp(m, "1") == 0;
		reply(r, 204, NULL);
	} else if (sscanf(p, "/jobs/%" SCNd64 "/%31s", &id, verb) == 2) {
		struct job *job = job_find(id);
		const char *size = req_arg(r, "size");

		if (!job) {
			reply_error(r, 404, "no job %" PRId64, id);
		} else if (strcmp(verb, "truncate") == 0 && size) {
			/* Logs "moved to storage" shorter than before: a client must notice. */
			size_t n = (size_t)strtoull(size, NULL, 10);

			if (n < job->log.len) {
				job->log.len = n;
				job->log.data[n] = '\0';
			}
			reply(r, 204, NULL);
		} else if (strcmp(verb, "expire") == 0) {
			job->log_expired = true;
			reply(r, 204, NULL);
		} else if (strcmp(verb, "wait") == 0) {
			/* Blocks until the job is done: tests wait for a condition, not a clock. */
			while (!status_done(job->status))
				pthread_cond_wait(&emu.changed, &emu.lock);
			reply(r, 200, job_json(job));
		} else {
			reply_error(r, 404, "unknown control %s", p);
		}
	} else if (strcmp(p, "/runners") == 0 && strcmp(r->method, "POST") == 0) {
		/* A runner goes offline or comes back (runner_offline, queued_no_runner). */
		const char *name = req_arg(r, "name"), *online = req_arg(r, "online");
		size_t i;

		for (i = 0; name && i < emu.nrunners && strcmp(emu.runners[i].name, name) != 0; i++)
			;
		if (!name || !online || i == emu.nrunners) {
			reply_error(r, 404, "no runner %s", name ? name : "(no name)");
			return;
		}
		emu.runners[i].online = strcmp(online, "1") == 0;
		reply(r, 204, NULL);
	} else if (strcmp(p, "/runs") == 0 && strcmp(r->method, "POST") == 0) {
		/* Seeds finished runs (pagination tests) without running anything. */
		struct repo *repo = repo_find(req_arg(r, "owner") ? req_arg(r, "owner") : "",
					      req_arg(r, "repo") ? req_arg(r, "repo") : "");
		int count = req_arg(r, "count") ? atoi(req_arg(r, "count")) : 1;

		if (!repo) {
			reply_error(r, 404, "no such repo");
			return;
		}
		for (int i = 0; i < count; i++) {
			struct run *run = calloc(1, sizeof(*run));
			struct job *job = calloc(1, sizeof(*job));

			run->id = emu.next_id++;
			run->number = repo->next_run_number++;
			run->repo = repo;
			run->workflow = strdup("seeded.yml");
			run->ref = strdup("refs/heads/main");
			run->event = strdup("push");
			run->sha = strdup("0000000000000000000000000000000000000000");
			run->title = strdup("seeded run");
			run->actor = strdup(emu.nusers ? emu.users[0].login : "admin");
			run->status = ST_SUCCESS;
			run->attempt = 1;
			run->created = run->started = run->completed = now_unix();
			job->id = emu.next_id++;
			job->run_id = run->id;
			job->repo = repo;
			job->name = strdup("build");
			job->labels = strdup("ubuntu-latest");
			job->status = ST_SUCCESS;
			job->attempt = 1;
			job->created = job->started = job->completed = run->created;
			run->job = job;
			emu.runs = realloc(emu.runs, (emu.nruns + 1) * sizeof(*emu.runs));
			emu.runs[emu.nruns++] = run;
		}
		reply(r, 204, NULL);
	} else {
		reply_error(r, 404, "unknown control %s %s", r->method, p);
	}
}

/* --- libmicrohttpd glue --- */

struct conn_state {
	struct buf body;
};

static enum MHD_Result
send_reply(struct MHD_Connection *conn, struct req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;
	const char *type = "application/json;charset=utf-8";
	size_t len = 0;

	if (r->reply) {
		text = json_dumps(r->reply, JSON_COMPACT);
		len = strlen(text);
		if (emu.fault_malformed_json && len > 2) {
			/* Cut in the middle: a reply a real proxy might truncate. */
			len = len / 2;
			text[len] = '\0';
		}
		resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	} else if (r->raw.data || r->raw_type) {
		resp = MHD_create_response_from_buffer(r->raw.len, r->raw.data ? r->raw.data : "",
						       MHD_RESPMEM_MUST_COPY);
		type = r->raw_type ? r->raw_type : "text/plain; charset=utf-8";
	} else {
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		type = NULL;
	}
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	for (int i = 0; i < r->nheaders; i++) {
		char *colon = strchr(r->headers[i], ':');

		if (colon) {
			*colon = '\0';
			MHD_add_response_header(resp, r->headers[i], colon + 2);
		}
	}
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct conn_state *cs = *con_cls;
	struct req r = { 0 };
	enum MHD_Result ret;

	(void)cls; (void)version;
	if (!cs) {
		*con_cls = calloc(1, sizeof(struct conn_state));
		return MHD_YES;
	}
	if (*upload_size) {
		buf_add(&cs->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/api/v1/", 8) != 0 && strncmp(url, "/_emulator/", 11) != 0 &&
	    strcmp(url, "/api/v1") != 0)
		return git_http(conn, method, url, cs->body.data, cs->body.len);

	r.conn = conn;
	r.method = method;
	r.body = cs->body.data;
	r.body_len = cs->body.len;
	r.status = 500;
	pthread_mutex_lock(&emu.lock);
	if (strncmp(url, "/_emulator/", 11) == 0) {
		r.path = url + 10;
		control(&r);
	} else {
		emu.requests++;
		r.path = url + 7;
		api(&r);
	}
	pthread_mutex_unlock(&emu.lock);
	ret = send_reply(conn, &r);
	json_decref(r.reply);
	json_decref(r.json);
	buf_free(&r.raw);
	for (int i = 0; i < r.nparams && i < MAX_PARAMS; i++)
		free(r.params[i]);
	for (int i = 0; i < r.nheaders; i++)
		free(r.headers[i]);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	(void)cls; (void)conn; (void)toe;
	if (cs) {
		buf_free(&cs->body);
		free(cs);
		*con_cls = NULL;
	}
}

/* --- configuration --- */

static void
usage(void)
{
	fprintf(stderr, "usage: gitea-emulator [--version 1.24|1.25|1.26|1.27] [--swagger FILE]\n"
		"  [--data DIR] [--user LOGIN:TOKEN[:PASSWORD[:admin]]]... [--org NAME:OWNER]...\n"
		"  [--repo OWNER/NAME]... [--runner NAME:online|offline:LABEL,...]...\n"
		"  [--runner-script FILE] [--unknown-log FILE] [--port PORT]\n");
	exit(2);
}

static void
add_user(const char *spec)
{
	char *s = strdup(spec), *rest = s;
	char *login = strsep(&rest, ":"), *token = strsep(&rest, ":");
	char *password = strsep(&rest, ":"), *flag = strsep(&rest, ":");
	struct user *u;
	struct token *t;

	if (!login || !token)
		usage();
	emu.users = realloc(emu.users, (emu.nusers + 1) * sizeof(*emu.users));
	u = &emu.users[emu.nusers++];
	u->id = emu.next_id++;
	u->login = strdup(login);
	u->password = password && *password ? strdup(password) : NULL;
	u->admin = flag && strcmp(flag, "admin") == 0;
	emu.tokens = realloc(emu.tokens, (emu.ntokens + 1) * sizeof(*emu.tokens));
	t = &emu.tokens[emu.ntokens++];
	t->id = emu.next_id++;
	t->name = strdup("emulator");
	t->value = strdup(token);
	t->login = strdup(login);
	t->scopes = json_pack("[s]", "all");
	free(s);
}

static void
add_org(const char *spec)
{
	char *s = strdup(spec), *colon = strchr(s, ':');
	struct org *o;

	if (!colon)
		usage();
	*colon = '\0';
	emu.orgs = realloc(emu.orgs, (emu.norgs + 1) * sizeof(*emu.orgs));
	o = &emu.orgs[emu.norgs++];
	o->id = emu.next_id++;
	o->name = strdup(s);
	o->owner = strdup(colon + 1);
	free(s);
}

static void
add_runner(const char *spec)
{
	char *s = strdup(spec), *name = strtok(s, ":"), *state = strtok(NULL, ":");
	char *labels = strtok(NULL, ":");
	struct runner *rn;

	if (!name || !state)
		usage();
	emu.runners = realloc(emu.runners, (emu.nrunners + 1) * sizeof(*emu.runners));
	rn = &emu.runners[emu.nrunners++];
	memset(rn, 0, sizeof(*rn));
	rn->id = emu.next_id++;
	rn->name = strdup(name);
	rn->online = strcmp(state, "online") == 0;
	rn->labels = strdup(labels ? labels : "");
	free(s);
}

static int
parse_version(const char *v)
{
	int major, minor;

	if (sscanf(v, "%d.%d", &major, &minor) != 2 || major != 1 || minor < 24 || minor > 27) {
		fprintf(stderr, "gitea-emulator: --version must be 1.24, 1.25, 1.26 or 1.27\n");
		exit(2);
	}
	snprintf(emu.version_text, sizeof(emu.version_text), "1.%d.0", minor);
	return 100 + minor;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "swagger", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "org", required_argument, NULL, 'o' },
		{ "repo", required_argument, NULL, 'r' },
		{ "runner", required_argument, NULL, 'R' },
		{ "runner-script", required_argument, NULL, 'x' },
		{ "unknown-log", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	char **repos = NULL;
	size_t nrepos = 0;
	sigset_t set;
	int opt, sig;
	unsigned short port = 0;

	emu.unknown = json_array();
	emu.calls = json_object();
	snprintf(emu.version_text, sizeof(emu.version_text), "1.27.0");
	emu.swagger_path = strdup("../shared/reference/gitea/swagger.v1.json");
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': emu.version = parse_version(optarg); break;
		case 's': free(emu.swagger_path); emu.swagger_path = strdup(optarg); break;
		case 'd': emu.data_dir = strdup(optarg); break;
		case 'u': add_user(optarg); break;
		case 'o': add_org(optarg); break;
		case 'r':
			repos = realloc(repos, (nrepos + 1) * sizeof(*repos));
			repos[nrepos++] = optarg;
			break;
		case 'R': add_runner(optarg); break;
		case 'x': emu.runner_script = strdup(optarg); break;
		case 'l': emu.unknown_log = strdup(optarg); break;
		case 'p': port = (unsigned short)atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (swagger_load(emu.swagger_path) < 0)
		return 1;
	/* Every emulated route must be a real Gitea call, or the emulator itself drifted. */
	{
		const struct route *tables[] = { repo_routes, actions_routes };

		for (size_t t = 0; t < 2; t++) {
			for (const struct route *rt = tables[t]; rt->method; rt++) {
				if (!swagger_has(rt->method, rt->tmpl)) {
					fprintf(stderr, "gitea-emulator: route %s %s is not in %s\n",
						rt->method, rt->tmpl, emu.swagger_path);
					return 1;
				}
			}
		}
	}
	if (!emu.data_dir) {
		const char *tmp = getenv("TMPDIR");

		if (asprintf(&emu.data_dir, "%s/gitea-emulator-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
		    !mkdtemp(emu.data_dir)) {
			perror("gitea-emulator: mkdtemp");
			return 1;
		}
		emu.temp_data = true;
	} else {
		mkdir(emu.data_dir, 0700);
	}
	for (size_t i = 0; i < nrepos; i++) {
		char *s = strdup(repos[i]), *slash = strchr(s, '/');
		struct repo *repo;

		if (!slash)
			usage();
		*slash = '\0';
		repo = calloc(1, sizeof(*repo));
		repo->id = emu.next_id++;
		repo->owner = strdup(s);
		repo->name = strdup(slash + 1);
		repo->default_branch = strdup("main");
		repo->description = strdup("");
		repo->has_actions = true;
		repo->next_run_number = 1;
		if (git_init_repo(repo, true) < 0) {
			fprintf(stderr, "gitea-emulator: cannot create repo %s\n", repos[i]);
			return 1;
		}
		emu.repos = realloc(emu.repos, (emu.nrepos + 1) * sizeof(*emu.repos));
		emu.repos[emu.nrepos++] = repo;
		free(s);
	}
	free(repos);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so only sigwait below sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, NULL,
			     MHD_OPTION_SOCK_ADDR, &(struct sockaddr_in){
				     .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				     .sin_port = htons(port) },
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "gitea-emulator: cannot start the HTTP server\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	emu.port = info ? info->port : 0;
	printf("listening on 127.0.0.1:%u\n", emu.port);
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	runner_stop_all();
	if (emu.temp_data)
		nftw(emu.data_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
