/*
 * `diskops upload` and `diskops ingest` through the built binary against a real
 * docker-registry: a boot set built for real (busybox initramfs packed with cpio +
 * gzip, an EROFS rootfs from mkfs.erofs, a kernel stand-in) and a raw .img are pushed,
 * signed with a local key and published; --no-ingest hands a pinned reference to
 * `diskops ingest`; an untrusted key fails with the old default still serving; bad
 * files and keys are refused before anything reaches the registry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cliutil.h"
#include "diskops/error.h"
#include "diskops/oci.h"
#include "registry.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

typedef struct {
	tr_registry *reg;
	cli_env *e;
	char *key, *other_key, *pub;
	char *kernel, *initramfs, *rootfs, *image;
	char repo[128];
} fixture;

static fixture *F;

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static void
sh(const char *script)
{
	const char *argv[] = { "/bin/sh", "-ec", script, NULL };
	tu_run_result r;

	if (tu_run(&r, argv, NULL, NULL) != 0)
		fail_msg("fixture script failed (%d): %s\n%s", r.status, script, r.err);
	tu_run_result_free(&r);
}

/* The files of a boot set, made the way a CI would: real tools, real formats. */
static void
build_fixtures(const char *dir)
{
	char *script = NULL;

	assert_true(asprintf(&script,
		"cd '%s'\n"
		"head -c 2097152 /dev/urandom > vmlinuz\n"
		"mkdir -p initrd/bin initrd/proc initrd/sys\n"
		"cp /bin/busybox initrd/bin/busybox\n"
		"ln -s busybox initrd/bin/sh\n"
		"printf '#!/bin/sh\\nmount -t proc proc /proc\\nexec /bin/sh\\n' > initrd/init\n"
		"chmod 755 initrd/init\n"
		"(cd initrd && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) "
		"> initramfs.cpio.gz\n"
		"mkdir -p rootfs/etc && echo edge > rootfs/etc/hostname\n"
		"mkfs.erofs -zlz4hc rootfs.erofs rootfs/ > /dev/null 2>&1 || "
		"{ echo 'mkfs.erofs failed or is missing: make deps installs erofs-utils' >&2; exit 1; }\n"
		"head -c 1048576 /dev/urandom > disk.img\n"
		/* Sparse tail: past the 16 MiB chunk size, so the push goes in PATCH chunks. */
		"truncate -s 17M disk.img\n", dir) > 0);
	sh(script);
	free(script);
}

static int
setup(void **state)
{
	tu_run_result r;

	(void)state;
	F = calloc(1, sizeof(*F));
	F->reg = tr_start(TR_AUTH_NONE);
	F->e = cli_env_new();
	F->e->extra_env[0] = "DISKOPS_LOG_LEVEL=error";
	build_fixtures(F->e->dir);
	F->kernel = tu_path(F->e->dir, "vmlinuz");
	F->initramfs = tu_path(F->e->dir, "initramfs.cpio.gz");
	F->rootfs = tu_path(F->e->dir, "rootfs.erofs");
	F->image = tu_path(F->e->dir, "disk.img");
	F->key = tu_path(F->e->dir, "ci.key");
	F->other_key = tu_path(F->e->dir, "other.key");
	assert_true(asprintf(&F->pub, "%s.pub", F->key) > 0);
	snprintf(F->repo, sizeof(F->repo), "%s/acct/disk-images/edge", F->reg->host);
	assert_int_equal(RUN(F->e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "keygen", "--out", F->key), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "keygen", "--out", F->other_key), 0);
	tu_run_result_free(&r);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tr_stop(F->reg);
	cli_env_free(F->e);
	free(F->key);
	free(F->other_key);
	free(F->pub);
	free(F->kernel);
	free(F->initramfs);
	free(F->rootfs);
	free(F->image);
	free(F);
	return 0;
}

/* A platform trusting ci.key.pub (tlog optional: a local key has no log entry). */
static void
platform(const char *name)
{
	tu_run_result r;

	if (RUN(F->e, &r, "platform", "create", name, "--arch", "amd64", "--trusted-key", F->pub,
		"--tlog", "optional") != 0)
		fail_msg("platform create: %s", r.err);
	tu_run_result_free(&r);
}

