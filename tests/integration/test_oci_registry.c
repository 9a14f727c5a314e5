/*
 * The OCI client against a real docker-registry 2.8 (no auth): round trips, index
 * resolution, verification failures made by damaging the registry's own storage, and
 * the faults only a proxy can make (500, 429, a dropped connection).
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "registry.h"
#include "testutil.h"

typedef struct fixture {
	tr_registry *reg;
	char *dir;
	long slept[16];
	int n_slept;
	uint64_t seq;           /* every file different: blobs are shared across repositories */
} fixture;

static fixture *F;

static void
record_sleep(void *payload, long ms)
{
	fixture *f = payload;

	if (f->n_slept < 16)
		f->slept[f->n_slept] = ms;
	f->n_slept++;
}

static dk_oci_client *
client_for(const char *host, uint64_t chunk_size)
{
	dk_oci_options o = DK_OCI_OPTIONS_INIT;
	dk_oci_client *c;

	o.sleep = record_sleep;         /* retries are counted, not waited for */
	o.sleep_payload = F;
	o.chunk_size = chunk_size;
	o.docker_config = "/nonexistent/config.json";
	if (dk_oci_client_new(&c, host, &o) != 0)
		fail_msg("client: %s", dk_error_last()->message);
	F->n_slept = 0;
	return c;
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack ? haystack : "(null)");
}

/* Deterministic bytes, fast enough for 64 MiB. */
static char *
make_file(const char *name, size_t size, uint64_t seed)
{
	char *path = tu_path(F->dir, name);
	FILE *f = fopen(path, "wb");
	uint64_t x = (seed + 1000 * ++F->seq) * 0x9E3779B97F4A7C15ull + 1, buf[8192];
	size_t done = 0, i, n;

	assert_non_null(f);
	while (done < size) {
		for (i = 0; i < 8192; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		assert_int_equal(fwrite(buf, 1, n, f), n);
		done += n;
	}
	fclose(f);
	return path;
}

/* A real initramfs: busybox-static + an init script, cpio newc, gzip; random bytes without them. */
static char *
make_initramfs(void)
{
	char *path = tu_path(F->dir, "initramfs.cpio.gz"), *cmd;
	tu_run_result r;

	if (access("/bin/busybox", X_OK) != 0 || access("/usr/bin/cpio", X_OK) != 0) {
		free(path);
		return make_file("initramfs.cpio.gz", 1 << 20, 7);
	}
	assert_true(asprintf(&cmd, "set -e; d='%s/initrd'; mkdir -p \"$d/bin\"; cp /bin/busybox \"$d/bin/\";"
			     "printf '#!/bin/busybox sh\\nexec /bin/busybox sh\\n' > \"$d/init\"; chmod 755 \"$d/init\";"
			     "cd \"$d\"; find . -print0 | cpio --null -o -H newc --quiet | gzip -9 > '%s'",
			     F->dir, path) > 0);
	{
		const char *argv[] = { "sh", "-c", cmd, NULL };

		if (tu_run(&r, argv, NULL, NULL) != 0)
			fail_msg("initramfs: %s", r.err);
		tu_run_result_free(&r);
	}
	free(cmd);
	return path;
}

static json_t *
descriptor_json(const dk_oci_descriptor *d, const char *media_type, const char *title)
{
	json_t *j = json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", d->digest, "size",
			      (json_int_t)d->size);

	if (title)
		json_object_set_new(j, "annotations", json_pack("{s:s}", "org.opencontainers.image.title", title));
	return j;
}

typedef struct artifact {
	char *paths[3];
	dk_oci_descriptor *layers[3];
	char *digest;
	char *bytes;
} artifact;

static const char *const layer_types[3] = {
	"application/vnd.acct.disk-image.kernel.v1",
	"application/vnd.acct.disk-image.initramfs.v1.cpio+gzip",
	"application/vnd.acct.disk-image.rootfs.v1.erofs",
};
static const char *const layer_titles[3] = { "vmlinuz", "initramfs.cpio.gz", "rootfs.erofs" };

