/* OCI references, digests, manifest parsing and argument checks: no network. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/oci.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
check(const char *text, const char *reg, const char *repo, const char *tag, const char *digest)
{
	dk_oci_ref *r;

	if (dk_oci_ref_parse(&r, text) != 0)
		fail_msg("%s: %s", text, dk_error_last()->message);
	assert_string_equal(r->registry, reg);
	assert_string_equal(r->repository, repo);
	if (tag)
		assert_string_equal(r->tag, tag);
	else
		assert_null(r->tag);
	if (digest)
		assert_string_equal(r->digest, digest);
	else
		assert_null(r->digest);
	dk_oci_ref_free(r);
}

static void
bad(const char *text, const char *needle)
{
	dk_oci_ref *r = (dk_oci_ref *)1;

	assert_int_equal(dk_oci_ref_parse(&r, text), DK_EINVALID);
	assert_null(r);
	if (!strstr(dk_error_last()->message, needle))
		fail_msg("%s: expected \"%s\" in \"%s\"", text, needle, dk_error_last()->message);
}

static void
parses_hosts_tags_and_digests(void **state)
{
	(void)state;
	check("127.0.0.1:5000/acct/disk-images/ubuntu-2404:v1", "127.0.0.1:5000",
	      "acct/disk-images/ubuntu-2404", "v1", NULL);
	check("registry.example.com/a/b@sha256:" HEX64, "registry.example.com", "a/b", NULL, "sha256:" HEX64);
	check("registry.example.com:443/a:t1@sha256:" HEX64, "registry.example.com:443", "a", "t1",
	      "sha256:" HEX64);
	check("localhost/x", "localhost", "x", NULL, NULL);
	check("localhost:5000/x:latest", "localhost:5000", "x", "latest", NULL);
	check("[::1]:5000/x/y:v2", "[::1]:5000", "x/y", "v2", NULL);
	check("[fe80::1]/x", "[fe80::1]", "x", NULL, NULL);
	check("ghcr.io/org/my_image.sub-name:1.0_rc-1", "ghcr.io", "org/my_image.sub-name", "1.0_rc-1", NULL);
}

static void
normalises_docker_hub(void **state)
{
	dk_oci_ref *r;
	char *s;

	(void)state;
	check("ubuntu", "registry-1.docker.io", "library/ubuntu", NULL, NULL);
	check("ubuntu:24.04", "registry-1.docker.io", "library/ubuntu", "24.04", NULL);
	check("docker.io/ubuntu", "registry-1.docker.io", "library/ubuntu", NULL, NULL);
	check("docker.io/bitnami/redis:7", "registry-1.docker.io", "bitnami/redis", "7", NULL);
	check("index.docker.io/library/busybox", "registry-1.docker.io", "library/busybox", NULL, NULL);
	check("someuser/app", "registry-1.docker.io", "someuser/app", NULL, NULL);
	assert_int_equal(dk_oci_ref_parse(&r, "ubuntu"), 0);
	assert_string_equal(dk_oci_ref_reference(r), "latest");
	s = dk_oci_ref_string(r);
	assert_string_equal(s, "registry-1.docker.io/library/ubuntu");
	free(s);
	s = dk_oci_ref_pinned(r, "sha256:" HEX64);
	assert_string_equal(s, "registry-1.docker.io/library/ubuntu@sha256:" HEX64);
	free(s);
	dk_oci_ref_free(r);
	assert_int_equal(dk_oci_ref_parse(&r, "h.io/a:t@sha256:" HEX64), 0);
	assert_string_equal(dk_oci_ref_reference(r), "sha256:" HEX64);
	dk_oci_ref_free(r);
}

static void
refuses_bad_references_clearly(void **state)
{
	(void)state;
	bad("", "empty");
	bad("h.io/a@sha256:abc", "64 lower-case hex");
	bad("h.io/a@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "64 lower-case hex");
	bad("h.io/a@sha512:" HEX64, "sha256:");
	bad("h.io/Upper", "bad repository \"Upper\"");
	bad("h.io/a//b", "bad repository");
	bad("h.io/a:", "bad tag \"\"");
	bad("h.io/a:-x", "bad tag");
	bad("h.io:99999/a", "bad registry host");
	bad("h.io:/a", "bad registry host");
	bad("[::1/a", "bad registry host");
	bad("[zz]:5000/a", "bad registry host");
	bad("h.io/a b", "spaces");
	bad("h.io/", "bad repository");
}

static void
digests_and_tag_schema(void **state)
{
	char d[72], t[72];

	(void)state;
	dk_oci_digest_of(d, "", 0);
	assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(dk_oci_digest_valid(d), 0);
	assert_int_equal(dk_oci_digest_tag(t, d), 0);
	assert_string_equal(t, "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(dk_oci_digest_tag(t, "sha256-x"), DK_EINVALID);
	assert_int_equal(dk_oci_digest_valid(NULL), DK_EINVALID);
}

static void
parses_manifests_and_indexes(void **state)
{
	static const char man[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"artifactType\":\"application/vnd.acct.disk-image.v1\","
		"\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:" HEX64 "\",\"size\":2},"
		"\"layers\":[{\"mediaType\":\"application/vnd.acct.disk-image.kernel.v1\",\"digest\":\"sha256:" HEX64 "\","
		"\"size\":2097152,\"annotations\":{\"org.opencontainers.image.title\":\"vmlinuz\"}}],"
		"\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX64 "\",\"size\":9}}";
	static const char idx[] =
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
		"\"digest\":\"sha256:" HEX64 "\",\"size\":5,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";
	dk_oci_manifest *m;

	(void)state;
	assert_int_equal(dk_oci_manifest_parse(&m, man, sizeof(man) - 1, NULL), 0);
	assert_false(m->is_index);
	assert_string_equal(m->media_type, DK_OCI_MEDIA_OCI_MANIFEST);
	assert_string_equal(m->artifact_type, "application/vnd.acct.disk-image.v1");
	assert_string_equal(m->config->media_type, DK_OCI_MEDIA_EMPTY);
	assert_int_equal(m->n_layers, 1);
	assert_string_equal(m->layers[0].title, "vmlinuz");
	assert_int_equal(m->layers[0].size, 2097152);
	assert_int_equal(m->subject->size, 9);
	assert_memory_equal(m->data, man, sizeof(man) - 1);
	dk_oci_manifest_free(m);
	/* No mediaType in the document: the index shape (and Content-Type) decide. */
	assert_int_equal(dk_oci_manifest_parse(&m, idx, sizeof(idx) - 1, DK_OCI_MEDIA_OCI_INDEX), 0);
	assert_true(m->is_index);
	assert_string_equal(m->media_type, DK_OCI_MEDIA_OCI_INDEX);
	assert_null(m->config);
	assert_string_equal(m->layers[0].architecture, "arm64");
	assert_string_equal(m->layers[0].variant, "v8");
	dk_oci_manifest_free(m);
}