static json_t *
platform_json(const char *name)
{
	return JSON(F->e, "platform", "show", name, "--json");
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string \"%s\" in %s", key, json_dumps(o, 0));
	return json_string_value(v);
}

/* `upload` of the boot set under tag/git sha; returns its --json output. */
static json_t *
upload_boot_set(const char *plat, const char *repo, const char *tag, const char *git_sha,
		const char *key, int want_exit)
{
	tu_run_result r;
	json_t *j;

	RUN(F->e, &r, "upload", "--platform", plat, "--kernel", F->kernel, "--initramfs",
	    F->initramfs, "--rootfs", F->rootfs, "--repo", repo, "--tag", tag, "--key", key,
	    "--git-sha", git_sha, "--json");
	if (r.status != want_exit)
		fail_msg("upload exit %d, wanted %d:\n%s\n%s", r.status, want_exit, r.out, r.err);
	j = json_loads(r.out, 0, NULL);
	if (!j)
		fail_msg("upload printed no JSON:\n%s\n%s", r.out, r.err);
	tu_run_result_free(&r);
	return j;
}

static dk_oci_client *
client(const char *host)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	dk_oci_client *c = NULL;

	o.docker_config = "/nonexistent/config.json";
	assert_int_equal(dk_oci_client_new(&c, host, &o), 0);
	return c;
}

/* The registry's copy of a blob is byte for byte the local file. */
static void
assert_blob_is_file(const char *digest, const char *path)
{
	char *blob = tr_blob_path(F->reg, digest);
	size_t a = 0, b = 0;
	char *x = tu_read_file(blob, &a), *y = tu_read_file(path, &b);

	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(a, b);
	assert_memory_equal(x, y, a);
	free(x);
	free(y);
	free(blob);
}

static void
test_upload_boot_set_publishes_and_moves_default(void **state)
{
	json_t *first, *second, *plat, *old;
	dk_oci_client *c = client(F->reg->host);
	dk_oci_manifest *m = NULL;
	const char *paths[3] = { F->kernel, F->initramfs, F->rootfs };
	const char *titles[3] = { "vmlinuz", "initramfs.cpio.gz", "rootfs.erofs" };
	const char *types[3] = { "application/vnd.powernode.disk-image.kernel.v1",
				 "application/vnd.powernode.disk-image.initramfs.v1",
				 "application/vnd.powernode.disk-image.rootfs.v1.erofs" };
	char *pinned = NULL;

	(void)state;
	platform("edge");
	first = upload_boot_set("edge", F->repo, "build-1", "1111aaaa", F->key, 0);
	assert_string_equal(jstr(first, "publication_status"), "published");
	plat = platform_json("edge");
	assert_string_equal(jstr(plat, "default_publication_id"), jstr(first, "publication_id"));
	json_decref(plat);

	/* Rebuild (the initramfs changes), upload again: the default moves, the old retires. */
	{
		char *script = NULL;

		assert_true(asprintf(&script, "cd '%s' && echo v2 > initrd/version && (cd initrd && "
				     "find . -print0 | cpio --null -o -H newc --quiet | gzip -9) "
				     "> initramfs.cpio.gz", F->e->dir) > 0);
		sh(script);
		free(script);
	}
	second = upload_boot_set("edge", F->repo, "build-2", "2222bbbb", F->key, 0);
	assert_string_equal(jstr(second, "publication_status"), "published");
	assert_false(json_is_true(json_object_get(second, "idempotent_hit")));
	assert_string_not_equal(jstr(second, "oci_digest"), jstr(first, "oci_digest"));
	plat = platform_json("edge");
	assert_string_equal(jstr(plat, "default_publication_id"), jstr(second, "publication_id"));
	assert_true(asprintf(&pinned, "%s@%s", F->repo, jstr(second, "oci_digest")) > 0);
	assert_string_equal(jstr(plat, "disk_image_oci_ref"), pinned);
	assert_string_equal(jstr(plat, "disk_image_publication_status"), "published");
	assert_string_equal(jstr(plat, "default_git_sha"), "2222bbbb");
	old = JSON(F->e, "publication", "show", jstr(first, "publication_id"), "--json");
	assert_string_equal(jstr(old, "status"), "retired");

	/* What is in the registry: the layout ingest reads, the files' exact bytes. */
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/disk-images/edge", "build-2"), 0);
	assert_string_equal(m->digest, jstr(second, "oci_digest"));
	assert_string_equal(m->artifact_type, "application/vnd.powernode.boot-set.v1");
	assert_int_equal(m->n_layers, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(m->layers[i].title, titles[i]);
		assert_string_equal(m->layers[i].media_type, types[i]);
		assert_blob_is_file(m->layers[i].digest, paths[i]);
	}
	assert_string_equal(json_string_value(json_object_get(m->annotations,
				"org.opencontainers.image.revision")), "2222bbbb");

	/* The same build again: nothing new, the same digest, an idempotent hit. */
	json_decref(second);
	second = upload_boot_set("edge", F->repo, "build-2", "2222bbbb", F->key, 0);
	assert_true(json_is_true(json_object_get(second, "idempotent_hit")));
	assert_string_equal(jstr(second, "oci_digest"), m->digest);

	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	free(pinned);
	json_decref(old);
	json_decref(plat);
	json_decref(first);
	json_decref(second);
}

