#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/valid.h"

#define NAME_MAX_LEN 63

int
dk_valid_name(const char *what, const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > NAME_MAX_LEN)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == len - 1) || (c != '.' && c != '-' && c != '_')))
			goto bad;
	}
	return 0;
bad:
	return dk_error_set(DK_EINVALID, "%s \"%s\" is invalid: use 1-63 lower-case letters, "
			    "digits, '.', '-' or '_', starting and ending with a letter or digit",
			    what, name ? name : "");
}

int
dk_valid_arch(const char *arch)
{
	if (arch && (strcmp(arch, "amd64") == 0 || strcmp(arch, "arm64") == 0))
		return 0;
	return dk_error_set(DK_EINVALID, "arch \"%s\" is invalid: use amd64 or arm64",
			    arch ? arch : "");
}

int
dk_valid_retention(int count)
{
	if (count >= 1 && count <= 50)
		return 0;
	return dk_error_set(DK_EINVALID, "retention %d is out of range: keep between 1 and 50 "
			    "published images", count);
}

int
dk_valid_tlog_policy(const char *policy)
{
	if (policy && (strcmp(policy, "required") == 0 || strcmp(policy, "optional") == 0 ||
		       strcmp(policy, "ignore") == 0))
		return 0;
	return dk_error_set(DK_EINVALID, "tlog policy \"%s\" is invalid: use required, optional "
			    "or ignore", policy ? policy : "");
}

static int
repo_part_ok(const char *s, size_t len)
{
	if (len == 0 || len > 100 || (len <= 2 && s[0] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	}
	return 1;
}

int
dk_valid_repo(const char *repo)
{
	const char *slash = repo ? strchr(repo, '/') : NULL;

	if (slash && !strchr(slash + 1, '/') && repo_part_ok(repo, (size_t)(slash - repo)) &&
	    repo_part_ok(slash + 1, strlen(slash + 1)))
		return 0;
	return dk_error_set(DK_EINVALID, "build repo \"%s\" is invalid: use OWNER/REPO",
			    repo ? repo : "");
}

int
dk_valid_repo_path(const char *what, const char *path)
{
	if (!path || !*path || path[0] == '/' || strlen(path) > 255)
		goto bad;
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20)
			goto bad;
	}
	if (strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 || strstr(path, "/../") ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
		goto bad;
	return 0;
bad:
	return dk_error_set(DK_EINVALID, "%s \"%s\" is invalid: use a relative path inside the "
			    "repository", what, path ? path : "");
}

bool
dk_is_sha256_hex(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

int
dk_parse_int(int *out, const char *what, const char *text, int min, int max)
{
	char *end;
	long v;

	errno = 0;
	v = text ? strtol(text, &end, 10) : 0;
	if (!text || !*text || *end || errno || v < min || v > max)
		return dk_error_set(DK_EINVALID, "%s \"%s\" is invalid: use a whole number from %d "
				    "to %d", what, text ? text : "", min, max);
	*out = (int)v;
	return 0;
}