/* Pushes kernel stand-in, initramfs and rootfs blobs plus an OCI manifest, with our own upload code. */
static void
push_artifact(artifact *a, dk_oci_client *c, const char *repo, const char *tag, const char *arch,
	      const char *note)
{
	char *cfg_digest = NULL, cfg[256], *name;
	json_t *m, *layers = json_array();
	int i;

	memset(a, 0, sizeof(*a));
	snprintf(cfg, sizeof(cfg), "{\"architecture\":\"%s\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		 arch);
	assert_int_equal(dk_oci_blob_push_mem(&cfg_digest, c, repo, cfg, strlen(cfg)), 0);
	for (i = 0; i < 3; i++) {
		assert_true(asprintf(&name, "%s-%s-%d", tag, arch, i) > 0);
		a->paths[i] = i == 1 ? make_initramfs() : make_file(name, i == 0 ? 2 << 20 : 4096 * (3 + i),
								   (uint64_t)(i + 1) * (uint64_t)strlen(tag) * (arch[0]));
		free(name);
		if (dk_oci_blob_push_file(&a->layers[i], c, repo, a->paths[i]) != 0)
			fail_msg("push %s: %s", a->paths[i], dk_error_last()->message);
		json_array_append_new(layers, descriptor_json(a->layers[i], layer_types[i], layer_titles[i]));
	}
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:o, s:{s:s}}", "schemaVersion", 2, "mediaType",
		      DK_OCI_MEDIA_OCI_MANIFEST, "config", "mediaType", DK_OCI_MEDIA_OCI_CONFIG, "digest", cfg_digest,
		      "size", (int)strlen(cfg), "layers", layers, "annotations", "note", note ? note : "aaaa");
	a->bytes = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (dk_oci_manifest_put(&a->digest, c, repo, tag, DK_OCI_MEDIA_OCI_MANIFEST, a->bytes, strlen(a->bytes)) != 0)
		fail_msg("manifest put: %s", dk_error_last()->message);
	free(cfg_digest);
}

static void
artifact_free(artifact *a)
{
	int i;

	for (i = 0; i < 3; i++) {
		free(a->paths[i]);
		dk_oci_descriptor_free(a->layers[i]);
	}
	free(a->digest);
	free(a->bytes);
}