static void
test_upload_image_in_chunks_publishes(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	char repo[128];
	tu_run_result r;
	json_t *j, *pub;
	dk_oci_client *c = client(F->reg->host);
	dk_oci_manifest *m = NULL;

	(void)state;
	platform("raw");
	/* Through the counting proxy: a 17 MiB file goes up in 16 MiB PATCH chunks. */
	snprintf(repo, sizeof(repo), "%s/acct/disk-images/raw", tr_proxy_host(p));
	RUN(F->e, &r, "upload", "--platform", "raw", "--image", F->image, "--repo", repo, "--tag",
	    "r1", "--key", F->key, "--json");
	if (r.status != 0)
		fail_msg("upload exit %d:\n%s\n%s", r.status, r.out, r.err);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	tu_run_result_free(&r);
	assert_string_equal(jstr(j, "publication_status"), "published");
	assert_true(tr_proxy_count(p, "PATCH ") >= 2);
	/* No --git-sha and no revision annotation: the manifest digest is the key. */
	assert_string_equal(jstr(j, "git_sha"), jstr(j, "oci_digest"));
	pub = JSON(F->e, "publication", "show", jstr(j, "publication_id"), "--json");
	assert_string_equal(jstr(pub, "signature_kind"), "key");
	assert_int_equal(json_integer_value(json_object_get(pub, "size_bytes")), 17 * 1024 * 1024);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/disk-images/raw", "r1"), 0);
	assert_int_equal(m->n_layers, 1);
	assert_string_equal(m->layers[0].title, "disk.img");
	assert_string_equal(m->layers[0].media_type, "application/octet-stream");
	/* A raw image's artifact sha256 is the file's own. */
	assert_string_equal(jstr(pub, "sha256"), m->layers[0].digest + 7);
	assert_blob_is_file(m->layers[0].digest, F->image);
	dk_oci_manifest_free(m);
	dk_oci_client_free(c);
	json_decref(pub);
	json_decref(j);
	tr_proxy_stop(p);
}

