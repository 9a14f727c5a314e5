/*
 * dk_regex, the one regexp implementation (core/regex.c) behind platform validation
 * (`platform set --identity-regexp`) and the signature verifier: cosign's semantics
 * (cosign-verify.md §3), Go RE2 syntax, unanchored search. Constructs RE2 rejects are
 * rejected with the offset, and the escapes whose meaning differs between Go and PCRE2
 * behave as in Go.
 */
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "diskops/error.h"
#include "diskops/regex.h"
#include "diskops/sigstore.h"

static void
regex_search_is_unanchored_like_cosign(void **state)
{
	dk_regex *re;

	(void)state;
	assert_int_equal(dk_regex_compile(&re, "example\\.com/ops/", "identity regexp"), 0);
	assert_true(dk_regex_search(re, "https://git.example.com/ops/image/.gitea/workflows/b.yml@refs/heads/main"));
	assert_false(dk_regex_search(re, "https://git.example.org/ops/"));
	assert_string_equal(dk_regex_pattern(re), "example\\.com/ops/");
	dk_regex_free(re);
	assert_int_equal(dk_regex_compile(&re, "^https://issuer$", "issuer regexp"), 0);
	assert_true(dk_regex_search(re, "https://issuer"));
	assert_false(dk_regex_search(re, "https://issuer/extra"));
	dk_regex_free(re);
}

static void
regex_refuses_what_re2_refuses(void **state)
{
	static const struct { const char *re; size_t offset; const char *why; } bad[] = {
		{ "a(?=b)", 1, "lookaround" },
		{ "a(?!b)", 1, "lookaround" },
		{ "(?<=a)b", 0, "lookaround" },
		{ "(?<!a)b", 0, "lookaround" },
		{ "(a)\\1", 3, "backreferences" },
		{ "(?>ab)", 0, "atomic groups" },
		{ "a*+", 2, "possessive" },
		{ "a++", 2, "possessive" },
		{ "(?R)", 0, "recursion" },
		{ "(?(1)a|b)", 0, "conditionals" },
		{ "\\C", 0, "\\C" },
		{ "(unclosed", 9, "missing closing parenthesis" },
		{ "[z-a]", 3, "range out of order" },
	};
	static const char *const fine[] = {
		"\\(?=literal", "[(?=]", "a+?", "(?i)case", "(?:group)", "(?P<name>x)", "\\\\1",
		"^https://github\\.com/sigstore/.+$",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char want[64];

		assert_int_equal(dk_regex_check(bad[i].re, "identity regexp"), DK_EINVALID);
		snprintf(want, sizeof(want), "at offset %zu", bad[i].offset);
		if (!strstr(dk_error_last()->message, want) || !strstr(dk_error_last()->message, bad[i].why))
			fail_msg("%s: %s (want %s, %s)", bad[i].re, dk_error_last()->message, want, bad[i].why);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(*fine); i++) {
		if (dk_regex_check(fine[i], "identity regexp") != 0)
			fail_msg("%s refused: %s", fine[i], dk_error_last()->message);
	}
}

static int
m(const char *pattern, const char *subject)
{
	dk_regex *re = NULL;
	int r;

	assert_int_equal(dk_regex_compile(&re, pattern, "identity regexp"), 0);
	r = dk_regex_match(re, subject, strlen(subject));
	dk_regex_free(re);
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
		"(*UTF)a", "(?|a)", "(?#c)", "(?x)a b", "a{1001}", "\\e", "\\E", "(", "[a",
	};
	dk_regex *re = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = dk_regex_compile(&re, bad[i], "identity regexp");

		if (rc != DK_EINVALID)
			print_message("accepted: %s\n", bad[i]);
		assert_int_equal(rc, DK_EINVALID);
		assert_null(re);
		assert_non_null(strstr(dk_error_last()->message, "identity regexp \""));
		assert_non_null(strstr(dk_error_last()->message, "is invalid at offset"));
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

/* What platform validation accepts is exactly what the verifier accepts. */
static void
platform_and_verifier_agree(void **state)
{
	static const char *const pats[] = {
		"^ci@example\\.com$", "a{1001}", "\\e", "(?x)a b", "(?<=evil)x", "a\\sb", "(?#c)",
	};
	dk_sigstore_options o = DK_SIGSTORE_OPTIONS_INIT;
	dk_sigstore_verifier *v = NULL;

	(void)state;
	o.issuer = "https://issuer.example";
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		int platform = dk_regex_check(pats[i], "identity regexp");

		o.identity_regexp = pats[i];
		assert_int_equal(dk_sigstore_verifier_new(&v, &o), platform);
		dk_sigstore_verifier_free(v);
		v = NULL;
	}
}

static void
offsets_are_the_operators(void **state)
{
	(void)state;
	/* \s is rewritten to a class before PCRE2 sees it; errors still point into the input. */
	assert_int_equal(dk_regex_check("\\s[z-a]", "identity regexp"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "at offset 5"));
	assert_int_equal(dk_regex_check("\\s(", "identity regexp"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "at offset 3"));
	assert_int_equal(dk_regex_check("ab\\vc{2000}", "issuer regexp"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "issuer regexp"));
	assert_non_null(strstr(dk_error_last()->message, "at offset 5: repeat counts above 1000"));
}

static void
match_over_length_and_limits(void **state)
{
	dk_regex *re = NULL;
	char subject[64];

	(void)state;
	/* An explicit length: a NUL inside the subject does not end it. */
	assert_int_equal(dk_regex_compile(&re, "b$", "identity regexp"), 0);
	assert_int_equal(dk_regex_match(re, "a\0b", 3), 1);
	assert_false(dk_regex_search(re, "a\0b"));
	dk_regex_free(re);
	/* Catastrophic backtracking stops at the match limit: an error, never a match. */
	assert_int_equal(dk_regex_compile(&re, "^(a|a?)+$", "identity regexp"), 0);
	memset(subject, 'a', 40);
	subject[40] = 'b';
	subject[41] = '\0';
	assert_true(dk_regex_match(re, subject, strlen(subject)) < 0);
	assert_false(dk_regex_search(re, subject));
	dk_regex_free(re);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regex_search_is_unanchored_like_cosign),
		cmocka_unit_test(regex_refuses_what_re2_refuses),
		cmocka_unit_test(unanchored_search_like_go),
		cmocka_unit_test(go_escape_semantics),
		cmocka_unit_test(rejects_what_re2_rejects),
		cmocka_unit_test(verifier_refuses_bad_regexp),
		cmocka_unit_test(platform_and_verifier_agree),
		cmocka_unit_test(offsets_are_the_operators),
		cmocka_unit_test(match_over_length_and_limits),
	};

	return cmocka_run_group_tests_name("regex", tests, NULL, NULL);
}