static int
setup(void **state)
{
	(void)state;
	F = calloc(1, sizeof(*F));
	dk_log_set_level(DK_LOG_WARN);  /* retry notices are expected here */
	F->reg = tr_start(TR_AUTH_NONE);
	F->dir = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tr_stop(F->reg);
	tu_rmrf(F->dir);
	free(F->dir);
	free(F);
	return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static void
three_layer_round_trip(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	dk_oci_strings *tags;
	artifact a;
	int i;

	(void)state;
	push_artifact(&a, c, "acct/disk-images/ubuntu-2404", "v1", "amd64", NULL);
	assert_int_equal(dk_oci_resolve(&m, c, "acct/disk-images/ubuntu-2404", "v1", "amd64"), 0);
	assert_string_equal(m->digest, a.digest);
	assert_int_equal(m->size, strlen(a.bytes));
	assert_memory_equal(m->data, a.bytes, m->size);
	assert_false(m->is_index);
	assert_null(m->index_digest);
	assert_string_equal(m->config->media_type, DK_OCI_MEDIA_OCI_CONFIG);
	assert_int_equal(m->n_layers, 3);
	for (i = 0; i < 3; i++) {
		char *out = tu_path(F->dir, "pulled"), *want, *got;
		size_t nw, ng;
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		assert_string_equal(m->layers[i].title, layer_titles[i]);
		assert_string_equal(m->layers[i].media_type, layer_types[i]);
		assert_string_equal(m->layers[i].digest, a.layers[i]->digest);
		if (dk_oci_blob_get_fd(c, "acct/disk-images/ubuntu-2404", m->layers[i].digest, m->layers[i].size, fd) != 0)
			fail_msg("%s", dk_error_last()->message);
		close(fd);
		want = tu_read_file(a.paths[i], &nw);
		got = tu_read_file(out, &ng);
		assert_int_equal(nw, ng);
		assert_memory_equal(want, got, nw);
		free(want);
		free(got);
		free(out);
	}
	assert_int_equal(dk_oci_tags_list(&tags, c, "acct/disk-images/ubuntu-2404"), 0);
	assert_int_equal(tags->n, 1);
	assert_string_equal(tags->items[0], "v1");
	dk_oci_strings_free(tags);
	dk_oci_manifest_free(m);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
tag_resolves_to_digest(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_descriptor *d;
	dk_oci_manifest *m;
	artifact a;

	(void)state;
	push_artifact(&a, c, "acct/tagged", "release-7", "amd64", NULL);
	assert_int_equal(dk_oci_manifest_head(&d, c, "acct/tagged", "release-7"), 0);
	assert_string_equal(d->digest, a.digest);
	assert_int_equal(d->size, strlen(a.bytes));
	assert_string_equal(d->media_type, DK_OCI_MEDIA_OCI_MANIFEST);
	dk_oci_descriptor_free(d);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tagged", "release-7"), 0);
	assert_string_equal(m->digest, a.digest);
	dk_oci_manifest_free(m);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tagged", a.digest), 0);
	assert_string_equal(m->digest, a.digest);
	dk_oci_manifest_free(m);
	assert_int_equal(dk_oci_manifest_head(NULL, c, "acct/tagged", "nope"), DK_ENOTFOUND);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
index_resolves_per_arch(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	artifact amd, arm;
	json_t *idx;
	char *bytes, *idx_digest = NULL;

	(void)state;
	push_artifact(&amd, c, "acct/multi", "amd64-only", "amd64", NULL);
	push_artifact(&arm, c, "acct/multi", "arm64-only", "arm64", NULL);
	idx = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s, s:s}}, {s:s, s:s, s:I, s:{s:s, s:s, s:s}}]}",
			"schemaVersion", 2, "mediaType", DK_OCI_MEDIA_OCI_INDEX, "manifests",
			"mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest", amd.digest, "size", (json_int_t)strlen(amd.bytes),
			"platform", "os", "linux", "architecture", "amd64",
			"mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest", arm.digest, "size", (json_int_t)strlen(arm.bytes),
			"platform", "os", "linux", "architecture", "arm64", "variant", "v8");
	bytes = json_dumps(idx, JSON_COMPACT);
	assert_int_equal(dk_oci_manifest_put(&idx_digest, c, "acct/multi", "v1", DK_OCI_MEDIA_OCI_INDEX, bytes,
					     strlen(bytes)), 0);

	assert_int_equal(dk_oci_resolve(&m, c, "acct/multi", "v1", "amd64"), 0);
	assert_string_equal(m->digest, amd.digest);
	assert_string_equal(m->index_digest, idx_digest);
	dk_oci_manifest_free(m);
	assert_int_equal(dk_oci_resolve(&m, c, "acct/multi", "v1", "arm64"), 0);
	assert_string_equal(m->digest, arm.digest);
	dk_oci_manifest_free(m);
	/* Without resolution the index itself comes back, hashed like any manifest. */
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/multi", "v1"), 0);
	assert_true(m->is_index);
	assert_int_equal(m->n_layers, 2);
	assert_string_equal(m->layers[1].architecture, "arm64");
	dk_oci_manifest_free(m);

	assert_int_equal(dk_oci_resolve(&m, c, "acct/multi", "v1", "s390x"), DK_ENOTFOUND);
	assert_null(m);
	assert_contains(dk_error_last()->message, "has no linux/s390x manifest (it has linux/amd64, linux/arm64/v8)");
	assert_contains(dk_error_last()->message, idx_digest);
	json_decref(idx);
	free(bytes);
	free(idx_digest);
	artifact_free(&amd);
	artifact_free(&arm);
	dk_oci_client_free(c);
}

static void
missing_manifest_and_blob_are_not_found(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	char msg[512], nothing[72];
	artifact a;

	(void)state;
	push_artifact(&a, c, "repo/x", "v0", "amd64", NULL);
	assert_int_equal(dk_oci_manifest_get(&m, c, "repo/x", "v1"), DK_ENOTFOUND);
	snprintf(msg, sizeof(msg), "registry %s: manifest unknown (404 MANIFEST_UNKNOWN) for repo/x:v1", F->reg->host);
	assert_string_equal(dk_error_last()->message, msg);
	dk_oci_digest_of(nothing, "nothing", 7);
	assert_int_equal(dk_oci_blob_get_fd(c, "repo/x", nothing, 7, -1), DK_ENOTFOUND);
	assert_contains(dk_error_last()->message, "blob unknown to registry (404 BLOB_UNKNOWN) for repo/x@sha256:");
	assert_int_equal(dk_oci_blob_exists(c, "repo/x", nothing, NULL), DK_ENOTFOUND);
	assert_int_equal(dk_oci_manifest_get(&m, c, "never/pushed", "v1"), DK_ENOTFOUND);
	assert_int_equal(F->n_slept, 0);        /* 404 is an answer, not a reason to retry */
	artifact_free(&a);
	dk_oci_client_free(c);
}