static void
test_no_ingest_prints_ref_that_ingest_publishes(void **state)
{
	tu_run_result r;
	char repo[160], want_prefix[200], *nl;
	json_t *list, *j, *again;

	(void)state;
	platform("ci");
	snprintf(repo, sizeof(repo), "%s/acct/disk-images/ci", F->reg->host);
	/* No --platform needed: a CI runner has no diskops state. */
	assert_int_equal(RUN(F->e, &r, "upload", "--no-ingest", "--kernel", F->kernel, "--initramfs",
			     F->initramfs, "--rootfs", F->rootfs, "--repo", repo, "--tag", "c1",
			     "--key", F->key, "--git-sha", "c0ffee42"), 0);
	/* Exactly one line on stdout, the pinned reference. */
	snprintf(want_prefix, sizeof(want_prefix), "%s@sha256:", repo);
	assert_int_equal(strncmp(r.out, want_prefix, strlen(want_prefix)), 0);
	nl = strchr(r.out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl - r.out, strlen(want_prefix) + 64);
	assert_string_equal(nl + 1, "");
	*nl = '\0';
	list = JSON(F->e, "publication", "list", "--platform", "ci", "--json");
	assert_int_equal(json_array_size(list), 0);

	/* The git sha comes from the manifest's revision annotation. */
	j = JSON(F->e, "ingest", "--platform", "ci", r.out, "--json");
	assert_string_equal(jstr(j, "publication_status"), "published");
	assert_string_equal(jstr(j, "git_sha"), "c0ffee42");
	assert_string_equal(jstr(j, "oci_ref"), r.out);
	assert_true(json_is_true(json_object_get(j, "created")));
	/* Again, by tag this time: the same digest, nothing done. */
	snprintf(repo + strlen(repo), sizeof(repo) - strlen(repo), ":c1");
	again = JSON(F->e, "ingest", "--platform", "ci", repo, "--json");
	assert_true(json_is_true(json_object_get(again, "idempotent_hit")));
	assert_string_equal(jstr(again, "publication_id"), jstr(j, "publication_id"));
	json_decref(list);
	list = JSON(F->e, "publication", "list", "--platform", "ci", "--json");
	assert_int_equal(json_array_size(list), 1);
	json_decref(again);
	json_decref(j);
	json_decref(list);
	tu_run_result_free(&r);
}

static void
test_untrusted_key_fails_and_old_default_stands(void **state)
{
	json_t *good, *bad, *plat, *pub;
	tu_run_result r;
	char repo[160];

	(void)state;
	platform("strict");
	snprintf(repo, sizeof(repo), "%s/acct/disk-images/strict", F->reg->host);
	good = upload_boot_set("strict", repo, "s1", "5151aaaa", F->key, 0);
	bad = upload_boot_set("strict", repo, "s2", "5252bbbb", F->other_key, 4);
	assert_string_equal(jstr(bad, "publication_status"), "failed");
	assert_contains(jstr(bad, "error"), "cosign verify failed");
	pub = JSON(F->e, "publication", "show", jstr(bad, "publication_id"), "--json");
	assert_string_equal(jstr(pub, "status"), "failed");
	assert_string_equal(jstr(pub, "error_message"), jstr(bad, "error"));
	plat = platform_json("strict");
	assert_string_equal(jstr(plat, "default_publication_id"), jstr(good, "publication_id"));
	assert_string_equal(jstr(plat, "disk_image_publication_status"), "failed");

	/* Same text on stderr without --json, exit 4. */
	assert_int_equal(RUN(F->e, &r, "ingest", "--platform", "strict", jstr(bad, "oci_ref"),
			     "--git-sha", "5252bbbb"), 4);
	assert_contains(r.out, "failed: cosign verify failed");
	assert_contains(r.err, "cosign verify failed");
	tu_run_result_free(&r);
	json_decref(plat);
	json_decref(pub);
	json_decref(good);
	json_decref(bad);
}

/* Nothing reached the repository: no tags at all. */
static void
assert_repo_empty(const char *name)
{
	dk_oci_client *c = client(F->reg->host);
	dk_oci_strings *tags = NULL;
	int rc = dk_oci_tags_list(&tags, c, name);

	if (rc == 0 && tags->n != 0)
		fail_msg("repository %s has %zu tags, first %s", name, tags->n, tags->items[0]);
	assert_true(rc == 0 || rc == DK_ENOTFOUND);
	dk_oci_strings_free(tags);
	dk_oci_client_free(c);
}

