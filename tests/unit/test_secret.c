#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/secret.h"

static int
is_b64url(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	}
	return 1;
}

static void
generated_secrets_have_the_documented_shape(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(dk_secret_generate(&s, DK_SECRET_WEBHOOK_PREFIX), 0);
	assert_int_equal(strlen(s), 49);
	assert_memory_equal(s, "pndis_", 6);
	assert_true(is_b64url(s + 6));
	free(s);
	assert_int_equal(dk_secret_generate(&s, DK_SECRET_WORKER_PREFIX), 0);
	assert_int_equal(strlen(s), 47);
	assert_memory_equal(s, "swt_", 4);
	assert_true(is_b64url(s + 4));
	free(s);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
generated_secrets_are_unique(void **state)
{
	enum { N = 2000 };
	char **all = calloc(N, sizeof(*all));

	(void)state;
	for (int i = 0; i < N; i++)
		assert_int_equal(dk_secret_generate(&all[i], "swt_"), 0);
	qsort(all, N, sizeof(*all), cmp_str);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(all[i - 1], all[i]);
	for (int i = 0; i < N; i++)
		free(all[i]);
	free(all);
	dk_log_forget_secrets();
}

static void
generated_secret_is_redacted_from_logs(void **state)
{
	char *s, *line, *out;

	(void)state;
	/* No prefix: only the registration, not the token-shape rule, can catch it. */
	assert_int_equal(dk_secret_generate(&s, ""), 0);
	assert_true(asprintf(&line, "value=%s end", s) > 0);
	assert_int_equal(dk_log_redact(&out, line), 0);
	assert_string_equal(out, "value=[redacted] end");
	free(out);
	free(line);
	free(s);
	dk_log_forget_secrets();
}

static void
preview_is_first_eight_chars(void **state)
{
	char p[DK_SECRET_PREVIEW_LEN + 1];

	(void)state;
	dk_secret_preview(p, "pndis_AbCdEfGh");
	assert_string_equal(p, "pndis_Ab");
	dk_secret_preview(p, "abc");
	assert_string_equal(p, "abc");
}

static void
digest_matches_known_sha256(void **state)
{
	char hex[65];

	(void)state;
	dk_secret_digest_hex(hex, "abc");
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	dk_secret_digest_hex(hex, "");
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
roundtrip(dk_secret_box *box, const char *pt)
{
	char *sealed, *back;

	assert_int_equal(dk_secret_encrypt(box, &sealed, pt), 0);
	assert_memory_equal(sealed, "v1:", 3);
	assert_true(is_b64url(sealed + 3));
	assert_null(strstr(sealed, pt[0] ? pt : "\x01"));
	assert_int_equal(dk_secret_decrypt(box, &back, sealed), 0);
	assert_string_equal(back, pt);
	free(back);
	free(sealed);
}

static void
encrypt_decrypt_roundtrip(void **state)
{
	char *dir = tu_mkdtemp(), *big = malloc(10241);
	dk_secret_box *box;

	(void)state;
	for (int i = 0; i < 10240; i++)
		big[i] = (char)('a' + i % 26);
	big[10240] = '\0';
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	roundtrip(box, "pndis_hello-world");
	roundtrip(box, "");
	roundtrip(box, big);
	dk_secret_box_free(box);
	free(big);
	tu_rmrf(dir);
	free(dir);
}

static void
same_plaintext_seals_differently(void **state)
{
	char *dir = tu_mkdtemp(), *a, *b;
	dk_secret_box *box;

	(void)state;
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(dk_secret_encrypt(box, &a, "same"), 0);
	assert_int_equal(dk_secret_encrypt(box, &b, "same"), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	dk_secret_box_free(box);
	tu_rmrf(dir);
	free(dir);
}

static void
tampered_or_foreign_ciphertext_is_refused(void **state)
{
	char *dir = tu_mkdtemp(), *other = tu_mkdtemp(), *sealed, *back;
	dk_secret_box *box, *box2;
	size_t mid;

	(void)state;
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(dk_secret_box_open(&box2, other), 0);
	assert_int_equal(dk_secret_encrypt(box, &sealed, "the secret"), 0);

	assert_int_equal(dk_secret_decrypt(box2, &back, sealed), DK_EAUTH);
	assert_null(back);
	assert_string_equal(dk_error_last()->message,
			    "secret does not decrypt with this master key (wrong key or tampered)");

	mid = strlen(sealed) / 2;
	sealed[mid] = sealed[mid] == 'A' ? 'B' : 'A';
	assert_int_equal(dk_secret_decrypt(box, &back, sealed), DK_EAUTH);
	assert_null(back);

	free(sealed);
	dk_secret_box_free(box);
	dk_secret_box_free(box2);
	tu_rmrf(dir);
	tu_rmrf(other);
	free(dir);
	free(other);
}

static void
malformed_ciphertext_is_invalid(void **state)
{
	char *dir = tu_mkdtemp(), *back;
	dk_secret_box *box;

	(void)state;
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(dk_secret_decrypt(box, &back, "v2:AAAA"), DK_EINVALID);
	assert_int_equal(dk_secret_decrypt(box, &back, "plain"), DK_EINVALID);
	assert_int_equal(dk_secret_decrypt(box, &back, "v1:not base64!"), DK_EINVALID);
	assert_int_equal(dk_secret_decrypt(box, &back, "v1:AAAA"), DK_EINVALID);
	assert_int_equal(dk_secret_decrypt(box, &back, "v1:"), DK_EINVALID);
	assert_null(back);
	dk_secret_box_free(box);
	tu_rmrf(dir);
	free(dir);
}

static void
master_key_is_created_0600_and_reused(void **state)
{
	char *dir = tu_mkdtemp(), *key = tu_path(dir, "master.key"), *sealed, *back;
	dk_secret_box *box;
	struct stat st;

	(void)state;
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(dk_secret_encrypt(box, &sealed, "kept"), 0);
	dk_secret_box_free(box);

	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	assert_int_equal(dk_secret_decrypt(box, &back, sealed), 0);
	assert_string_equal(back, "kept");
	free(back);
	free(sealed);
	dk_secret_box_free(box);
	tu_rmrf(dir);
	free(key);
	free(dir);
}

static void
racing_processes_agree_on_one_key(void **state)
{
	enum { N = 6 };
	char *dir = tu_mkdtemp(), *sealed[N], *back;
	dk_secret_box *box;
	pid_t pids[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char name[32], *path, *s = NULL;
			dk_secret_box *b;

			snprintf(name, sizeof(name), "sealed-%d", i);
			path = tu_path(dir, name);
			if (dk_secret_box_open(&b, dir) < 0 || dk_secret_encrypt(b, &s, "agreed") < 0)
				_exit(1);
			_exit(tu_write_file(path, s, 0600) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(dk_secret_box_open(&box, dir), 0);
	for (int i = 0; i < N; i++) {
		char name[32], *path;

		snprintf(name, sizeof(name), "sealed-%d", i);
		path = tu_path(dir, name);
		sealed[i] = tu_read_file(path, NULL);
		assert_non_null(sealed[i]);
		assert_int_equal(dk_secret_decrypt(box, &back, sealed[i]), 0);
		assert_string_equal(back, "agreed");
		free(back);
		free(sealed[i]);
		free(path);
	}
	dk_secret_box_free(box);
	tu_rmrf(dir);
	free(dir);
}

static void
bad_key_files_are_refused(void **state)
{
	char *dir = tu_mkdtemp(), *key = tu_path(dir, "master.key");
	dk_secret_box *box;

	(void)state;
	assert_int_equal(tu_write_file(key, "0123456789abcdef0123456789abcdef", 0644), 0);
	assert_int_equal(dk_secret_box_open(&box, dir), DK_EAUTH);
	assert_null(box);
	assert_non_null(strstr(dk_error_last()->message, "chmod 600"));
	assert_non_null(strstr(dk_error_last()->message, key));

	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(dk_secret_box_open(&box, dir), DK_EAUTH);

	assert_int_equal(unlink(key), 0);
	assert_int_equal(tu_write_file(key, "short", 0600), 0);
	assert_int_equal(dk_secret_box_open(&box, dir), DK_ESTORE);
	assert_non_null(strstr(dk_error_last()->message, key));
	tu_rmrf(dir);
	free(key);
	free(dir);
}

static void
check_decode(const char *text, const char *want, size_t want_len)
{
	unsigned char *out;
	size_t len;

	assert_int_equal(dk_base64_decode(&out, &len, text), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len);
	free(out);
}

static void
base64_both_alphabets_padded_or_not(void **state)
{
	unsigned char *out;
	char *enc;
	size_t len;

	(void)state;
	/* 0xfb 0xff 0xbf is "+/+/" in standard base64 and "-_-_" in base64url. */
	check_decode("-_-_", "\xfb\xff\xbf", 3);
	check_decode("+/+/", "\xfb\xff\xbf", 3);
	check_decode("aGk", "hi", 2);
	check_decode("aGk=", "hi", 2);
	check_decode("aA", "h", 1);
	check_decode("aA==", "h", 1);
	check_decode("", "", 0);
	check_decode("aGVsbG8gd29ybGQ", "hello world", 11);

	assert_int_equal(dk_base64url_encode(&enc, (const unsigned char *)"\xfb\xff\xbf" "h", 4), 0);
	assert_string_equal(enc, "-_-_aA");
	free(enc);

	assert_int_equal(dk_base64_decode(&out, &len, "aGk*"), DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "aGk =") , DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "a"), DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "aGk=="), DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "aA==="), DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "a=Gk"), DK_EINVALID);
	assert_int_equal(dk_base64_decode(&out, &len, "aGk\n"), DK_EINVALID);
	assert_null(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generated_secrets_have_the_documented_shape),
		cmocka_unit_test(generated_secrets_are_unique),
		cmocka_unit_test(generated_secret_is_redacted_from_logs),
		cmocka_unit_test(preview_is_first_eight_chars),
		cmocka_unit_test(digest_matches_known_sha256),
		cmocka_unit_test(encrypt_decrypt_roundtrip),
		cmocka_unit_test(same_plaintext_seals_differently),
		cmocka_unit_test(tampered_or_foreign_ciphertext_is_refused),
		cmocka_unit_test(malformed_ciphertext_is_invalid),
		cmocka_unit_test(master_key_is_created_0600_and_reused),
		cmocka_unit_test(racing_processes_agree_on_one_key),
		cmocka_unit_test(bad_key_files_are_refused),
		cmocka_unit_test(base64_both_alphabets_padded_or_not),
	};
	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
