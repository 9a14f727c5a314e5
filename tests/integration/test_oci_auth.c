/*
 * Registry auth against real docker-registry 2.8 processes: htpasswd Basic (explicit
 * credentials and ~/.docker/config.json), and `auth: token` with the harness's token
 * server — the challenge, the scope asked for, the token cache and re-authentication.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskops/clock.h"
#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "registry.h"
#include "testutil.h"

static tr_registry *basic_reg, *token_reg;
static char *tmp;

static int
setup(void **state)
{
	(void)state;
	dk_log_set_level(DK_LOG_WARN);
	basic_reg = tr_start(TR_AUTH_BASIC);
	token_reg = tr_start(TR_AUTH_TOKEN);
	tmp = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tr_stop(basic_reg);
	tr_stop(token_reg);
	tu_rmrf(tmp);
	free(tmp);
	return 0;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

static dk_oci_client *
client(const char *host, const char *user, const char *pass, const char *docker_config)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	dk_oci_client *c;

	o.username = user;
	o.password = pass;
	o.docker_config = docker_config ? docker_config : "/nonexistent/config.json";
	o.max_retries = -1;     /* auth answers are never retried; keep failures quick */
	if (dk_oci_client_new(&c, host, &o) != 0)
		fail_msg("client: %s", dk_error_last()->message);
	return c;
}

/* A blob and a one-layer manifest tagged v1, pushed with the client under test. */
static char *
push_small(dk_oci_client *c, const char *repo)
{
	char *cfg = NULL, *layer = NULL, *bytes, *digest = NULL;

	if (dk_oci_blob_push_mem(&cfg, c, repo, "{}", 2) != 0)
		fail_msg("push: %s", dk_error_last()->message);
	assert_int_equal(dk_oci_blob_push_mem(&layer, c, repo, "kernel", 6), 0);
	assert_true(asprintf(&bytes, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
			     "\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"application/octet-stream\","
			     "\"digest\":\"%s\",\"size\":6}]}", DK_OCI_MEDIA_OCI_MANIFEST, DK_OCI_MEDIA_EMPTY,
			     cfg, layer) > 0);
	assert_int_equal(dk_oci_manifest_put(&digest, c, repo, "v1", DK_OCI_MEDIA_OCI_MANIFEST, bytes,
					     strlen(bytes)), 0);
	free(cfg);
	free(layer);
	free(bytes);
	return digest;
}

/* ---- Basic --------------------------------------------------------------------- */

static void
basic_good_credentials(void **state)
{
	dk_oci_client *c = client(basic_reg->host, TR_USER, TR_PASS, NULL);
	dk_oci_manifest *m;
	char *digest;

	(void)state;
	digest = push_small(c, "acct/basic");
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/basic", "v1"), 0);
	assert_string_equal(m->digest, digest);
	assert_int_equal(dk_oci_client_token_fetches(c), 0);
	dk_oci_manifest_free(m);
	free(digest);
	dk_oci_client_free(c);
}

static void
basic_bad_or_missing_credentials(void **state)
{
	dk_oci_client *c = client(basic_reg->host, TR_USER, "wrong", NULL);
	dk_oci_manifest *m;
	char want[256];

	(void)state;
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/basic", "v1"), DK_EAUTH);
	snprintf(want, sizeof(want), "registry %s: credentials rejected (401 UNAUTHORIZED) for acct/basic:v1",
		 basic_reg->host);
	assert_string_equal(dk_error_last()->message, want);
	assert_null(strstr(dk_error_last()->message, "wrong"));
	dk_oci_client_free(c);

	c = client(basic_reg->host, NULL, NULL, NULL);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/basic", "v1"), DK_EAUTH);
	assert_contains(dk_error_last()->message, "authentication required (401 UNAUTHORIZED)");
	assert_contains(dk_error_last()->message, basic_reg->host);
	dk_oci_client_free(c);
}

static void
basic_from_docker_config(void **state)
{
	char *dir = tu_path(tmp, "docker"), *path = tu_path(dir, "config.json"), *json;
	dk_oci_client *c;
	dk_oci_manifest *m;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	/* "ciuser:cipass" in base64, under the http:// form of the key docker login writes. */
	assert_true(asprintf(&json, "{\"auths\":{\"other.example:5000\":{\"auth\":\"eDp5\"},"
			     "\"http://%s\":{\"auth\":\"Y2l1c2VyOmNpcGFzcw==\"}}}", basic_reg->host) > 0);
	assert_int_equal(tu_write_file(path, json, 0600), 0);
	/* Through DOCKER_CONFIG, as the docker CLI reads it. */
	setenv("DOCKER_CONFIG", dir, 1);
	{
		dk_oci_options o = DK_OCI_OPTIONS_INIT;

		o.max_retries = -1;
		assert_int_equal(dk_oci_client_new(&c, basic_reg->host, &o), 0);
	}
	unsetenv("DOCKER_CONFIG");
	free(push_small(c, "acct/dockercfg"));
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/dockercfg", "v1"), 0);
	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	/* A broken file is an error that names it, not silent anonymity. */
	assert_int_equal(tu_write_file(path, "{\"auths\":{\"x\":{\"auth\":\"!!notbase64\"}}}", 0600), 0);
	{
		dk_oci_options o = DK_OCI_OPTIONS_INIT;

		o.docker_config = path;
		assert_int_equal(dk_oci_client_new(&c, "x", &o), DK_EINVALID);
		assert_contains(dk_error_last()->message, path);
	}
	free(json);
	free(path);
	free(dir);
}

