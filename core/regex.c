/*
 * Regexps with cosign's semantics (cosign-verify.md §3): Go RE2 syntax, unanchored
 * search, used by platform validation (--identity-regexp, --issuer-regexp) and by the
 * signature verifier alike, so a policy accepted at `platform set` means the same at
 * verification.
 *
 * PCRE2 accepts a superset of RE2, so a pre-scan refuses what Go would refuse
 * (lookaround, backreferences, atomic groups, possessive quantifiers, recursion,
 * conditionals, verbs, \C and the other PCRE-only escapes, flags other than imsU,
 * repeat counts above 1000) and rewrites the two escapes whose meaning differs: \s has
 * no VT in Go, and \v is the VT character in Go but a class in PCRE2. Compiled with
 * $ = end of text (PCRE2_DOLLAR_ENDONLY, as Go without (?m)), invalid UTF-8 in the
 * subject tolerated (Go reads each bad byte as U+FFFD), no PCRE2_UCP (Go's \d \w \b
 * are ASCII), and a match/depth limit: the pattern is the operator's, the subject the
 * signer's.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/regex.h"

#define RE_MATCH_LIMIT 100000
#define RE_DEPTH_LIMIT 1000
#define RE_MAX_REPEAT 1000

struct dk_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
	char *pattern;
};

/* The rewritten pattern, with the source offset of every output byte for errors. */
typedef struct {
	char *s;
	size_t *src;
	size_t len, cap;
} rbuf;

static int
rb_add(rbuf *b, const char *s, size_t n, size_t from)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		size_t *q;

		if (!p)
			return -1;
		b->s = p;
		q = realloc(b->src, cap * sizeof(*q));
		if (!q)
			return -1;
		b->src = q;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	for (size_t i = 0; i < n; i++)
		b->src[b->len + i] = from;
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

typedef struct {
	size_t at;
	const char *what;   /* plural noun phrase: "... are not supported" */
} re_bad;

static int
bad(re_bad *e, size_t at, const char *what)
{
	e->at = at;
	e->what = what;
	return DK_EINVALID;
}

/* Names the PCRE-only escape at p[1], or NULL when Go accepts it. */
static const char *
escape_unsupported(char e, int in_class)
{
	if (e == 'k' || e == 'g')
		return "backreferences";
	if (e == 'C')
		return "\\C";
	if (e == 'K')
		return "\\K";
	if (e == 'R')
		return "\\R";
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
		if (!strchr("afnrtvdDsSwWbBAzpPx", e))
			return "PCRE-only escapes";
		if (in_class && strchr("bBAz", e))
			return "assertions inside a class";
	}
	return NULL;
}

static int
rewrite(rbuf *out, const char *pattern, re_bad *err)
{
	const char *p = pattern;
	int in_class = 0;

#define OFF(q) ((size_t)((q) - pattern))
#define ADD(s, n, q) do { if (rb_add(out, (s), (n), OFF(q)) < 0) return DK_ENOMEM; } while (0)
	while (*p) {
		if (*p == '\\') {
			char e = p[1];
			const char *why;

			if (e == '\0')
				return bad(err, OFF(p), "trailing backslashes");
			if (e == 'Q') {
				const char *end = strstr(p + 2, "\\E");
				size_t n = end ? (size_t)(end - p) + 2 : strlen(p);

				ADD(p, n, p);
				p += n;
				continue;
			}
			if (e == 's') {
				if (in_class)
					ADD("\\t\\n\\f\\r ", 9, p);
				else
					ADD("[\\t\\n\\f\\r ]", 11, p);
				p += 2;
				continue;
			}
			if (e == 'v') {
				ADD("\\x0B", 4, p);
				p += 2;
				continue;
			}
			/* \1..\9 alone is a backreference in PCRE2 and an error in Go; \12 is octal. */
			if (e >= '1' && e <= '9' && !(p[2] >= '0' && p[2] <= '7'))
				return bad(err, OFF(p), "backreferences");
			if ((why = escape_unsupported(e, in_class)) != NULL)
				return bad(err, OFF(p), why);
			ADD(p, 2, p);
			p += 2;
			continue;
		}
		if (in_class) {
			if (*p == '[' && p[1] == ':') {
				const char *end = strstr(p + 2, ":]");

				if (end) {
					ADD(p, (size_t)(end - p) + 2, p);
					p = end + 2;
					continue;
				}
			}
			if (*p == ']')
				in_class = 0;
		} else if (*p == '[') {
			const char *start = p;

			in_class = 1;
			p++;
			if (*p == '^')
				p++;
			/* A leading ']' is a literal member. */
			if (*p == ']')
				p++;
			ADD(start, (size_t)(p - start), start);
			continue;
		} else if (*p == '(' && p[1] == '*') {
			return bad(err, OFF(p), "(*VERB) control verbs");
		} else if (*p == '(' && p[1] == '?') {
			const char *q = p + 2;

			if (*q == '=' || *q == '!' || (*q == '<' && (q[1] == '=' || q[1] == '!')))
				return bad(err, OFF(p), "lookaround assertions");
			if (*q == '>')
				return bad(err, OFF(p), "atomic groups");
			if (*q == '(')
				return bad(err, OFF(p), "conditionals");
			if (*q == 'R' || (*q >= '0' && *q <= '9') || *q == '&' || (*q == 'P' && q[1] == '>') ||
			    *q == '+' || (*q == '-' && q[1] >= '0' && q[1] <= '9') || *q == '|')
				return bad(err, OFF(p), "recursion or branch reset");
			if (*q == '#')
				return bad(err, OFF(p), "comments");
			if (*q == 'P' && q[1] == '<') {
				q += 2;
			} else if (*q == '<') {
				q += 1;
			} else {
				/* Only flag groups: (?flags) or (?flags:...), flags from imsU. */
				while (*q && strchr("imsU-", *q))
					q++;
				if (*q != ')' && *q != ':')
					return bad(err, OFF(q), "flags other than i, m, s, U");
			}
		} else if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '+') {
			return bad(err, OFF(p + 1), "possessive quantifiers");
		} else if (*p == '{') {
			long a = strtol(p + 1, NULL, 10);
			const char *comma = strpbrk(p, ",}");

			if (a > RE_MAX_REPEAT || (comma && *comma == ',' && strtol(comma + 1, NULL, 10) > RE_MAX_REPEAT))
				return bad(err, OFF(p), "repeat counts above 1000");
		}
		ADD(p, 1, p);
		p++;
	}