static void
refuses_bad_manifests(void **state)
{
	static const struct { const char *doc; const char *needle; } cases[] = {
		{ "not json", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "{\"schemaVersion\":1,\"fsLayers\":[]}", "schemaVersion is not 2" },
		{ "{\"schemaVersion\":2,\"schemaVersion\":2}", "not a JSON object" },
		{ "{\"schemaVersion\":2,\"layers\":[]}", "manifest config: not a descriptor" },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:" HEX64 "\",\"size\":1},"
		  "\"layers\":[{\"mediaType\":\"x\",\"digest\":\"md5:abc\",\"size\":1}]}", "manifest layers[0]: digest" },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:" HEX64 "\",\"size\":-1}}",
		  "manifest config: not a descriptor" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" DK_OCI_MEDIA_OCI_INDEX "\",\"manifests\":{}}",
		  "manifests is not an array" },
	};
	dk_oci_manifest *m;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dk_oci_manifest_parse(&m, cases[i].doc, strlen(cases[i].doc), NULL), DK_EINVALID);
		assert_null(m);
		if (!strstr(dk_error_last()->message, cases[i].needle))
			fail_msg("case %zu: \"%s\" not in \"%s\"", i, cases[i].needle, dk_error_last()->message);
	}
	big = calloc(1, DK_OCI_MANIFEST_MAX + 2);
	memset(big, ' ', DK_OCI_MANIFEST_MAX + 1);
	assert_int_equal(dk_oci_manifest_parse(&m, big, DK_OCI_MANIFEST_MAX + 1, NULL), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "more than the 4194304 allowed"));
	free(big);
}

static void
client_refuses_bad_registry_names(void **state)
{
	dk_oci_client *c;
	dk_oci_options o = DK_OCI_OPTIONS_INIT;

	(void)state;
	o.docker_config = "/nonexistent/config.json";
	assert_int_equal(dk_oci_client_new(&c, "host/with/path", &o), DK_EINVALID);
	assert_int_equal(dk_oci_client_new(&c, "", &o), DK_EINVALID);
	o.version = 99;
	assert_int_equal(dk_oci_client_new(&c, "h.io", &o), DK_EUSAGE);
	o.version = DK_OCI_OPTIONS_VERSION;
	assert_int_equal(dk_oci_client_new(&c, "h.io", &o), 0);
	assert_string_equal(dk_oci_client_registry(c), "h.io");
	/* Tags are checked before anything is sent. */
	assert_int_equal(dk_oci_manifest_delete(c, "a", "latest"), DK_EINVALID);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "a", "bad tag!"), DK_EINVALID);
	assert_int_equal(dk_oci_blob_exists(c, "a", "sha256:abc", NULL), DK_EINVALID);
	dk_oci_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_hosts_tags_and_digests),
		cmocka_unit_test(normalises_docker_hub),
		cmocka_unit_test(refuses_bad_references_clearly),
		cmocka_unit_test(digests_and_tag_schema),
		cmocka_unit_test(parses_manifests_and_indexes),
		cmocka_unit_test(refuses_bad_manifests),
		cmocka_unit_test(client_refuses_bad_registry_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