static int
count_sink(void *payload, const unsigned char *data, size_t len)
{
	(void)data;
	*(size_t *)payload += len;
	return 0;
}

static void
corrupt_blob_fails_verification(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	artifact a;
	char *path;
	size_t got = 0;
	int fd;

	(void)state;
	push_artifact(&a, c, "acct/corrupt", "v1", "amd64", NULL);
	path = tr_blob_path(F->reg, a.layers[2]->digest);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 100), 1);   /* same size, one byte different */
	close(fd);
	assert_int_equal(dk_oci_blob_get(c, "acct/corrupt", a.layers[2]->digest, a.layers[2]->size, count_sink, &got),
			 DK_EVERIFY);
	assert_contains(dk_error_last()->message, "blob ");
	assert_contains(dk_error_last()->message, a.layers[2]->digest);
	assert_contains(dk_error_last()->message, " digest mismatch: got sha256:");
	free(path);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
truncated_blob_fails_verification(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	artifact a;
	char *path;
	size_t got = 0;

	(void)state;
	push_artifact(&a, c, "acct/truncated", "v1", "amd64", NULL);
	path = tr_blob_path(F->reg, a.layers[0]->digest);
	assert_int_equal(truncate(path, 1000), 0);
	assert_int_equal(dk_oci_blob_get(c, "acct/truncated", a.layers[0]->digest, a.layers[0]->size, count_sink, &got),
			 DK_EVERIFY);
	assert_contains(dk_error_last()->message, "truncated: got 1000 of 2097152 bytes");
	/* Without a size to compare, the registry's own Content-Length still shows it. */
	got = 0;
	assert_int_equal(dk_oci_blob_get(c, "acct/truncated", a.layers[0]->digest, -1, count_sink, &got), DK_EVERIFY);
	assert_contains(dk_error_last()->message, "truncated: got 1000 bytes");
	free(path);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
manifest_bytes_must_match_digest(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	artifact a;
	char *path, *text, *p;
	size_t n;

	(void)state;
	push_artifact(&a, c, "acct/tampered", "v1", "amd64", "aaaa");
	/* Same length, still valid JSON, other bytes: as if storage or a proxy changed it. */
	path = tr_blob_path(F->reg, a.digest);
	text = tu_read_file(path, &n);
	assert_non_null(p = strstr(text, "\"aaaa\""));
	memcpy(p, "\"bbbb\"", 6);
	assert_int_equal(tu_write_file(path, text, 0644), 0);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tampered", a.digest), DK_EVERIFY);
	assert_null(m);
	assert_contains(dk_error_last()->message, "digest mismatch: got sha256:");
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/tampered", "v1"), DK_EVERIFY);
	assert_contains(dk_error_last()->message, "registry says");
	free(text);
	free(path);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
registry_down_is_io_error(void **state)
{
	char host[32];
	dk_oci_client *c;
	dk_oci_manifest *m;

	(void)state;
	snprintf(host, sizeof(host), "127.0.0.1:%d", tr_free_port());
	c = client_for(host, 0);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/x", "v1"), DK_EIO);
	assert_contains(dk_error_last()->message, "registry 127.0.0.1:");
	assert_contains(dk_error_last()->message, "Couldn't connect to server");
	assert_contains(dk_error_last()->message, "for acct/x:v1");
	assert_true(F->n_slept >= 1);   /* a refused connection is retried with backoff first */
	assert_true(F->n_slept < 2 || F->slept[1] > F->slept[0]);
	dk_oci_client_free(c);
}

static void
server_error_then_success_is_retried(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 0);
	dk_oci_manifest *m;
	artifact a;

	(void)state;
	push_artifact(&a, c, "acct/flaky", "v1", "amd64", NULL);
	tr_proxy_fault(p, "GET", "/manifests/v1", TR_FAULT_STATUS, 500, NULL, 0, 1);
	F->n_slept = 0;
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/flaky", "v1"), 0);
	assert_string_equal(m->digest, a.digest);
	assert_int_equal(tr_proxy_count(p, "GET /v2/acct/flaky/manifests/v1"), 2);
	assert_int_equal(F->n_slept, 1);
	dk_oci_manifest_free(m);
	/* A registry that stays broken: DK_EIO after the retries, with its words. */
	tr_proxy_fault(p, "GET", "/manifests/v1", TR_FAULT_STATUS, 503, NULL, 0, 100);
	F->n_slept = 0;
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/flaky", "v1"), DK_EIO);
	assert_contains(dk_error_last()->message, "injected fault (503 UNAVAILABLE) for acct/flaky:v1");
	assert_int_equal(F->n_slept, 4);
	assert_true(F->slept[3] > F->slept[0]);
	artifact_free(&a);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

static void
forbidden_is_auth_error_without_retry(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 0);
	dk_oci_manifest *m;
	char want[256];

	(void)state;
	tr_proxy_fault(p, "GET", "/manifests/v1", TR_FAULT_STATUS, 403, NULL, 0, 1);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/private", "v1"), DK_EAUTH);
	snprintf(want, sizeof(want), "registry %s: requested access to the resource is denied (403 DENIED) for acct/private:v1",
		 tr_proxy_host(p));
	assert_string_equal(dk_error_last()->message, want);
	assert_int_equal(F->n_slept, 0);
	assert_int_equal(tr_proxy_count(p, "GET /v2/acct/private/manifests/v1"), 1);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

static void
too_many_requests_honours_retry_after(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 0);
	dk_oci_descriptor *d;
	artifact a;

	(void)state;
	push_artifact(&a, c, "acct/busy", "v1", "amd64", NULL);
	tr_proxy_fault(p, "HEAD", "/manifests/v1", TR_FAULT_STATUS, 429, "3", 0, 1);
	F->n_slept = 0;
	assert_int_equal(dk_oci_manifest_head(&d, c, "acct/busy", "v1"), 0);
	assert_string_equal(d->digest, a.digest);
	assert_int_equal(F->n_slept, 1);
	assert_int_equal(F->slept[0], 3000);
	assert_int_equal(tr_proxy_count(p, "HEAD /v2/acct/busy/manifests/v1"), 2);
	dk_oci_descriptor_free(d);
	artifact_free(&a);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

static void
delete_by_digest_then_gone(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	artifact a;

	(void)state;
	push_artifact(&a, c, "acct/old", "v1", "amd64", NULL);
	assert_int_equal(dk_oci_manifest_delete(c, "acct/old", "v1"), DK_EINVALID);
	assert_contains(dk_error_last()->message, "needs a digest, not a tag");
	assert_int_equal(dk_oci_manifest_delete(c, "acct/old", a.digest), 0);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/old", a.digest), DK_ENOTFOUND);
	assert_int_equal(dk_oci_manifest_get(&m, c, "acct/old", "v1"), DK_ENOTFOUND);
	assert_int_equal(dk_oci_manifest_delete(c, "acct/old", a.digest), DK_ENOTFOUND);
	artifact_free(&a);
	dk_oci_client_free(c);
}

static void
referrers_fall_back_to_tag_schema(void **state)
{
	static const char bundle_type[] = "application/vnd.dev.sigstore.bundle.v0.3+json";
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *refs;
	char *empty = NULL, *bundle = NULL, *sig_bytes, *sig_digest = NULL, *idx_bytes, tag[72];
	json_t *sig, *idx;
	artifact a;

	(void)state;
	push_artifact(&a, c, "acct/signed", "v1", "amd64", NULL);
	/* Nothing attached yet: registry 2.8 answers 404 to referrers, and there is no tag. */
	assert_int_equal(dk_oci_referrers(&refs, c, "acct/signed", a.digest, NULL), 0);
	assert_true(refs->is_index);
	assert_int_equal(refs->n_layers, 0);
	dk_oci_manifest_free(refs);

	/* Attach a bundle the way cosign v3 / sigstore-js do on a registry without the API. */
	assert_int_equal(dk_oci_blob_push_mem(&empty, c, "acct/signed", "{}", 2), 0);
	assert_int_equal(dk_oci_blob_push_mem(&bundle, c, "acct/signed", "{\"mediaType\":\"b\"}", 17), 0);
	sig = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:[{s:s, s:s, s:i}], s:{s:s, s:s, s:I}}",
			"schemaVersion", 2, "mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "artifactType", bundle_type,
			"config", "mediaType", DK_OCI_MEDIA_EMPTY, "digest", empty, "size", 2,
			"layers", "mediaType", bundle_type, "digest", bundle, "size", 17,
			"subject", "mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest", a.digest, "size",
			(json_int_t)strlen(a.bytes));
	sig_bytes = json_dumps(sig, JSON_COMPACT);
	assert_int_equal(dk_oci_manifest_put(&sig_digest, c, "acct/signed", NULL, DK_OCI_MEDIA_OCI_MANIFEST,
					     sig_bytes, strlen(sig_bytes)), 0);
	idx = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:s}, {s:s, s:s, s:I, s:s}]}", "schemaVersion", 2,
			"mediaType", DK_OCI_MEDIA_OCI_INDEX, "manifests",
			"mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest", sig_digest, "size", (json_int_t)strlen(sig_bytes),
			"artifactType", bundle_type,
			"mediaType", DK_OCI_MEDIA_OCI_MANIFEST, "digest", a.digest, "size", (json_int_t)strlen(a.bytes),
			"artifactType", "application/spdx+json");
	idx_bytes = json_dumps(idx, JSON_COMPACT);
	assert_int_equal(dk_oci_digest_tag(tag, a.digest), 0);
	assert_int_equal(dk_oci_manifest_put(NULL, c, "acct/signed", tag, DK_OCI_MEDIA_OCI_INDEX, idx_bytes,
					     strlen(idx_bytes)), 0);

	assert_int_equal(dk_oci_referrers(&refs, c, "acct/signed", a.digest, bundle_type), 0);
	assert_int_equal(refs->n_layers, 1);
	assert_string_equal(refs->layers[0].digest, sig_digest);
	assert_string_equal(refs->layers[0].artifact_type, bundle_type);
	dk_oci_manifest_free(refs);
	assert_int_equal(dk_oci_referrers(&refs, c, "acct/signed", a.digest, NULL), 0);
	assert_int_equal(refs->n_layers, 2);
	dk_oci_manifest_free(refs);
	json_decref(sig);
	json_decref(idx);
	free(sig_bytes);
	free(idx_bytes);
	free(sig_digest);
	free(empty);
	free(bundle);
	artifact_free(&a);
	dk_oci_client_free(c);
}

