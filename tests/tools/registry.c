/* Test registry: docker-registry 2.8 as a child process, and the token server for `auth: token`. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "diskops/secret.h"
#include "registry.h"
#include "testutil.h"

#define TR_SERVICE "diskops-test-registry"
#define TR_ISSUER  "diskops-test-issuer"

struct tr_token_server {
	struct MHD_Daemon *mhd;
	int port;
	EVP_PKEY *key;
	char *x5c;              /* base64 (standard) DER of the certificate */
	pthread_mutex_t lock;
	tr_token_stats stats;
	int expires_in;
	int stale;
	unsigned jti;
};

int
tr_free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* ---- token server ------------------------------------------------------------- */

static char *
b64std(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static char *
b64url_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT), *out = NULL;

	if (text && dk_base64url_encode(&out, (unsigned char *)text, strlen(text)) < 0)
		out = NULL;
	free(text);
	return out;
}

/* ES256 JWS: the signature is r||s, 32 bytes each, not DER. */
static char *
sign_jwt(tr_token_server *ts, json_t *claims)
{
	json_t *hdr = json_pack("{s:s, s:s, s:[s]}", "alg", "ES256", "typ", "JWT", "x5c", ts->x5c);
	char *h = b64url_json(hdr), *c = b64url_json(claims), *input = NULL, *sig64 = NULL, *jwt = NULL;
	unsigned char der[128], raw[64];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *sig = NULL;

	if (!h || !c || asprintf(&input, "%s.%s", h, c) < 0)
		goto done;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ts->key) != 1 ||
	    EVP_DigestSign(md, der, &derlen, (unsigned char *)input, strlen(input)) != 1)
		goto done;
	if (!(sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)))
		goto done;
	BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
	if (dk_base64url_encode(&sig64, raw, sizeof(raw)) < 0)
		goto done;
	if (asprintf(&jwt, "%s.%s", input, sig64) < 0)
		jwt = NULL;
done:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	json_decref(hdr);
	free(h);
	free(c);
	free(input);
	free(sig64);
	return jwt;
}

typedef struct scope_args {
	json_t *access;
	char text[512];
} scope_args;

/* scope=repository:<name>:<a,b>; every requested action is granted. */
static enum MHD_Result
collect_scope(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	scope_args *sa = cls;
	char *copy, *name, *actions, *tok, *save = NULL;
	json_t *acts;

	(void)kind;
	if (strcmp(key, "scope") != 0 || !value)
		return MHD_YES;
	if (sa->text[0])
		strncat(sa->text, " ", sizeof(sa->text) - strlen(sa->text) - 1);
	strncat(sa->text, value, sizeof(sa->text) - strlen(sa->text) - 1);
	if (strncmp(value, "repository:", 11) != 0 || !(copy = strdup(value + 11)))
		return MHD_YES;
	name = copy;
	if ((actions = strrchr(copy, ':'))) {
		*actions++ = '\0';
		acts = json_array();
		for (tok = strtok_r(actions, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(acts, json_string(tok));
		json_array_append_new(sa->access, json_pack("{s:s, s:s, s:o}", "type", "repository",
							     "name", name, "actions", acts));
	}
	free(copy);
	return MHD_YES;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *body, const char *ctype)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", ctype);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"token\"");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
token_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	      const char *version, const char *data, size_t *data_size, void **state)
{
	tr_token_server *ts = cls;
	scope_args sa = { 0 };
	char *user = NULL, *pass = NULL, *jwt = NULL, *body = NULL;
	const char *service;
	json_t *claims, *answer;
	enum MHD_Result ret;
	int ok, stale, expires;
	time_t now = time(NULL);

	(void)version; (void)data; (void)data_size;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 || strcmp(url, "/token") != 0)
		return reply(conn, 404, "{}", "application/json");
	sa.access = json_array();
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_scope, &sa);
	service = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass && strcmp(user, TR_USER) == 0 && strcmp(pass, TR_PASS) == 0;
	pthread_mutex_lock(&ts->lock);
	ts->stats.requests++;
	snprintf(ts->stats.last_scope, sizeof(ts->stats.last_scope), "%s", sa.text);
	snprintf(ts->stats.last_service, sizeof(ts->stats.last_service), "%s", service ? service : "");
	if (!ok)
		ts->stats.refused++;
	else
		ts->stats.issued++;
	stale = ok && ts->stale > 0;
	if (stale)
		ts->stale--;
	expires = ts->expires_in;
	ts->jti++;
	pthread_mutex_unlock(&ts->lock);
	if (!ok) {
		ret = reply(conn, 401, "{\"details\":\"bad credentials\"}", "application/json");
		goto done;
	}
	/* A stale token expired before the registry's 60 s leeway: it answers 401. */
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:O}", "iss", TR_ISSUER, "sub", user,
			   "aud", service ? service : "", "exp", (json_int_t)(stale ? now - 600 : now + expires),
			   "nbf", (json_int_t)(stale ? now - 1200 : now - 10), "iat", (json_int_t)now,
			   "jti", "t", "access", sa.access);
	jwt = sign_jwt(ts, claims);
	json_decref(claims);
	answer = json_pack("{s:s, s:s, s:i}", "token", jwt ? jwt : "", "access_token", jwt ? jwt : "",
			   "expires_in", expires);
	body = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	ret = reply(conn, 200, body ? body : "{}", "application/json");
