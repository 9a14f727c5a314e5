/*
 * cosign's --certificate-identity-regexp semantics: Go RE2 syntax, unanchored search.
 * PCRE2 accepts a superset of RE2, so a pre-scan refuses what Go would refuse
 * (lookaround, backreferences, atomic/possessive, recursion, conditionals, verbs,
 * \C and friends) and rewrites the two escapes whose meaning differs (\s has no VT
 * in Go; \v is the VT character in Go but a class in PCRE2).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigstore_int.h"

struct sg_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

typedef struct {
	char *s;
	size_t len, cap;
} strbuf;

static int
sb_add(strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p)
			return -1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int
reject(const char *what, const char *pattern, const char *construct)
{
	return dk_error_set(DK_EINVALID, "malformed %s regexp \"%.200s\": %s is not supported (Go RE2 syntax)",
		what, pattern, construct);
}

static int
rewrite(strbuf *out, const char *p, const char *what)
{
	const char *pattern = p;
	int in_class = 0;

	while (*p) {
		if (*p == '\\') {
			char e = p[1];

			if (e == '\0')
				return reject(what, pattern, "a trailing backslash");
			if (e == 'Q') {
				const char *end = strstr(p + 2, "\\E");
				size_t n = end ? (size_t)(end - p) + 2 : strlen(p);

				if (sb_add(out, p, n) < 0)
					return DK_ENOMEM;
				p += n;
				continue;
			}
			if (e == 's') {
				if (sb_add(out, in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]",
						in_class ? 9 : 11) < 0)
					return DK_ENOMEM;
				p += 2;
				continue;
			}
			if (e == 'v') {
				if (sb_add(out, "\\x0B", 4) < 0)
					return DK_ENOMEM;
				p += 2;
				continue;
			}
			if (e >= '1' && e <= '9' && !(p[2] >= '0' && p[2] <= '7'))
				return reject(what, pattern, "a backreference");
			if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
				if (!strchr("afnrtdDsSwWbBAzpPx", e))
					return reject(what, pattern, "this escape");
				if (in_class && strchr("bBAz", e))
					return reject(what, pattern, "this escape inside a class");
			}
			if (sb_add(out, p, 2) < 0)
				return DK_ENOMEM;
			p += 2;
			continue;
		}
		if (in_class) {
			if (*p == '[' && p[1] == ':') {
				const char *end = strstr(p + 2, ":]");

				if (end) {
					if (sb_add(out, p, (size_t)(end - p) + 2) < 0)
						return DK_ENOMEM;
					p = end + 2;
					continue;
				}
			}
			if (*p == ']')
				in_class = 0;
		} else if (*p == '[') {
			in_class = 1;
			if (sb_add(out, p, 1) < 0)
				return DK_ENOMEM;
			p++;
			if (*p == '^') {
				if (sb_add(out, p, 1) < 0)
					return DK_ENOMEM;
				p++;
			}
			/* A leading ']' is a literal member. */
			if (*p == ']') {
				if (sb_add(out, p, 1) < 0)
					return DK_ENOMEM;
				p++;
			}
			continue;
		} else if (*p == '(' && p[1] == '*') {
			return reject(what, pattern, "a (*VERB)");
		} else if (*p == '(' && p[1] == '?') {
			const char *q = p + 2;

			if (*q == 'P' && q[1] == '<')
				q += 2;
			else if (*q == '<' && q[1] != '=' && q[1] != '!')
				q += 1;
			else {
				/* Only flag groups: (?flags) or (?flags:...), flags from imsU. */
				while (*q && strchr("imsU-", *q))
					q++;
				if (*q != ')' && *q != ':')
					return reject(what, pattern, "this (? group");
			}
		} else if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '+') {
			return reject(what, pattern, "a possessive quantifier");
		} else if (*p == '{') {
			long a = strtol(p + 1, NULL, 10);
			const char *comma = strpbrk(p, ",}");

			if (a > 1000 || (comma && *comma == ',' && strtol(comma + 1, NULL, 10) > 1000))
				return reject(what, pattern, "a repeat count above 1000");
		}
		if (sb_add(out, p, 1) < 0)
			return DK_ENOMEM;
		p++;
	}
	return 0;
}

int
sg_regex_compile(sg_regex **out, const char *pattern, const char *what)
{
	strbuf b = { 0 };
	sg_regex *re = NULL;
	int err, rc;
	PCRE2_SIZE off;

	*out = NULL;
	if (sb_add(&b, "", 0) < 0)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = rewrite(&b, pattern, what)) < 0) {
		free(b.s);
		return rc == DK_ENOMEM ? dk_error_set(DK_ENOMEM, "out of memory") : rc;
	}
	re = calloc(1, sizeof(*re));
	if (!re) {
		free(b.s);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	/* No PCRE2_UCP: Go's \d \w \b are ASCII. $ means end of text unless (?m). */
	re->code = pcre2_compile((PCRE2_SPTR)b.s, b.len,
		PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C | PCRE2_MATCH_INVALID_UTF,
		&err, &off, NULL);
	free(b.s);
	if (!re->code) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(err, msg, sizeof(msg));
		sg_regex_free(re);
		return dk_error_set(DK_EINVALID, "malformed %s regexp \"%.200s\": %s", what, pattern, msg);
	}
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx) {
		sg_regex_free(re);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	/* The pattern is the operator's, the subject the signer's: bound the work. */
	pcre2_set_match_limit(re->mctx, 100000);
	pcre2_set_depth_limit(re->mctx, 1000);
	*out = re;
	return 0;
}

int
sg_regex_match(const sg_regex *re, const char *subject, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	int r;

	if (!md)
		return -1;
	r = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	pcre2_match_data_free(md);
	if (r >= 0)
		return 1;
	return r == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

void
sg_regex_free(sg_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re);
}