static void
test_bad_input_pushes_nothing(void **state)
{
	tu_run_result r;
	char repo[160], *missing = tu_path(F->e->dir, "no-such-kernel");
	char *missing_key = tu_path(F->e->dir, "no-such.key");

	(void)state;
	platform("careful");
	snprintf(repo, sizeof(repo), "%s/acct/disk-images/careful", F->reg->host);
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "careful", "--kernel", missing,
			     "--initramfs", F->initramfs, "--rootfs", F->rootfs, "--repo", repo,
			     "--tag", "x", "--key", F->key), 2);
	assert_contains(r.err, missing);
	assert_contains(r.err, "No such file");
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "careful", "--image", F->image,
			     "--repo", repo, "--tag", "x", "--key", missing_key), 2);
	assert_contains(r.err, missing_key);
	tu_run_result_free(&r);
	/* A file that is not a key (the image itself). */
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "careful", "--image", F->image,
			     "--repo", repo, "--tag", "x", "--key", F->pub), 2);
	assert_contains(r.err, F->pub);
	assert_contains(r.err, "private key");
	tu_run_result_free(&r);
	/* A directory is not a file. */
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "careful", "--image", F->e->dir,
			     "--repo", repo, "--tag", "x", "--key", F->key), 2);
	assert_contains(r.err, "not a regular file");
	tu_run_result_free(&r);
	/* Half a boot set. */
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "careful", "--kernel", F->kernel,
			     "--repo", repo, "--tag", "x", "--key", F->key), 2);
	assert_contains(r.err, "--initramfs");
	tu_run_result_free(&r);
	/* An unknown platform is found out before the push too. */
	assert_int_equal(RUN(F->e, &r, "upload", "--platform", "nowhere", "--image", F->image,
			     "--repo", repo, "--tag", "x", "--key", F->key), 3);
	assert_contains(r.err, "nowhere");
	tu_run_result_free(&r);
	assert_repo_empty("acct/disk-images/careful");
	free(missing);
	free(missing_key);
}

static void
test_ingest_refusals_write_nothing(void **state)
{
	tu_run_result r;
	json_t *first, *list;
	char repo[160], ref[200];

	(void)state;
	platform("guarded");
	snprintf(repo, sizeof(repo), "%s/acct/disk-images/guarded", F->reg->host);
	first = upload_boot_set("guarded", repo, "g1", "9090aaaa", F->key, 0);

	/* A reference that does not resolve: exit 3, no row. */
	snprintf(ref, sizeof(ref), "%s:no-such-tag", repo);
	assert_int_equal(RUN(F->e, &r, "ingest", "--platform", "guarded", ref), 3);
	assert_contains(r.err, "nothing recorded");
	assert_contains(r.err, "MANIFEST_UNKNOWN");
	tu_run_result_free(&r);

	/* The published git sha with another artifact: conflict, nothing written. */
	assert_int_equal(RUN(F->e, &r, "upload", "--no-ingest", "--image", F->image, "--repo", repo,
			     "--tag", "g2", "--key", F->key), 0);
	tu_run_result_free(&r);
	snprintf(ref, sizeof(ref), "%s:g2", repo);
	assert_int_equal(RUN(F->e, &r, "ingest", "--platform", "guarded", ref, "--git-sha",
			     "9090aaaa"), 6);
	assert_contains(r.err, "already published");
	assert_contains(r.err, "DIFFERENT artifact");
	tu_run_result_free(&r);

	/* Bad usage. */
	assert_int_equal(RUN(F->e, &r, "ingest", ref), 2);
	assert_contains(r.err, "--platform");
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "ingest", "--platform", "guarded", ref, "--git-sha",
			     "not a sha"), 2);
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "ingest", "--platform", "nowhere", ref), 3);
	tu_run_result_free(&r);

	list = JSON(F->e, "publication", "list", "--platform", "guarded", "--json");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(jstr(json_array_get(list, 0), "status"), "published");
	json_decref(list);
	json_decref(first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upload_boot_set_publishes_and_moves_default),
		cmocka_unit_test(test_upload_image_in_chunks_publishes),
		cmocka_unit_test(test_no_ingest_prints_ref_that_ingest_publishes),
		cmocka_unit_test(test_untrusted_key_fails_and_old_default_stands),
		cmocka_unit_test(test_bad_input_pushes_nothing),
		cmocka_unit_test(test_ingest_refusals_write_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