static void
config_names_the_registry(void **state)
{
	dk_config *cfg;
	dk_oci_options o;

	(void)state;
	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(dk_config_set(cfg, "registry.host", "registry.example.com"), 0);
	assert_int_equal(dk_config_set(cfg, "registry.username", "ci"), 0);
	assert_int_equal(dk_config_set(cfg, "registry.password", "s3cret"), 0);
	assert_int_equal(dk_config_set(cfg, "registry.insecure", "true"), 0);
	dk_oci_options_from_config(&o, cfg, "registry.example.com");
	assert_string_equal(o.username, "ci");
	assert_string_equal(o.password, "s3cret");
	assert_true(o.insecure);
	/* Another host gets nothing from [registry]: no credentials, no insecure. */
	dk_oci_options_from_config(&o, cfg, "ghcr.io");
	assert_null(o.username);
	assert_false(o.insecure);
	dk_config_free(cfg);
}

/* ---- Bearer tokens ------------------------------------------------------------- */

static void
token_challenge_scope_and_cache(void **state)
{
	dk_oci_client *c = client(token_reg->host, TR_USER, TR_PASS, NULL);
	tr_token_stats s0, s;
	dk_oci_manifest *m;
	char *digest;

	(void)state;
	tr_token_stats_get(token_reg, &s0);
	digest = push_small(c, "acct/tok");
	tr_token_stats_get(token_reg, &s);
	/* Pushing needs pull,push on the repository: one token for the whole push. */
	assert_int_equal(s.requests - s0.requests, 1);
	assert_string_equal(s.last_scope, "repository:acct/tok:pull,push");
	assert_string_equal(s.last_service, "diskops-test-registry");

	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tok", "v1"), 0);
	assert_string_equal(m->digest, digest);
	dk_oci_manifest_free(m);
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.requests - s0.requests, 2);
	assert_string_equal(s.last_scope, "repository:acct/tok:pull");
	/* Cached: more pulls, no more token requests. */
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tok", digest), 0);
	dk_oci_manifest_free(m);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "acct/tok", "v1"), 0);
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.requests - s0.requests, 2);
	assert_int_equal(dk_oci_client_token_fetches(c), 2);

	/* DELETE asks for its own action. */
	assert_int_equal(dk_oci_manifest_delete(c, "acct/tok", digest), 0);
	tr_token_stats_get(token_reg, &s);
	assert_string_equal(s.last_scope, "repository:acct/tok:delete");
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tok", digest), DK_ENOTFOUND);
	free(digest);
	dk_oci_client_free(c);
}

static void
token_renewed_after_expiry(void **state)
{
	dk_oci_client *c = client(token_reg->host, TR_USER, TR_PASS, NULL);
	tr_token_stats s0, s;
	char *digest;

	(void)state;
	digest = push_small(c, "acct/expiry");
	dk_clock_set(dk_clock_now());
	tr_token_stats_get(token_reg, &s0);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "acct/expiry", "v1"), 0);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "acct/expiry", "v1"), 0);
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.requests - s0.requests, 1);
	/* expires_in is 300: past it, the cached token is not used again. */
	dk_clock_advance(301);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "acct/expiry", "v1"), 0);
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.requests - s0.requests, 2);
	dk_clock_set(0);
	free(digest);
	dk_oci_client_free(c);
}

static void
token_refused_by_registry_is_renewed(void **state)
{
	dk_oci_client *c = client(token_reg->host, TR_USER, TR_PASS, NULL);
	tr_token_stats s0, s;
	dk_oci_manifest *m;
	char *digest;

	(void)state;
	digest = push_small(c, "acct/stale");
	dk_oci_client_free(c);
	c = client(token_reg->host, TR_USER, TR_PASS, NULL);
	/* The token server hands out one already-expired token: the registry answers 401 with
	 * a fresh challenge, and the client asks again once. */
	tr_token_issue_stale(token_reg, 1);
	tr_token_stats_get(token_reg, &s0);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/stale", "v1"), 0);
	assert_string_equal(m->digest, digest);
	dk_oci_manifest_free(m);
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.issued - s0.issued, 2);
	/* A token server that keeps issuing bad tokens ends in DK_EAUTH, not a loop. */
	tr_token_issue_stale(token_reg, 100);
	dk_oci_client_free(c);
	c = client(token_reg->host, TR_USER, TR_PASS, NULL);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/stale", "v1"), DK_EAUTH);
	assert_contains(dk_error_last()->message, "token rejected (401 UNAUTHORIZED)");
	tr_token_issue_stale(token_reg, 0);
	free(digest);
	dk_oci_client_free(c);
}

static void
token_server_refuses_bad_credentials(void **state)
{
	dk_oci_client *c = client(token_reg->host, TR_USER, "nope", NULL);
	dk_oci_manifest *m;
	tr_token_stats s0, s;

	(void)state;
	tr_token_stats_get(token_reg, &s0);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tok", "v1"), DK_EAUTH);
	assert_contains(dk_error_last()->message, token_reg->host);
	assert_contains(dk_error_last()->message, "token server refused the credentials (401)");
	assert_null(strstr(dk_error_last()->message, "nope"));
	tr_token_stats_get(token_reg, &s);
	assert_int_equal(s.refused - s0.refused, 1);
	dk_oci_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_good_credentials),
		cmocka_unit_test(basic_bad_or_missing_credentials),
		cmocka_unit_test(basic_from_docker_config),
		cmocka_unit_test(config_names_the_registry),
		cmocka_unit_test(token_challenge_scope_and_cache),
		cmocka_unit_test(token_renewed_after_expiry),
		cmocka_unit_test(token_refused_by_registry_is_renewed),
		cmocka_unit_test(token_server_refuses_bad_credentials),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
