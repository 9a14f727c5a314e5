#ifndef DISKOPS_VALID_H
#define DISKOPS_VALID_H

#include <stdbool.h>

/*
 * Input checks shared by every front end. Each returns 0 or DK_EINVALID with a message
 * that names the field, the bad value and what is accepted.
 */

/* Platform and account names: 1–63 of [a-z0-9._-], starting and ending alphanumeric. */
int dk_valid_name(const char *what, const char *name);
int dk_valid_arch(const char *arch);
int dk_valid_retention(int count);
int dk_valid_tlog_policy(const char *policy);
/* "owner/repo" as Gitea spells them. */
int dk_valid_repo(const char *repo);
/* A relative path inside the repository (no "..", no leading '/'). */
int dk_valid_repo_path(const char *what, const char *path);
bool dk_is_sha256_hex(const char *s);
/* Parses a whole decimal integer in [min, max]. */
int dk_parse_int(int *out, const char *what, const char *text, int min, int max);

#endif