typedef struct chunk_stats {
	size_t total, max_chunk, calls;
	size_t heap_start, heap_peak;
} chunk_stats;

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int
chunk_sink(void *payload, const unsigned char *data, size_t len)
{
	chunk_stats *s = payload;
	size_t h = heap_in_use();

	(void)data;
	s->total += len;
	s->calls++;
	if (len > s->max_chunk)
		s->max_chunk = len;
	if (h > s->heap_peak)
		s->heap_peak = h;
	return 0;
}

static void
large_blob_streams_in_bounded_memory(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 8u << 20);   /* 8 chunks of 8 MiB */
	dk_oci_descriptor *d;
	chunk_stats s = { 0 };
	char *path = make_file("big.img", 64u << 20, 99);

	(void)state;
	if (dk_oci_blob_push_file(&d, c, "acct/big", path) != 0)
		fail_msg("%s", dk_error_last()->message);
	assert_int_equal(d->size, 64u << 20);
	s.heap_start = s.heap_peak = heap_in_use();
	if (dk_oci_blob_get(c, "acct/big", d->digest, d->size, chunk_sink, &s) != 0)
		fail_msg("%s", dk_error_last()->message);
	assert_int_equal(s.total, 64u << 20);
	/* Chunks are curl's buffer (512 KiB), never the blob: 64 MiB came in over a
	 * hundred pieces. */
	assert_true(s.max_chunk <= 512 * 1024);
	assert_true(s.calls >= 128);
	/* And the heap did not grow by anything like the blob (meaningless under ASan, harmless). */
	assert_true(s.heap_peak - s.heap_start < (4u << 20));
	/* Keep-alive: the push (HEAD, POST, 8 PATCH, PUT) and the GET shared one connection
	 * after the first (the loopback HTTPS probe costs one more). */
	assert_true(dk_oci_client_connects(c) <= 3);
	dk_oci_descriptor_free(d);
	unlink(path);
	free(path);
	dk_oci_client_free(c);
}

