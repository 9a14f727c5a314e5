/*
 * Blob upload: HEAD-skip, monolithic PUT for small blobs, chunked PATCH streamed from a
 * file for large ones, cross-repository mount. Location headers may be absolute
 * (registry 2.8) or relative.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "oci_internal.h"

/* Sessions lost in one upload before it is given up. */
#define MAX_RESTARTS 3

typedef struct upload {
	dk_oci_client *c;
	const char *repo;
	const char *digest;
	char scope[600];
	char from_scope[600];
	char what[512];
	oci_resp resp;
	char *location;         /* absolute URL of the open upload session */
} upload;

static int
take_location(upload *u)
{
	char *abs;

	if (!u->resp.location || !*u->resp.location)
		return dk_error_set(DK_EIO, "registry %s: upload answer without Location for %s",
				    u->c->registry, u->what);
	if (!(abs = oci_absolute(u->c, u->resp.location)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	free(u->location);
	u->location = abs;
	return 0;
}

/* POST …/blobs/uploads/[?mount=&from=]: 202 opens a session, 201 means mounted. */
static int
upload_open(upload *u, const char *mount_from)
{
	oci_req req = { 0 };
	char *url, *d = NULL, *f = NULL;
	int rc;

	if (mount_from) {
		d = curl_easy_escape(u->c->curl, u->digest, 0);
		f = curl_easy_escape(u->c->curl, mount_from, 0);
		url = d && f ? oci_url(u->c, "/v2/%s/blobs/uploads/?mount=%s&from=%s", u->repo, d, f) : NULL;
	} else {
		url = oci_url(u->c, "/v2/%s/blobs/uploads/", u->repo);
	}
	curl_free(d);
	curl_free(f);
	if (!url)
		return dk_error_set(DK_ENOMEM, "out of memory");
	req.method = "POST";
	req.url = url;
	req.scopes[0] = u->scope;
	req.scopes[1] = mount_from ? u->from_scope : NULL;
	req.what = u->what;
	rc = oci_request(u->c, &req, &u->resp, NULL);
	free(url);
	if (rc < 0)
		return rc;
	if (u->resp.status == 201 && mount_from)
		return 1;
	if (u->resp.status != 202)
		return oci_status_error(u->c, &u->resp, u->what);
	return take_location(u);
}

/* Location with "digest=<d>" appended (it may already carry a query: _state=…). */
static char *
with_digest(upload *u)
{
	char *url, *d = curl_easy_escape(u->c->curl, u->digest, 0);

	if (!d || asprintf(&url, "%s%cdigest=%s", u->location, strchr(u->location, '?') ? '&' : '?', d) < 0)
		url = NULL;
	curl_free(d);
	return url;
}

static int
check_stored(upload *u)
{
	if (u->resp.status != 201)
		return oci_status_error(u->c, &u->resp, u->what);
	if (u->resp.digest && strcmp(u->resp.digest, u->digest) != 0)
		return dk_error_set(DK_EVERIFY, "registry %s stored blob %s as %s", u->c->registry,
				    u->digest, u->resp.digest);
	return 0;
}

/* Final PUT with the (rest of the) bytes, or none after PATCHes. */
static int
upload_close(upload *u, oci_body *body)
{
	oci_req req = { 0 };
	char *url = with_digest(u);
	int rc;

	if (!url)
		return dk_error_set(DK_ENOMEM, "out of memory");
	req.method = "PUT";
	req.url = url;
	req.scopes[0] = u->scope;
	/* Without it registry 2.8 reads the body as a form and answers 400 DIGEST_INVALID. */
	req.content_type = "application/octet-stream";
	req.body = body;
	req.what = u->what;
	rc = oci_request(u->c, &req, &u->resp, NULL);
	free(url);
	return rc < 0 ? rc : check_stored(u);
}

static int
upload_patch(upload *u, int fd, uint64_t from, uint64_t len)
{
	oci_req req = { 0 };
	oci_body body = { 0 };
	char range[64], *url;
	int rc;

	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)from,
		 (unsigned long long)(from + len - 1));
	body.fd = fd;
	body.offset = (off_t)from;
	body.len = len;
	if (!(url = strdup(u->location)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	req.method = "PATCH";
	req.url = url;
	req.scopes[0] = u->scope;
	req.content_type = "application/octet-stream";
	req.content_range = range;
	req.body = &body;
	req.what = u->what;
	rc = oci_request(u->c, &req, &u->resp, NULL);
	free(url);
	if (rc < 0)
		return rc;
	if (u->resp.status != 202)
		return oci_status_error(u->c, &u->resp, u->what);
	return take_location(u);
}

/* An abandoned session is cancelled so it does not linger in the registry's storage. */
static void
upload_cancel(upload *u)
{
	oci_req req = { 0 };
	oci_resp resp = { 0 };

	if (!u->location)
		return;
	req.method = "DELETE";
	req.url = u->location;
	req.scopes[0] = u->scope;
	req.what = u->what;
	oci_request(u->c, &req, &resp, NULL);
	oci_resp_reset(&resp);
}

static void
upload_init(upload *u, dk_oci_client *c, const char *repo, const char *digest)
{
	memset(u, 0, sizeof(*u));
	u->c = c;
	u->repo = repo;
	u->digest = digest;
	snprintf(u->scope, sizeof(u->scope), "repository:%s:pull,push", repo);
	snprintf(u->what, sizeof(u->what), "%s@%s", repo, digest);
}

static void
upload_done(upload *u)
{
	oci_resp_reset(&u->resp);
	free(u->location);
}

/* Sends `size` bytes of fd (or mem) as blob `digest`, unless the registry has it. */
static int
push(dk_oci_client *c, const char *repo, const char *digest, const void *mem, int fd, uint64_t size)
{
	upload u;
	oci_body body = { 0 };
	uint64_t off;
	int rc, restarts = 0;

	rc = oci_blob_head(c, repo, digest, "pull,push", NULL);
	if (rc == 0)
		return 0;
	if (rc != DK_ENOTFOUND)
		return rc;
	upload_init(&u, c, repo, digest);
	if ((rc = upload_open(&u, NULL)) < 0)
		goto done;
	if (mem || size <= c->chunk_size) {
		body.mem = mem;
		body.fd = fd;
		body.len = size;
		rc = upload_close(&u, &body);
		goto done;
	}
	for (off = 0; off < size;) {
		uint64_t n = size - off < c->chunk_size ? size - off : c->chunk_size;

		rc = upload_patch(&u, fd, off, n);
		/*
		 * The session is gone (404) or out of step (416). That is what a retried PATCH
		 * meets when the first attempt reached the registry but its answer was lost:
		 * registry 2.8 then drops the session, so the one way on is a new session
		 * from the first byte (reading back what it holds is refused too).
		 */
		if (rc < 0 && (u.resp.status == 404 || u.resp.status == 416) &&
		    restarts < MAX_RESTARTS) {
			dk_log_info("msg=\"upload session lost, starting the blob over\" blob=%s "
				    "at=%llu status=%ld", u.what, (unsigned long long)off, u.resp.status);
			restarts++;
			free(u.location);
			u.location = NULL;
			if ((rc = upload_open(&u, NULL)) < 0)
				goto done;
			off = 0;
			continue;
		}
		if (rc < 0)
			goto done;
		off += n;
	}
	rc = upload_close(&u, NULL);
	/* A lost answer to the final PUT: its retry finds no session, but the blob may
	 * well be stored. */
	if (rc < 0 && u.resp.status == 404 && oci_blob_head(c, repo, digest, "pull,push", NULL) == 0) {
		dk_log_info("msg=\"upload answer lost, blob stored\" blob=%s", u.what);
		free(u.location);
		u.location = NULL;
		rc = 0;
	}
done:
	if (rc < 0 && u.location && u.resp.status != 201) {
		int code = rc;
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", dk_error_last()->message);
		upload_cancel(&u);
		rc = dk_error_set(code, "%s", msg);
	}
	upload_done(&u);
	return rc;
}

int
dk_oci_blob_push_mem(char **digest_out, dk_oci_client *c, const char *repo, const void *data, size_t len)
{
	char digest[72];
	int rc;

	if (digest_out)
		*digest_out = NULL;
	dk_oci_digest_of(digest, data, len);
	/* A zero-length buffer still needs a pointer to send from. */
	if ((rc = push(c, repo, digest, len ? data : "", -1, len)) < 0)
		return rc;
	if (digest_out && !(*digest_out = strdup(digest)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	return 0;
}

/* First pass over the file: its digest and size, 64 KiB at a time. */
static int
hash_fd(char out[72], uint64_t *size, int fd, const char *path)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0, i;
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		rc = dk_error_set(DK_ERROR, "SHA-256 init failed");
		goto done;
	}
	for (;;) {
		n = pread(fd, buf, sizeof(buf), (off_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dk_error_set(DK_EIO, "%s: %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	*size = total;
done:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
dk_oci_blob_push_file(dk_oci_descriptor **out, dk_oci_client *c, const char *repo, const char *path)
{
	dk_oci_descriptor *d = NULL;
	char digest[72];
	uint64_t size = 0;
	struct stat st;
	int fd, rc;

	if (out)
		*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return dk_error_set(errno == ENOENT ? DK_ENOTFOUND : DK_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = dk_error_set(DK_EINVALID, "%s: not a regular file", path);
		goto done;
	}
	if ((rc = hash_fd(digest, &size, fd, path)) < 0)
		goto done;
	if ((rc = push(c, repo, digest, NULL, fd, size)) < 0)
		goto done;
	if (out) {
		if (!(d = calloc(1, sizeof(*d))) || !(d->digest = strdup(digest))) {
			free(d);
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		d->size = (int64_t)size;
		*out = d;
	}
done:
	close(fd);
	return rc;
}

int
dk_oci_blob_mount(dk_oci_client *c, const char *repo, const char *digest, const char *from_repo)
{
	upload u;
	int rc;

	if ((rc = dk_oci_digest_valid(digest)) < 0)
		return dk_error_prefix("blob mount");
	upload_init(&u, c, repo, digest);
	snprintf(u.from_scope, sizeof(u.from_scope), "repository:%s:pull", from_repo);
	rc = upload_open(&u, from_repo);
	if (rc == 1) {
		rc = 0;
	} else if (rc == 0) {
		/* The registry opened an ordinary upload instead: it could not mount. */
		upload_cancel(&u);
		rc = dk_error_set(DK_ENOTFOUND, "registry %s: could not mount %s from %s into %s",
				  c->registry, digest, from_repo, repo);
	}
	upload_done(&u);
	return rc;
}