#undef ADD
#undef OFF
	return 0;
}

int
dk_regex_compile(dk_regex **out, const char *pattern, const char *what)
{
	rbuf b = { 0 };
	re_bad err = { 0, NULL };
	PCRE2_SIZE erroff;
	dk_regex *re = NULL;
	int errcode, rc;

	*out = NULL;
	if (!pattern)
		return dk_error_set(DK_EINVALID, "%s: no pattern", what);
	if (rb_add(&b, "", 0, 0) < 0) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = rewrite(&b, pattern, &err)) < 0) {
		if (rc == DK_ENOMEM)
			rc = dk_error_set(DK_ENOMEM, "out of memory");
		else
			rc = dk_error_set(DK_EINVALID, "%s \"%.200s\" is invalid at offset %zu: %s are not "
				"supported (cosign uses Go RE2 syntax)", what, pattern, err.at, err.what);
		goto done;
	}
	if (!(re = calloc(1, sizeof(*re))) || !(re->pattern = strdup(pattern)) ||
	    !(re->mctx = pcre2_match_context_create(NULL))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	pcre2_set_match_limit(re->mctx, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, RE_DEPTH_LIMIT);
	re->code = pcre2_compile((PCRE2_SPTR)b.s, b.len,
		PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C | PCRE2_MATCH_INVALID_UTF,
		&errcode, &erroff, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		/* The offset is in the rewritten pattern; report it in the operator's. */
		size_t at = erroff < b.len ? b.src[erroff] : strlen(pattern);

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		rc = dk_error_set(DK_EINVALID, "%s \"%.200s\" is invalid at offset %zu: %s", what, pattern, at,
			(const char *)msg);
		goto done;
	}
	*out = re;
	re = NULL;
done:
	dk_regex_free(re);
	free(b.s);
	free(b.src);
	return rc;
}

int
dk_regex_match(const dk_regex *re, const char *subject, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	int r;

	if (!md)
		return dk_error_set(DK_ENOMEM, "out of memory");
	r = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	pcre2_match_data_free(md);
	if (r >= 0)
		return 1;
	if (r == PCRE2_ERROR_NOMATCH)
		return 0;
	return dk_error_set(DK_EINVALID, "regexp \"%.200s\": match aborted (PCRE2 error %d)", re->pattern, r);
}

bool
dk_regex_search(const dk_regex *re, const char *subject)
{
	return dk_regex_match(re, subject, strlen(subject)) == 1;
}

const char *
dk_regex_pattern(const dk_regex *re)
{
	return re->pattern;
}

void
dk_regex_free(dk_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re->pattern);
	free(re);
}

int
dk_regex_check(const char *pattern, const char *what)
{
	dk_regex *re;
	int rc = dk_regex_compile(&re, pattern, what);

	dk_regex_free(re);
	return rc;
}