static void
chunked_upload_and_head_skip(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 1u << 20);
	dk_oci_descriptor *d, *d2;
	char *path = make_file("three-mib", (3u << 20) + 5, 3);
	size_t got = 0;

	(void)state;
	/* Relative Location headers, as some registries send them (2.8's are absolute). */
	tr_proxy_relative_locations(p, 1);
	assert_int_equal(dk_oci_blob_push_file(&d, c, "acct/chunks", path), 0);
	assert_int_equal(tr_proxy_count(p, "PATCH /v2/acct/chunks/blobs/uploads/"), 4);
	assert_int_equal(tr_proxy_count(p, "PUT /v2/acct/chunks/blobs/uploads/"), 1);
	assert_int_equal(dk_oci_blob_get(c, "acct/chunks", d->digest, d->size, count_sink, &got), 0);
	assert_int_equal(got, (3u << 20) + 5);
	/* Present already: one HEAD, no upload. */
	assert_int_equal(dk_oci_blob_push_file(&d2, c, "acct/chunks", path), 0);
	assert_string_equal(d2->digest, d->digest);
	assert_int_equal(tr_proxy_count(p, "POST "), 1);
	assert_int_equal(tr_proxy_count(p, "HEAD /v2/acct/chunks/blobs/"), 2);
	/* Cross-repository mount: linked without sending bytes. */
	assert_int_equal(dk_oci_blob_mount(c, "acct/other", d->digest, "acct/chunks"), 0);
	assert_int_equal(dk_oci_blob_exists(c, "acct/other", d->digest, NULL), 0);
	assert_int_equal(dk_oci_blob_mount(c, "acct/third", d->digest, "acct/nowhere"), DK_ENOTFOUND);
	assert_int_equal(tr_proxy_count(p, "DELETE /v2/acct/third/blobs/uploads/"), 1);
	dk_oci_descriptor_free(d);
	dk_oci_descriptor_free(d2);
	free(path);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