done:
	json_decref(sa.access);
	MHD_free(user);
	MHD_free(pass);
	free(jwt);
	free(body);
	return ret;
}

static int
write_cert(tr_token_server *ts, const char *path)
{
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *f = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	ts->key = EVP_EC_gen("P-256");
	if (!x || !ts->key)
		goto done;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_version(x, 2);
	X509_set_pubkey(x, ts->key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (unsigned char *)"diskops test token signer", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, ts->key, EVP_sha256()))
		goto done;
	if (!(f = fopen(path, "w")) || !PEM_write_X509(f, x))
		goto done;
	if ((len = i2d_X509(x, &der)) <= 0 || !(ts->x5c = b64std(der, (size_t)len)))
		goto done;
	rc = 0;
done:
	if (f)
		fclose(f);
	OPENSSL_free(der);
	X509_free(x);
	return rc;
}

static tr_token_server *
token_server_start(const char *cert_path)
{
	tr_token_server *ts = calloc(1, sizeof(*ts));
	struct sockaddr_in a = { 0 };
	const union MHD_DaemonInfo *info;

	assert_non_null(ts);
	pthread_mutex_init(&ts->lock, NULL);
	ts->expires_in = 300;
	assert_int_equal(write_cert(ts, cert_path), 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	ts->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				   token_handler, ts, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_END);
	assert_non_null(ts->mhd);
	info = MHD_get_daemon_info(ts->mhd, MHD_DAEMON_INFO_BIND_PORT);
	ts->port = info->port;
	return ts;
}

