/*
 * The build.sh that bootstrap commits, run as a runner would: its push and sign phases
 * with stand-in oras and cosign (neither is installable here) to see what they are
 * asked, and its announce phase against a real `diskops serve`, whose webhook must
 * accept the signature openssl made.
 */
#include "serve_fixture.h"
#include "diskops/gitops.h"
#include "diskops/webhook.h"

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static char *
write_script(const char *dir)
{
	dk_gitops_template t = { .platform = "rpi", .arch = "arm64" };
	char *text = dk_gitops_build_script_text(&t), *path = tu_path(dir, "build.sh");

	assert_non_null(text);
	assert_int_equal(tu_write_file(path, text, 0755), 0);
	free(text);
	return path;
}

/* PUSH_TOOL=diskops: the flags `diskops upload --no-ingest` takes (tests/integration/
 * test_upload.c runs the real command with them), the key kept out of argv. */
static void
push_with_diskops_upload(void **state)
{
	char *dir = tu_mkdtemp(), *script = write_script(dir), *out = tu_path(dir, "out");
	char *bin = tu_path(dir, "bin"), *calls = tu_path(dir, "calls"), *f, *log;
	char env_out[600], env_path[1200], env_calls[600];
	const char *push[] = { "bash", script, "push", NULL };
	const char *sign[] = { "bash", script, "sign", NULL };
	const char *env[] = { env_out, env_path, env_calls, "OCI_REGISTRY=registry.example:5000",
			      "PUSH_TOOL=diskops",
			      "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
			      "COSIGN_PRIVATE_KEY=---key---", NULL };
	tu_run_result r;

	(void)state;
	mkdir(out, 0700);
	mkdir(bin, 0700);
	snprintf(env_out, sizeof(env_out), "OUT=%s", out);
	snprintf(env_path, sizeof(env_path), "PATH=%s:%s", bin, getenv("PATH"));
	snprintf(env_calls, sizeof(env_calls), "CALLS=%s", calls);
	f = tu_path(bin, "diskops");
	assert_int_equal(tu_write_file(f, "#!/bin/sh\necho \"diskops $* key=$(cat signing.key)\" "
				       ">>\"$CALLS\"\nprintf 'registry.example:5000/disk-images/rpi@sha256:"
				       "%064d\\n' 7\n", 0755), 0);
	free(f);
	f = tu_path(bin, "cosign");
	assert_int_equal(tu_write_file(f, "#!/bin/sh\necho cosign >>\"$CALLS\"\n", 0755), 0);
	free(f);
	for (int i = 0; i < 3; i++) {
		const char *names[] = { "vmlinuz", "initramfs.cpio.gz", "rootfs.erofs" };

		f = tu_path(out, names[i]);
		assert_int_equal(tu_write_file(f, "x", 0644), 0);
		free(f);
	}
	assert_int_equal(tu_run(&r, push, env, NULL), 0);
	assert_contains(r.err, "pushed registry.example:5000/disk-images/rpi@sha256:0000");
	tu_run_result_free(&r);
	assert_int_equal(tu_run(&r, sign, env, NULL), 0);
	tu_run_result_free(&r);
	log = tu_read_file(calls, NULL);
	assert_contains(log, "diskops upload --no-ingest --repo registry.example:5000/disk-images/rpi"
			" --tag 0123456789abcdef0123456789abcdef01234567 --git-sha 0123456789abcdef"
			"0123456789abcdef01234567 --key signing.key --initramfs initramfs.cpio.gz"
			" --rootfs rootfs.erofs --kernel vmlinuz key=---key---");
	/* Signed by upload: cosign is never called, and the key file is gone. */
	if (strstr(log, "cosign"))
		fail_msg("cosign was called:\n%s", log);
	free(log);
	f = tu_path(out, "signing.key");
	assert_int_equal(access(f, F_OK), -1);
	free(f);
	tu_rmrf(dir);
	free(dir);
	free(script);
	free(out);
	free(bin);
	free(calls);
}

