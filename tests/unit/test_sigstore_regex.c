/*
 * Identity/issuer regexps with cosign's semantics (cosign-verify.md §3): Go RE2
 * syntax, unanchored search. Constructs RE2 rejects are rejected, and the escapes
 * whose meaning differs between Go and PCRE2 behave as in Go.
 */
#include <string.h>

#include "testutil.h"
#include "../../core/sigstore_int.h"

static int
m(const char *pattern, const char *subject)
{
	sg_regex *re = NULL;
	int r;

	assert_int_equal(sg_regex_compile(&re, pattern, "identity"), 0);
	r = sg_regex_match(re, subject, strlen(subject));
	sg_regex_free(re);
	return r;
}

static void
unanchored_search_like_go(void **state)
{
	(void)state;
	/* The classic trap: cosign accepts all three for this pattern, and so must we. */
	assert_int_equal(m("alice@example.com", "alice@example.comX"), 1);
	assert_int_equal(m("alice@example.com", "evilalice@example.com"), 1);
	assert_int_equal(m("alice@example.com", "alice@exampleXcom"), 1);
	assert_int_equal(m("^alice@example\\.com$", "alice@example.comX"), 0);
	assert_int_equal(m("^alice@example\\.com$", "alice@example.com"), 1);
	assert_int_equal(m("^https://github\\.com/org/[a-z\\-]+/", "https://github.com/org/my-repo/x"), 1);
	assert_int_equal(m("^https://github\\.com/org/[a-z\\-]+/", "https://github.com/org/My/x"), 0);
}

static void
go_escape_semantics(void **state)
{
	(void)state;
	/* $ is end of text only; \s has no VT; \v is VT; \d is ASCII; (?i) works. */
	assert_int_equal(m("main$", "refs/heads/main\n"), 0);
	assert_int_equal(m("(?m)main$", "refs/heads/main\nx"), 1);
	assert_int_equal(m("a\\sb", "a\vb"), 0);
	assert_int_equal(m("a\\sb", "a\tb"), 1);
	assert_int_equal(m("a[\\s]b", "a\vb"), 0);
	assert_int_equal(m("a\\vb", "a\vb"), 1);
	assert_int_equal(m("a\\vb", "a\nb"), 0);
	assert_int_equal(m("^\\d+$", "\xd9\xa3"), 0);
	assert_int_equal(m("(?i)ALICE", "alice"), 1);
	assert_int_equal(m("(?P<user>[a-z]+)@", "bob@x"), 1);
	assert_int_equal(m("\\Qa.b\\E", "a.b"), 1);
	assert_int_equal(m("\\Qa.b\\E", "axb"), 0);
	/* Invalid UTF-8 in the subject does not abort the match. */
	assert_int_equal(m("ok", "\xff\xfeok"), 1);
}

static void
rejects_what_re2_rejects(void **state)
{
	static const char *const bad[] = {
		"(?=x)", "(?!x)", "(?<=x)y", "(?<!x)y", "(a)\\1", "(?>a)", "a*+", "a++", "a?+",
		"(?R)", "(?(1)a|b)", "\\C", "\\K", "\\G", "\\Z", "\\R", "\\h", "\\X", "\\N",
		"(*UTF)a", "(?|a)", "(?#c)", "(?x)a b", "a{1001}", "\\e", "(", "[a",
	};
	sg_regex *re = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sg_regex_compile(&re, bad[i], "identity");

		if (rc != DK_EINVALID)
			print_message("accepted: %s\n", bad[i]);
		assert_int_equal(rc, DK_EINVALID);
		assert_null(re);
		assert_non_null(strstr(dk_error_last()->message, "malformed identity regexp"));
	}
}

static void
verifier_refuses_bad_regexp(void **state)
{
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;

	(void)state;
	o.identity_regexp = "(?<=evil)x";
	o.issuer = "https://issuer.example";
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), DK_EINVALID);
	assert_null(v);
	o.identity_regexp = "^ci@example\\.com$";
	assert_int_equal(dk_sigstore_verifier_new(&v, &o), 0);
	dk_sigstore_verifier_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unanchored_search_like_go),
		cmocka_unit_test(go_escape_semantics),
		cmocka_unit_test(rejects_what_re2_rejects),
		cmocka_unit_test(verifier_refuses_bad_regexp),
	};

	return cmocka_run_group_tests_name("sigstore_regex", tests, NULL, NULL);
}
