#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/regex.h"

struct dk_regex {
	pcre2_code *code;
	char *pattern;
};

/*
 * Finds the first construct RE2 does not support. Escapes are skipped pairwise so "\(?="
 * is not a lookahead; inside a class everything is literal but the escapes.
 */
static int
re2_unsupported(const char *p, size_t *at, const char **what)
{
	int in_class = 0;

	for (size_t i = 0; p[i]; i++) {
		if (p[i] == '\\') {
			char c = p[i + 1];

			if (!in_class && c >= '1' && c <= '9') {
				*at = i;
				*what = "backreferences";
				return 1;
			}
			if (!in_class && (c == 'k' || c == 'g' || c == 'C' || c == 'K' || c == 'R')) {
				*at = i;
				*what = c == 'C' ? "\\C" : c == 'K' ? "\\K" : c == 'R' ? "\\R"
					: "backreferences";
				return 1;
			}
			if (c)
				i++;
			continue;
		}
		if (in_class) {
			if (p[i] == ']')
				in_class = 0;
			continue;
		}
		if (p[i] == '[') {
			in_class = 1;
			/* a ']' right after '[' or '[^' is literal */
			if (p[i + 1] == '^')
				i++;
			if (p[i + 1] == ']')
				i++;
			continue;
		}
		if (p[i] == '(' && p[i + 1] == '?') {
			const char *q = p + i + 2;

			if (*q == '=' || *q == '!' || (*q == '<' && (q[1] == '=' || q[1] == '!'))) {
				*what = "lookaround assertions";
			} else if (*q == '>') {
				*what = "atomic groups";
			} else if (*q == '(') {
				*what = "conditionals";
			} else if (*q == 'R' || (*q >= '0' && *q <= '9') || *q == '&' ||
				   (*q == 'P' && q[1] == '>') || *q == '+' || *q == '|') {
				*what = "recursion or branch reset";
			} else {
				continue;
			}
			*at = i;
			return 1;
		}
		if ((p[i] == '+' ) && i > 0 && (p[i - 1] == '*' || p[i - 1] == '+' ||
						p[i - 1] == '?' || p[i - 1] == '}')) {
			/* "a?+" , "a*+", "a++", "a{2}+": possessive; "a+?" lazy is fine */
			if (!(i > 1 && p[i - 2] == '\\')) {
				*at = i;
				*what = "possessive quantifiers";
				return 1;
			}
		}
	}
	return 0;
}

int
dk_regex_compile(dk_regex **out, const char *pattern, const char *what)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	const char *construct;
	size_t at;
	dk_regex *re;
	int errcode;

	*out = NULL;
	if (re2_unsupported(pattern, &at, &construct))
		return dk_error_set(DK_EINVALID, "%s \"%s\" is invalid at offset %zu: %s are not "
				    "supported (cosign uses Go RE2 syntax)", what, pattern, at, construct);
	if (!(re = calloc(1, sizeof(*re))) || !(re->pattern = strdup(pattern))) {
		free(re);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
				 &errcode, &erroff, NULL);
	if (!re->code) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		dk_regex_free(re);
		return dk_error_set(DK_EINVALID, "%s \"%s\" is invalid at offset %zu: %s", what,
				    pattern, (size_t)erroff, (const char *)msg);
	}
	*out = re;
	return 0;
}

bool
dk_regex_search(const dk_regex *re, const char *subject)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	int rc;

	if (!md)
		return false;
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
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