static void
dropped_connection_resumes_with_range(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 0);
	artifact a;
	chunk_stats s = { 0 };
	char *range, get[160];

	(void)state;
	push_artifact(&a, c, "acct/resume", "v1", "amd64", NULL);
	snprintf(get, sizeof(get), "GET /v2/acct/resume/blobs/%s", a.layers[0]->digest);
	tr_proxy_fault(p, "GET", a.layers[0]->digest, TR_FAULT_CUT, 0, NULL, 700000, 1);
	if (dk_oci_blob_get(c, "acct/resume", a.layers[0]->digest, a.layers[0]->size, chunk_sink, &s) != 0)
		fail_msg("%s", dk_error_last()->message);
	assert_int_equal(s.total, a.layers[0]->size);
	/* One GET cut at 700000 bytes, one with Range for the rest; nothing fetched twice. */
	assert_int_equal(tr_proxy_count(p, get), 2);
	range = tr_proxy_last_range(p, get);
	assert_string_equal(range, "bytes=700000-");
	free(range);
	artifact_free(&a);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

/* A PATCH the registry stored but whose answer never came: the retry meets a dropped
 * session (registry 2.8 refuses an upload out of step with its state), so the blob
 * starts over in a new session instead of failing the push. */
static void
lost_patch_answer_starts_the_blob_over(void **state)
{
	tr_proxy *p = tr_proxy_start(F->reg->url);
	dk_oci_client *c = client_for(tr_proxy_host(p), 1u << 20);
	dk_oci_descriptor *d;
	char *path = make_file("lost-answer", (3u << 20) + 5, 7);
	size_t got = 0;

	(void)state;
	/* The first PATCH (the first MiB) reaches the registry; its answer is lost. */
	tr_proxy_fault(p, "PATCH", "/v2/acct/lost/blobs/uploads/", TR_FAULT_LOSE_ANSWER, 0, NULL, 0, 1);
	if (dk_oci_blob_push_file(&d, c, "acct/lost", path) != 0)
		fail_msg("%s", dk_error_last()->message);
	/* The lost PATCH, its refused retry, then all four chunks in a second session. */
	assert_int_equal(tr_proxy_count(p, "PATCH /v2/acct/lost/blobs/uploads/"), 6);
	assert_int_equal(tr_proxy_count(p, "POST /v2/acct/lost/blobs/uploads/"), 2);
	dk_oci_descriptor_free(d);
	/* The final PUT stored the blob but its answer was lost: the retry's 404 is not
	 * taken for a failure while the blob is there. */
	tr_proxy_fault(p, "PUT", "/v2/acct/lost2/blobs/uploads/", TR_FAULT_LOSE_ANSWER, 0, NULL, 0, 1);
	if (dk_oci_blob_push_file(&d, c, "acct/lost2", path) != 0)
		fail_msg("%s", dk_error_last()->message);
	assert_int_equal(tr_proxy_count(p, "PUT /v2/acct/lost2/blobs/uploads/"), 2);
	assert_int_equal(tr_proxy_count(p, "POST /v2/acct/lost2/blobs/uploads/"), 1);
	assert_int_equal(dk_oci_blob_get(c, "acct/lost", d->digest, d->size, count_sink, &got), 0);
	assert_int_equal(got, (3u << 20) + 5);
	dk_oci_descriptor_free(d);
	free(path);
	dk_oci_client_free(c);
	tr_proxy_stop(p);
}