static void
token_server_stop(tr_token_server *ts)
{
	if (!ts)
		return;
	MHD_stop_daemon(ts->mhd);
	EVP_PKEY_free(ts->key);
	free(ts->x5c);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

void
tr_token_stats_get(tr_registry *r, tr_token_stats *out)
{
	pthread_mutex_lock(&r->ts->lock);
	*out = r->ts->stats;
	pthread_mutex_unlock(&r->ts->lock);
}

void
tr_token_set_expires_in(tr_registry *r, int seconds)
{
	pthread_mutex_lock(&r->ts->lock);
	r->ts->expires_in = seconds;
	pthread_mutex_unlock(&r->ts->lock);
}

void
tr_token_issue_stale(tr_registry *r, int n)
{
	pthread_mutex_lock(&r->ts->lock);
	r->ts->stale = n;
	pthread_mutex_unlock(&r->ts->lock);
}

/* ---- the registry process ------------------------------------------------------ */

static size_t
discard(char *d, size_t s, size_t n, void *u)
{
	(void)d; (void)u;
	return s * n;
}

/* Any HTTP answer on /v2/ (200, or 401 with auth) means it is serving. */
static int
answers(const char *url)
{
	CURL *h = curl_easy_init();
	char v2[96];
	long status = 0;

	snprintf(v2, sizeof(v2), "%s/v2/", url);
	curl_easy_setopt(h, CURLOPT_URL, v2);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status > 0;
}

static void
write_config(tr_registry *r)
{
	char *path = tu_path(r->dir, "config.yml"), *auth = NULL, *conf = NULL;
	tu_run_result res;

	if (r->auth == TR_AUTH_BASIC) {
		const char *argv[] = { "htpasswd", "-Bbn", TR_USER, TR_PASS, NULL };
		char *htp = tu_path(r->dir, "htpasswd");

		assert_int_equal(tu_run(&res, argv, NULL, NULL), 0);
		assert_int_equal(tu_write_file(htp, res.out, 0600), 0);
		tu_run_result_free(&res);
		assert_true(asprintf(&auth, "auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n", htp) > 0);
		free(htp);
	} else if (r->auth == TR_AUTH_TOKEN) {
		char *cert = tu_path(r->dir, "token-ca.pem");

		if (!r->ts)
			r->ts = token_server_start(cert);
		assert_true(asprintf(&auth, "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n"
				     "    service: " TR_SERVICE "\n    issuer: " TR_ISSUER "\n"
				     "    rootcertbundle: %s\n", r->ts->port, cert) > 0);
		free(cert);
	}
	assert_true(asprintf(&conf,
			     "version: 0.1\n"
			     "log:\n  level: info\n"
			     "storage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\n"
			     "  cache: {blobdescriptor: inmemory}\n"
			     "%s"
			     "http:\n  addr: 127.0.0.1:%d\n  secret: diskops-test-secret\n",
			     r->storage, auth ? auth : "", r->port) > 0);
	assert_int_equal(tu_write_file(path, conf, 0600), 0);
	free(conf);
	free(auth);
	free(path);
}

static int
spawn(tr_registry *r)
{
	char *conf = tu_path(r->dir, "config.yml"), *log = tu_path(r->dir, "registry.log");
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *f = freopen(log, "a", stdout);

		(void)f;
		dup2(STDOUT_FILENO, STDERR_FILENO);
		/* Never outlive the test, even when it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/usr/bin/docker-registry", "docker-registry", "serve", conf, (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(log);
	r->pid = pid;
	/* Poll until it serves or dies (a port taken between probe and bind). */
	for (;;) {
		int st;
		struct timespec ts = { 0, 10 * 1000000L };

		if (waitpid(pid, &st, WNOHANG) == pid) {
			r->pid = 0;
			return -1;
		}
		if (answers(r->url))
			return 0;
		nanosleep(&ts, NULL);
	}
}

tr_registry *
tr_start(tr_auth auth)
{
	tr_registry *r = calloc(1, sizeof(*r));
	int tries;

	assert_non_null(r);
	if (access("/usr/bin/docker-registry", X_OK) != 0)
		fail_msg("/usr/bin/docker-registry is missing: run make deps");
	r->auth = auth;
	r->dir = tu_mkdtemp();
	r->storage = tu_path(r->dir, "data");
	for (tries = 0; tries < 5; tries++) {
		r->port = tr_free_port();
		snprintf(r->host, sizeof(r->host), "127.0.0.1:%d", r->port);
		snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%d", r->port);
		write_config(r);
		if (spawn(r) == 0)
			return r;
	}
	{
		char *log = tu_path(r->dir, "registry.log"), *text = tu_read_file(log, NULL);

		fail_msg("docker-registry did not start:\n%s", text ? text : "(no log)");
	}
	return NULL;
}

void
tr_stop(tr_registry *r)
{
	int st;

	if (!r)
		return;
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, &st, 0);
	}
	token_server_stop(r->ts);
	tu_rmrf(r->dir);
	free(r->dir);
	free(r->storage);
	free(r);
}

char *
tr_blob_path(const tr_registry *r, const char *digest)
{
	char *p;

	assert_true(asprintf(&p, "%s/docker/registry/v2/blobs/sha256/%.2s/%s/data", r->storage, digest + 7,
			     digest + 7) > 0);
	return p;
}
