#ifndef DISKOPS_REGEX_H
#define DISKOPS_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Regexps with cosign's semantics: Go RE2 syntax, unanchored search. Compiled with
 * PCRE2; constructs RE2 rejects (lookaround, backreferences, atomic groups, possessive
 * quantifiers, recursion, conditionals, verbs, \C and other PCRE-only escapes, flags
 * other than imsU, repeat counts above 1000) are refused, and $ (end of text), \s, \v,
 * ASCII \d\w\b and invalid UTF-8 in the subject behave as in Go, so a policy means
 * the same here as in cosign. One implementation for platform validation and the
 * signature verifier.
 */

typedef struct dk_regex dk_regex;

/* `what` names the pattern in errors ("identity regexp"). DK_EINVALID with the offset. */
int dk_regex_compile(dk_regex **out, const char *pattern, const char *what);
/* True when the pattern matches anywhere in subject. */
bool dk_regex_search(const dk_regex *re, const char *subject);
/* Over `len` bytes (NULs and invalid UTF-8 allowed): 1 match, 0 none, <0 an error
 * (the match limit hit) with the reason set. */
int dk_regex_match(const dk_regex *re, const char *subject, size_t len);
const char *dk_regex_pattern(const dk_regex *re);
void dk_regex_free(dk_regex *re);

/* Compile-and-free: checks a pattern without keeping it. */
int dk_regex_check(const char *pattern, const char *what);

#endif
