#ifndef DISKOPS_REGEX_H
#define DISKOPS_REGEX_H

#include <stdbool.h>

/*
 * Regexps with cosign's semantics: Go RE2 syntax, unanchored search. Compiled with
 * PCRE2; constructs RE2 rejects (lookaround, backreferences, atomic groups, possessive
 * quantifiers, recursion, conditionals, \C) are refused so a policy means the same
 * here as in cosign.
 */

typedef struct dk_regex dk_regex;

/* `what` names the pattern in errors ("identity regexp"). DK_EINVALID with the offset. */
int dk_regex_compile(dk_regex **out, const char *pattern, const char *what);
/* True when the pattern matches anywhere in subject. */
bool dk_regex_search(const dk_regex *re, const char *subject);
const char *dk_regex_pattern(const dk_regex *re);
void dk_regex_free(dk_regex *re);

/* Compile-and-free: checks a pattern without keeping it. */
int dk_regex_check(const char *pattern, const char *what);

#endif
