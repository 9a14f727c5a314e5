/*
 * Registry auth: Basic from config or ~/.docker/config.json, and the Bearer challenge
 * (WWW-Authenticate: Bearer realm,service,scope) with tokens cached per scope until
 * expires_in. Credentials and tokens are never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/secret.h"
#include "oci_internal.h"

#define TOKEN_BODY_MAX (256u * 1024)

void
oci_auth_free(dk_oci_client *c)
{
	oci_token *t, *next;

	for (t = c->tokens; t; t = next) {
		next = t->next;
		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
		free(t->scope);
		free(t);
	}
	c->tokens = NULL;
	free(c->realm);
	free(c->service);
	c->realm = c->service = NULL;
}

/* ---- Docker config.json -------------------------------------------------------- */

static int
is_docker_hub(const char *host)
{
	return strcmp(host, "registry-1.docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, "docker.io") == 0;
}

/* "https://host:5000/v1/" -> does its host part name `registry`? */
static int
auth_key_matches(const char *key, const char *registry)
{
	char host[512];
	const char *p = key;
	size_t n;

	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	n = strcspn(p, "/");
	if (n >= sizeof(host))
		return 0;
	memcpy(host, p, n);
	host[n] = '\0';
	if (strcasecmp(host, registry) == 0)
		return 1;
	return is_docker_hub(host) && is_docker_hub(registry);
}

int
oci_docker_config_creds(char **user, char **pass, const char *config_path, const char *registry)
{
	char *path = NULL, *decoded = NULL;
	const char *env, *key, *u, *p;
	json_t *doc = NULL, *auths, *entry;
	json_error_t jerr;
	unsigned char *raw = NULL;
	size_t raw_len;
	int rc = 0;

	*user = *pass = NULL;
	if (config_path)
		path = strdup(config_path);
	else if ((env = getenv("DOCKER_CONFIG")) && *env)
		rc = asprintf(&path, "%s/config.json", env) < 0 ? -1 : 0;
	else if ((env = getenv("HOME")) && *env)
		rc = asprintf(&path, "%s/.docker/config.json", env) < 0 ? -1 : 0;
	else
		return 0;
	if (rc < 0 || !path) {
		path = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	rc = 0;
	if (access(path, F_OK) != 0)
		goto done;      /* no file: anonymous, or the challenge says otherwise */
	if (!(doc = json_load_file(path, 0, &jerr))) {
		rc = dk_error_set(DK_EINVALID, "docker config %s: %s (line %d)", path, jerr.text, jerr.line);
		goto done;
	}
	auths = json_object_get(doc, "auths");
	json_object_foreach(auths, key, entry) {
		if (!auth_key_matches(key, registry))
			continue;
		u = json_string_value(json_object_get(entry, "username"));
		p = json_string_value(json_object_get(entry, "password"));
		if (json_string_value(json_object_get(entry, "auth"))) {
			char *colon;

			if (dk_base64_decode(&raw, &raw_len, json_string_value(json_object_get(entry, "auth"))) < 0 ||
			    !(decoded = strndup((char *)raw, raw_len)) || !(colon = strchr(decoded, ':'))) {
				rc = dk_error_set(DK_EINVALID, "docker config %s: auths[\"%s\"].auth is not base64 of user:password",
						  path, key);
				goto done;
			}
			*colon = '\0';
			u = decoded;
			p = colon + 1;
		}
		if (!u || !*u)
			continue;
		*user = strdup(u);
		*pass = strdup(p ? p : "");
		if (!*user || !*pass) {
			free(*user);
			free(*pass);
			*user = *pass = NULL;
			rc = dk_error_set(DK_ENOMEM, "out of memory");
		}
		goto done;
	}
done:
	if (decoded)
		explicit_bzero(decoded, strlen(decoded));
	if (raw)
		explicit_bzero(raw, raw_len);
	free(decoded);
	free(raw);
	free(path);
	json_decref(doc);
	return rc;
}

/* ---- challenges ---------------------------------------------------------------- */

/* Finds key="value" (or key=value) in a challenge's parameter list; caller frees. */
static char *
challenge_param(const char *params, const char *key)
{
	const char *p = params;
	size_t klen = strlen(key);

	while (*p) {
		const char *name, *v, *end;
		size_t nlen;
		int quoted;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		name = p;
		while (*p && *p != '=' && *p != ',' && *p != ' ')
			p++;
		nlen = (size_t)(p - name);
		if (*p != '=')
			continue;
		p++;
		quoted = *p == '"';
		if (quoted)
			p++;
		v = p;
		if (quoted) {
			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
		} else {
			while (*p && *p != ',' && *p != ' ')
				p++;
		}
		end = p;
		if (quoted && *p == '"')
			p++;
		if (nlen == klen && strncasecmp(name, key, klen) == 0)
			return strndup(v, (size_t)(end - v));
	}
	return NULL;
}

static char *
scope_key(const char *const *scopes)
{
	char *key = NULL;
	size_t i, n = 1;

	for (i = 0; i < OCI_MAX_SCOPES && scopes[i]; i++)
		n += strlen(scopes[i]) + 1;
	if (!(key = calloc(1, n)))
		return NULL;
	for (i = 0; i < OCI_MAX_SCOPES && scopes[i]; i++) {
		if (i)
			strcat(key, " ");
		strcat(key, scopes[i]);
	}
	return key;
}

void
oci_auth_drop(dk_oci_client *c, const char *const *scopes)
{
	oci_token **pp = &c->tokens, *t;
	char *key = scope_key(scopes);

	while (key && (t = *pp)) {
		if (strcmp(t->scope, key) == 0) {
			*pp = t->next;
			explicit_bzero(t->token, strlen(t->token));
			free(t->token);
			free(t->scope);
			free(t);
			continue;
		}
		pp = &t->next;
	}
	free(key);
}

int
oci_auth_challenge(dk_oci_client *c, const char *www_auth, const char *const *scopes, int had_auth)
{
	char *realm = NULL, *service = NULL;

	if (strncasecmp(www_auth, "Basic", 5) == 0) {
		if (!c->username || (c->auth_kind == 'B' && had_auth))
			return 0;
		c->auth_kind = 'B';
		return 1;
	}
	if (strncasecmp(www_auth, "Bearer", 6) != 0)
		return 0;
	if (!(realm = challenge_param(www_auth + 6, "realm")) || !*realm) {
		free(realm);
		return dk_error_set(DK_EAUTH, "registry %s: Bearer challenge without a realm", c->registry);
	}
	service = challenge_param(www_auth + 6, "service");
	free(c->realm);
	free(c->service);
	c->realm = realm;
	c->service = service;
	/* A token we sent was refused (expired early, revoked): forget it and ask again. */
	if (c->auth_kind == 'T' && had_auth)
		oci_auth_drop(c, scopes);
	c->auth_kind = 'T';
	return 1;
}

/* ---- tokens -------------------------------------------------------------------- */

static size_t
collect(char *data, size_t size, size_t nmemb, void *userdata)
{
	char **buf = userdata;
	size_t len = size * nmemb, have = *buf ? strlen(*buf) : 0;
	char *nb;

	if (have + len > TOKEN_BODY_MAX || memchr(data, '\0', len))
		return 0;
	if (!(nb = realloc(*buf, have + len + 1)))
		return 0;
	memcpy(nb + have, data, len);
	nb[have + len] = '\0';
	*buf = nb;
	return len;
}

/* The realm may be on another host: TLS checks are relaxed only where the registry's are. */
static int
realm_relaxed(dk_oci_client *c, const char *realm)
{
	const char *h = strstr(realm, "://");
	size_t n;

	if (!c->insecure || !h)
		return 0;
	h += 3;
	n = strcspn(h, "/?");
	return (n == strlen(c->registry) && strncasecmp(h, c->registry, n) == 0) ||
	       strncmp(h, "127.0.0.1", 9) == 0 || strncmp(h, "localhost", 9) == 0 ||
	       strncmp(h, "[::1]", 5) == 0;
}

static int
fetch_token(dk_oci_client *c, const char *const *scopes, const char *key, oci_token **out)
{
	CURL *h = c->curl;
	char *url = NULL, *body = NULL, *esc, errbuf[CURL_ERROR_SIZE];
	json_t *doc = NULL;
	const char *tok;
	oci_token *t = NULL;
	json_int_t expires;
	long status = 0;
	size_t i, len;
	CURLcode crc;
	int rc = DK_ENOMEM, relaxed = realm_relaxed(c, c->realm);

	if (strncmp(c->realm, "https://", 8) != 0 && !(strncmp(c->realm, "http://", 7) == 0 && relaxed))
		return dk_error_set(DK_EAUTH, "registry %s: token realm \"%s\" is not https", c->registry, c->realm);
	len = strlen(c->realm) + 16 + (c->service ? 3 * strlen(c->service) : 0);
	for (i = 0; i < OCI_MAX_SCOPES && scopes[i]; i++)
		len += 8 + 3 * strlen(scopes[i]);
	if (!(url = malloc(len)))
		goto done;
	strcpy(url, c->realm);
	strcat(url, strchr(c->realm, '?') ? "&" : "?");
	if (c->service) {
		if (!(esc = curl_easy_escape(h, c->service, 0)))
			goto done;
		strcat(url, "service=");
		strcat(url, esc);
		curl_free(esc);
	}
	for (i = 0; i < OCI_MAX_SCOPES && scopes[i]; i++) {
		if (!(esc = curl_easy_escape(h, scopes[i], 0)))
			goto done;
		strcat(url, "&scope=");
		strcat(url, esc);
		curl_free(esc);
	}
	curl_easy_reset(h);
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
	if (relaxed) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->username) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	crc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	/* The password stays in the handle otherwise, until the next reset. */
	curl_easy_setopt(h, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(h, CURLOPT_PASSWORD, NULL);
	c->token_fetches++;
	if (crc != CURLE_OK) {
		rc = dk_error_set(DK_EIO, "registry %s: token server %s: %s (%s)", c->registry, c->realm,
				  curl_easy_strerror(crc), errbuf[0] ? errbuf : "no detail");
		goto done;
	}
	if (status == 401 || status == 403) {
		rc = dk_error_set(DK_EAUTH, "registry %s: token server refused %s (%ld) for %s", c->registry,
				  c->username ? "the credentials" : "anonymous access", status, key);
		goto done;
	}
	if (status != 200) {
		rc = dk_error_set(status == 429 || status >= 500 ? DK_EIO : DK_EAUTH,
				  "registry %s: token server answered %ld for %s", c->registry, status, key);
		goto done;
	}
	doc = body ? json_loads(body, 0, NULL) : NULL;
	tok = json_string_value(json_object_get(doc, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(doc, "access_token"));
	if (!tok || !*tok) {
		rc = dk_error_set(DK_EAUTH, "registry %s: token server answer has no token", c->registry);
		goto done;
	}
	/* The spec's default lifetime is 60 s; renew a little early so a token never dies in flight. */
	expires = json_integer_value(json_object_get(doc, "expires_in"));
	if (expires <= 0)
		expires = 60;
	if (!(t = calloc(1, sizeof(*t))) || !(t->token = strdup(tok)) || !(t->scope = strdup(key)))
		goto done;
	t->expires_at = dk_clock_now() + expires - (expires > 30 ? 10 : 0);
	t->next = c->tokens;
	c->tokens = t;
	*out = t;
	t = NULL;
	rc = 0;
done:
	if (rc == DK_ENOMEM)
		dk_error_set(DK_ENOMEM, "out of memory");
	if (t) {
		free(t->token);
		free(t->scope);
		free(t);
	}
	if (body)
		explicit_bzero(body, strlen(body));
	free(body);
	free(url);
	json_decref(doc);
	return rc;
}

int
oci_auth_header(dk_oci_client *c, const char *const *scopes, char **out, int *fresh)
{
	oci_token *t, **pp;
	char *key = NULL, *b64 = NULL, *pair = NULL;
	int rc = 0;

	*out = NULL;
	*fresh = 0;
	if (c->auth_kind == 'B' && c->username) {
		size_t n;

		if (asprintf(&pair, "%s:%s", c->username, c->password) < 0) {
			pair = NULL;
			goto nomem;
		}
		n = strlen(pair);
		if (!(b64 = malloc(4 * ((n + 2) / 3) + 1)))
			goto nomem;
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)pair, (int)n);
		if (asprintf(out, "Authorization: Basic %s", b64) < 0) {
			*out = NULL;
			goto nomem;
		}
		goto done;
	}
	if (c->auth_kind != 'T')
		goto done;
	if (!(key = scope_key(scopes)))
		goto nomem;
	/* Expired tokens are dropped here, so the cache stays one entry per live scope. */
	for (pp = &c->tokens; (t = *pp);) {
		if (t->expires_at <= dk_clock_now()) {
			*pp = t->next;
			explicit_bzero(t->token, strlen(t->token));
			free(t->token);
			free(t->scope);
			free(t);
			continue;
		}
		if (strcmp(t->scope, key) == 0)
			break;
		pp = &t->next;
	}
	if (!t) {
		if ((rc = fetch_token(c, scopes, key, &t)) < 0)
			goto done;
		*fresh = 1;
	}
	if (asprintf(out, "Authorization: Bearer %s", t->token) < 0) {
		*out = NULL;
		goto nomem;
	}
	goto done;
nomem:
	rc = dk_error_set(DK_ENOMEM, "out of memory");
done:
	if (pair)
		explicit_bzero(pair, strlen(pair));
	if (b64)
		explicit_bzero(b64, strlen(b64));
	free(pair);
	free(b64);
	free(key);
	return rc;
}
