/* OCI references, digests, Docker config credentials and manifest parsing: no network. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_hosts_tags_and_digests),
		cmocka_unit_test(normalises_docker_hub),
		cmocka_unit_test(refuses_bad_references_clearly),
		cmocka_unit_test(digests_and_tag_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
