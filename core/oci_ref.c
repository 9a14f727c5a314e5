/* OCI references: parsing, Docker Hub normalisation, digests. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "diskops/error.h"
#include "diskops/oci.h"

#define DOCKER_HUB "registry-1.docker.io"

int
dk_oci_digest_valid(const char *digest)
{
	size_t i;

	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
		goto bad;
	for (i = 7; i < 7 + 64; i++)
		if (!isdigit((unsigned char)digest[i]) && !(digest[i] >= 'a' && digest[i] <= 'f'))
			goto bad;
	return 0;
bad:
	return dk_error_set(DK_EINVALID, "digest \"%s\" is not sha256: followed by 64 lower-case hex digits",
			    digest ? digest : "");
}

void
dk_oci_digest_of(char out[72], const void *data, size_t len)
{
	memcpy(out, "sha256:", 7);
	dk_crypto_sha256_hex(out + 7, data, len);
}

int
dk_oci_digest_tag(char out[72], const char *digest)
{
	if (dk_oci_digest_valid(digest) < 0)
		return dk_error_last()->code;
	snprintf(out, 72, "sha256-%s", digest + 7);
	return 0;
}

void
dk_oci_ref_free(dk_oci_ref *ref)
{
	if (!ref)
		return;
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	free(ref);
}

const char *
dk_oci_ref_reference(const dk_oci_ref *ref)
{
	if (ref->digest)
		return ref->digest;
	return ref->tag ? ref->tag : "latest";
}

char *
dk_oci_ref_string(const dk_oci_ref *ref)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s%s%s", ref->registry, ref->repository,
		     ref->tag ? ":" : "", ref->tag ? ref->tag : "",
		     ref->digest ? "@" : "", ref->digest ? ref->digest : "") < 0)
		return NULL;
	return s;
}

char *
dk_oci_ref_pinned(const dk_oci_ref *ref, const char *digest)
{
	char *s;

	if (asprintf(&s, "%s/%s@%s", ref->registry, ref->repository, digest) < 0)
		return NULL;
	return s;
}

/* The distribution spec's path component: [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static int
component_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isdigit(ch) || (ch >= 'a' && ch <= 'z'))
			continue;
		if (ch != '.' && ch != '_' && ch != '-')
			return 0;
		/* Separators may not be mixed or doubled, except "__" and runs of "-". */
		if (ch != '-' && (s[i + 1] == '.' || s[i + 1] == '-' || (ch == '.' && s[i + 1] == '_')))
			return 0;
		if (ch == '_' && s[i + 1] == '_' && s[i + 2] == '_')
			return 0;
	}
	return 1;
}

static int
repository_valid(const char *repo)
{
	const char *p = repo, *slash;

	if (strlen(repo) > 255)
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		if (!component_valid(p, slash ? (size_t)(slash - p) : strlen(p)))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

static int
tag_valid(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > 128 || tag[0] == '.' || tag[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)tag[i]) && tag[i] != '_' && tag[i] != '.' && tag[i] != '-')
			return 0;
	return 1;
}

/* host, host:port, [v6], [v6]:port; hostnames are letters, digits, "-" and ".". */
static int
host_valid(const char *host)
{
	const char *port = NULL, *p;

	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (!close || close == host + 1)
			return 0;
		for (p = host + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return 0;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return 0;
	} else {
		const char *colon = strchr(host, ':');
		size_t n = colon ? (size_t)(colon - host) : strlen(host);

		if (n == 0 || host[0] == '-' || host[0] == '.')
			return 0;
		for (p = host; p < host + n; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
				return 0;
		if (colon)
			port = colon + 1;
	}
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);

		if (!isdigit((unsigned char)*port) || *end || v < 1 || v > 65535)
			return 0;
	}
	return 1;
}

/* Docker's rule: the first component is a host when it has "." or ":", is localhost, or is bracketed. */
static int
looks_like_host(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) || s[0] == '[' ||
	       (n == 9 && strncmp(s, "localhost", 9) == 0);
}

int
dk_oci_ref_parse(dk_oci_ref **out, const char *text)
{
	dk_oci_ref *ref = NULL;
	char *work = NULL, *name, *at, *slash, *colon;
	int rc = DK_EINVALID;

	*out = NULL;
	if (!text || !*text) {
		dk_error_set(DK_EINVALID, "empty OCI reference");
		goto done;
	}
	if (strlen(text) > 1024 || strpbrk(text, " \t\r\n")) {
		dk_error_set(DK_EINVALID, "OCI reference \"%.64s\" is too long or has spaces", text);
		goto done;
	}
	if (!(ref = calloc(1, sizeof(*ref))) || !(work = strdup(text))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	name = work;
	if ((at = strrchr(name, '@'))) {
		*at = '\0';
		if (dk_oci_digest_valid(at + 1) < 0) {
			dk_error_prefix("OCI reference \"%s\"", text);
			goto done;
		}
		ref->digest = strdup(at + 1);
	}
	slash = strchr(name, '/');
	if (slash && looks_like_host(name, (size_t)(slash - name))) {
		*slash = '\0';
		if (!host_valid(name)) {
			dk_error_set(DK_EINVALID, "OCI reference \"%s\": bad registry host \"%s\"", text, name);
			goto done;
		}
		if (strcmp(name, "docker.io") == 0 || strcmp(name, "index.docker.io") == 0)
			ref->registry = strdup(DOCKER_HUB);
		else
			ref->registry = strdup(name);
		name = slash + 1;
	} else {
		ref->registry = strdup(DOCKER_HUB);
	}
	/* A tag is a ":" after the last "/" (a host's port was cut off above). */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_valid(colon + 1)) {
			dk_error_set(DK_EINVALID, "OCI reference \"%s\": bad tag \"%s\"", text, colon + 1);
			goto done;
		}
		ref->tag = strdup(colon + 1);
	}
	if (!repository_valid(name)) {
		dk_error_set(DK_EINVALID, "OCI reference \"%s\": bad repository \"%s\" "
			     "(lower-case letters, digits and . _ - separated by /)", text, name);
		goto done;
	}
	if (strcmp(ref->registry, DOCKER_HUB) == 0 && !strchr(name, '/')) {
		if (asprintf(&ref->repository, "library/%s", name) < 0)
			ref->repository = NULL;
	} else {
		ref->repository = strdup(name);
	}
	if (!ref->registry || !ref->repository || (colon && !ref->tag) || (at && !ref->digest)) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	*out = ref;
	ref = NULL;
	rc = 0;
done:
	dk_oci_ref_free(ref);
	free(work);
	return rc;
}