/* Pushed with plain curl exactly as toolchain.md §3 does; read back by the client, and the reverse. */
static void
interop_with_curl(void **state)
{
	dk_oci_client *c = client_for(F->reg->host, 0);
	dk_oci_manifest *m;
	char *script, *blob = make_file("curl-blob", 300000, 5);
	char cfg_digest[72], *out;
	tu_run_result r;
	artifact a;

	(void)state;
	dk_oci_digest_of(cfg_digest, "{}", 2);
	assert_true(asprintf(&script,
		"set -eu; R=%s; N=interop/curl; cd '%s'\n"
		"printf '{}' > cfg.json\n"
		"push() { D=sha256:$(sha256sum \"$1\" | cut -d' ' -f1)\n"
		"  loc=$(curl -sf -D - -o /dev/null -X POST $R/v2/$N/blobs/uploads/ | awk 'tolower($1)==\"location:\"{print $2}' | tr -d '\\r')\n"
		"  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @\"$1\" \"$loc&digest=$D\" >/dev/null; }\n"
		"push cfg.json; push curl-blob\n"
		"B=sha256:$(sha256sum curl-blob | cut -d' ' -f1)\n"
		"printf '{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\"%%s\",\"size\":300000,\"annotations\":{\"org.opencontainers.image.title\":\"disk.img\"}}]}' $B > m.json\n"
		"curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @m.json $R/v2/$N/manifests/v1 >/dev/null\n"
		"echo sha256:$(sha256sum m.json | cut -d' ' -f1)\n",
		F->reg->url, F->dir, cfg_digest) > 0);
	{
		const char *argv[] = { "bash", "-c", script, NULL };

		if (tu_run(&r, argv, NULL, NULL) != 0)
			fail_msg("curl push: %s", r.err);
	}
	assert_int_equal(dk_oci_resolve(&m, c, "interop/curl", "v1", NULL), 0);
	assert_non_null(strstr(r.out, m->digest));
	assert_string_equal(m->layers[0].title, "disk.img");
	{
		size_t got = 0;

		assert_int_equal(dk_oci_blob_get(c, "interop/curl", m->layers[0].digest, m->layers[0].size, count_sink,
						 &got), 0);
		assert_int_equal(got, 300000);
	}
	dk_oci_manifest_free(m);
	tu_run_result_free(&r);
	free(script);

	/* The reverse: what the client pushed is what curl reads, byte for byte. */
	push_artifact(&a, c, "interop/ours", "v1", "amd64", NULL);
	assert_true(asprintf(&script, "curl -sf -H 'Accept: %s' %s/v2/interop/ours/manifests/v1",
			     DK_OCI_MEDIA_OCI_MANIFEST, F->reg->url) > 0);
	{
		const char *argv[] = { "sh", "-c", script, NULL };

		assert_int_equal(tu_run(&r, argv, NULL, NULL), 0);
	}
	assert_string_equal(r.out, a.bytes);
	out = NULL;
	free(out);
	tu_run_result_free(&r);
	free(script);
	free(blob);
	artifact_free(&a);
	dk_oci_client_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(three_layer_round_trip),
		cmocka_unit_test(tag_resolves_to_digest),
		cmocka_unit_test(index_resolves_per_arch),
		cmocka_unit_test(missing_manifest_and_blob_are_not_found),
		cmocka_unit_test(corrupt_blob_fails_verification),
		cmocka_unit_test(truncated_blob_fails_verification),
		cmocka_unit_test(manifest_bytes_must_match_digest),
		cmocka_unit_test(registry_down_is_io_error),
		cmocka_unit_test(server_error_then_success_is_retried),
		cmocka_unit_test(forbidden_is_auth_error_without_retry),
		cmocka_unit_test(too_many_requests_honours_retry_after),
		cmocka_unit_test(delete_by_digest_then_gone),
		cmocka_unit_test(referrers_fall_back_to_tag_schema),
		cmocka_unit_test(large_blob_streams_in_bounded_memory),
		cmocka_unit_test(chunked_upload_and_head_skip),
		cmocka_unit_test(dropped_connection_resumes_with_range),
		cmocka_unit_test(lost_patch_answer_starts_the_blob_over),
		cmocka_unit_test(interop_with_curl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