static void
push_and_sign_call_oras_and_cosign(void **state)
{
	char *dir = tu_mkdtemp(), *script = write_script(dir), *out = tu_path(dir, "out");
	char *bin = tu_path(dir, "bin"), *calls = tu_path(dir, "calls"), *f, *log;
	char env_out[600], env_path[1200], env_calls[600];
	const char *push[] = { "bash", script, "push", NULL };
	const char *sign[] = { "bash", script, "sign", NULL };
	const char *env[] = { env_out, env_path, env_calls, "OCI_REGISTRY=registry.example:5000",
			      "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
			      "COSIGN_PRIVATE_KEY=---key---", NULL };
	tu_run_result r;

	(void)state;
	mkdir(out, 0700);
	mkdir(bin, 0700);
	snprintf(env_out, sizeof(env_out), "OUT=%s", out);
	snprintf(env_path, sizeof(env_path), "PATH=%s:%s", bin, getenv("PATH"));
	snprintf(env_calls, sizeof(env_calls), "CALLS=%s", calls);
	f = tu_path(bin, "oras");
	assert_int_equal(tu_write_file(f, "#!/bin/sh\necho \"oras $*\" >>\"$CALLS\"\n"
				       "printf sha256:%064d 7\n", 0755), 0);
	free(f);
	f = tu_path(bin, "cosign");
	assert_int_equal(tu_write_file(f, "#!/bin/sh\necho \"cosign $* key=$COSIGN_PRIVATE_KEY\" "
				       ">>\"$CALLS\"\n", 0755), 0);
	free(f);
	/* The boot set as ingest wants it: layers titled kernel*, initramfs*, rootfs*. */
	for (int i = 0; i < 3; i++) {
		const char *names[] = { "kernel", "initramfs.cpio.gz", "rootfs.erofs" };

		f = tu_path(out, names[i]);
		assert_int_equal(tu_write_file(f, "x", 0644), 0);
		free(f);
	}
	assert_int_equal(tu_run(&r, push, env, NULL), 0);
	assert_contains(r.err, "pushed registry.example:5000/disk-images/rpi@sha256:");
	tu_run_result_free(&r);
	assert_int_equal(tu_run(&r, sign, env, NULL), 0);
	tu_run_result_free(&r);
	log = tu_read_file(calls, NULL);
	assert_contains(log, "oras push --artifact-type application/vnd.powernode.disk-image "
			"--annotation org.opencontainers.image.revision=0123456789abcdef0123456789"
			"abcdef01234567 --format go-template={{.digest}} registry.example:5000/"
			"disk-images/rpi:0123456789abcdef0123456789abcdef01234567 initramfs.cpio.gz "
			"kernel rootfs.erofs");
	assert_contains(log, "cosign sign --yes --key env://COSIGN_PRIVATE_KEY registry.example:5000/"
			"disk-images/rpi@sha256:0000000000000000000000000000000000000000000000000000"
			"000000000007 key=---key---");
	free(log);
	tu_rmrf(dir);
	free(dir);
	free(script);
	free(out);
	free(bin);
	free(calls);
}

static void
announce_is_accepted_by_diskops_serve(void **state)
{
	const char *deliveries[] = { "webhook", "deliveries", "--json", NULL };
	const char *pubs[] = { "publication", "list", "--json", NULL };
	struct srv s;
	char *dir, *script, *out, *ref, env_out[600], env_url[600], env_secret[300], *text;
	const char *announce[4] = { "bash", NULL, "announce", NULL };
	const char *env[] = { env_out, env_url, env_secret, "OCI_REGISTRY=registry.example:5000",
			      "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
			      "FIRMWARE_REF=fw-1", NULL };
	const char *serve[] = { "--no-ingest", NULL };
	tu_run_result r;

	(void)state;
	srv_init(&s);
	srv_start(&s, serve);
	dir = tu_mkdtemp();
	script = write_script(dir);
	announce[1] = script;
	out = tu_path(dir, "out");
	mkdir(out, 0700);
	ref = tu_path(out, "ref");
	assert_int_equal(tu_write_file(ref, "registry.example:5000/disk-images/rpi@sha256:"
				       "00000000000000000000000000000000000000000000000000000000000000aa\n",
				       0644), 0);
	snprintf(env_out, sizeof(env_out), "OUT=%s", out);
	snprintf(env_url, sizeof(env_url), "POWERNODE_DISK_IMAGE_WEBHOOK_URL=http://%s"
		 DK_WEBHOOK_PATH "%s", s.addr, s.webhook_id);
	snprintf(env_secret, sizeof(env_secret), "POWERNODE_DISK_IMAGE_WEBHOOK_SECRET=%s", s.secret);

	assert_int_equal(tu_run(&r, announce, env, NULL), 0);
	assert_contains(r.out, "\"status\":\"queued\"");
	tu_run_result_free(&r);
	text = cli(&s, pubs, 0);
	assert_contains(text, "0123456789abcdef0123456789abcdef01234567");
	assert_contains(text, "registry.example:5000/disk-images/rpi@sha256:00000000000000000000");
	free(text);

	/* A wrong secret: the receiver says so and build.sh fails the step. */
	snprintf(env_secret, sizeof(env_secret), "POWERNODE_DISK_IMAGE_WEBHOOK_SECRET=pndis_wrong");
	assert_true(tu_run(&r, announce, env, NULL) != 0);
	assert_contains(r.out, "bad_signature");
	tu_run_result_free(&r);
	text = cli(&s, deliveries, 0);
	assert_contains(text, "\"signature_ok\": true");
	assert_contains(text, "\"signature_ok\": false");
	free(text);

	assert_int_equal(srv_stop(&s, SIGTERM), 0);
	srv_free(&s);
	tu_rmrf(dir);
	free(dir);
	free(script);
	free(out);
	free(ref);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_and_sign_call_oras_and_cosign),
		cmocka_unit_test(push_with_diskops_upload),
		cmocka_unit_test(announce_is_accepted_by_diskops_serve),
	};

	return cmocka_run_group_tests_name("the workflow template's build.sh", tests, NULL, NULL);
}
