/*
 * Blob download: streamed to a callback or a file descriptor, SHA-256 and size checked
 * as the bytes arrive, resumed with Range after a dropped connection. Nothing is held
 * beyond curl's own buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "oci_internal.h"
#include "sha256_pipe.h"

/* Blobs from this size on are hashed on a second thread, overlapping the download. */
#define PIPE_FROM (8 * 1024 * 1024)

typedef struct blob_state {
	sha256_pipe *md;
	const char *digest;
	int64_t size;           /* expected, or -1 */
	uint64_t got;           /* bytes accepted (hashed and handed on) */
	uint64_t skip;          /* bytes to drop: a server that ignored Range resent them */
	int first;              /* first body bytes of this attempt not seen yet */
	oci_resp *resp;
	dk_oci_sink_fn sink;
	void *payload;
} blob_state;

static size_t
blob_sink(void *userdata, const char *data, size_t len)
{
	blob_state *b = userdata;
	size_t n = len;

	if (b->first) {
		b->first = 0;
		/* Asked for a range but got everything: drop what we already have. */
		if (b->got > 0 && b->resp->status == 200)
			b->skip = b->got;
		else if (b->got > 0 && b->resp->content_range) {
			const char *p = b->resp->content_range;
			unsigned long long from;

			if (strncmp(p, "bytes ", 6) == 0)
				p += 6;
			if (sscanf(p, "%llu-", &from) != 1 || from != b->got) {
				dk_error_set(DK_EIO, "blob %s: resumed at byte %llu, registry sent from %s",
					     b->digest, (unsigned long long)b->got, b->resp->content_range);
				return 0;
			}
		}
	}
	if (b->skip) {
		size_t drop = b->skip < n ? (size_t)b->skip : n;

		b->skip -= drop;
		data += drop;
		n -= drop;
		if (!n)
			return len;
	}
	if (b->size >= 0 && b->got + n > (uint64_t)b->size) {
		dk_error_set(DK_EVERIFY, "blob %s is larger than its descriptor says (%lld bytes)",
			     b->digest, (long long)b->size);
		return 0;
	}
	if (sha256_pipe_update(b->md, data, n) < 0) {
		dk_error_prefix("blob %s", b->digest);
		return 0;
	}
	if (b->sink(b->payload, (const unsigned char *)data, n) < 0) {
		if (!dk_error_last()->code)
			dk_error_set(DK_ERROR, "blob %s: the receiver stopped", b->digest);
		return 0;
	}
	b->got += n;
	return len;
}

static int
resumable(CURLcode rc)
{
	return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_HTTP2_STREAM;
}

int
dk_oci_blob_get(dk_oci_client *c, const char *repo, const char *digest, int64_t size,
		dk_oci_sink_fn sink, void *payload)
{
	blob_state b = { 0 };
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, what[512], got[72];
	unsigned char md[32];
	unsigned int i;
	int rc, resumes = 0;
	uint64_t before;
	CURLcode crc;

	if ((rc = dk_oci_digest_valid(digest)) < 0)
		return dk_error_prefix("blob GET");
	snprintf(what, sizeof(what), "%s@%s", repo, digest);
	url = oci_url(c, "/v2/%s/blobs/%s", repo, digest);
	if (!url || asprintf(&scope, "repository:%s:pull", repo) < 0) {
		scope = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = sha256_pipe_new(&b.md, size < 0 || size >= PIPE_FROM)) < 0)
		goto done;
	b.digest = digest;
	b.size = size;
	b.resp = &resp;
	b.sink = sink;
	b.payload = payload;
	req.method = "GET";
	req.url = url;
	req.scopes[0] = scope;
	req.sink = blob_sink;
	req.sink_payload = &b;
	req.what = what;
	for (;;) {
		before = b.got;
		b.first = 1;
		b.skip = 0;
		req.range_from = (int64_t)b.got;
		dk_error_clear();
		rc = oci_request(c, &req, &resp, &crc);
		if (rc < 0 && resumable(crc) && b.got > before && resumes < c->max_retries) {
			/* Progress was made, so this is worth another try from where it stopped. */
			resumes++;
			dk_log_info("msg=\"blob transfer dropped, resuming\" registry=%s blob=%s at=%llu",
				    c->registry, digest, (unsigned long long)b.got);
			continue;
		}
		/*
		 * The registry answered, promised more (Content-Length) and ended cleanly at the
		 * same byte again after its retries: its copy is short. That is the blob, not
		 * the network, and no retry later will fix it.
		 */
		if (rc < 0 && crc == CURLE_PARTIAL_FILE && b.got > 0 && b.got == before &&
		    (size < 0 || b.got < (uint64_t)size))
			goto truncated;
		if (rc < 0)
			goto done;
		break;
	}
	if (resp.status == 416 && size >= 0 && b.got == (uint64_t)size) {
		/* Everything had arrived before the connection dropped. */
	} else if (resp.status == 416 && b.got > 0) {
		goto truncated;
	} else if (resp.status != 200 && resp.status != 206) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	if (size >= 0 && b.got != (uint64_t)size)
		goto truncated;
	if ((rc = sha256_pipe_final(b.md, md)) < 0)
		goto done;
	memcpy(got, "sha256:", 7);
	for (i = 0; i < 32; i++)
		snprintf(got + 7 + 2 * i, 3, "%02x", md[i]);
	if (strcmp(got, digest) != 0) {
		rc = dk_error_set(DK_EVERIFY, "blob %s digest mismatch: got %s (%llu bytes)", digest, got,
				  (unsigned long long)b.got);
		goto done;
	}
	rc = 0;
	goto done;
truncated:
	if (size >= 0)
		rc = dk_error_set(DK_EVERIFY, "blob %s truncated: got %llu of %lld bytes", digest,
				  (unsigned long long)b.got, (long long)size);
	else
		rc = dk_error_set(DK_EVERIFY, "blob %s truncated: got %llu bytes, the registry ends it there",
				  digest, (unsigned long long)b.got);
done:
	sha256_pipe_free(b.md);
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}

static int
fd_sink(void *payload, const unsigned char *data, size_t len)
{
	int fd = *(int *)payload;
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return dk_error_set(DK_EIO, "writing blob: %s", n < 0 ? strerror(errno) : "short write");
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
dk_oci_blob_get_fd(dk_oci_client *c, const char *repo, const char *digest, int64_t size, int fd)
{
	return dk_oci_blob_get(c, repo, digest, size, fd_sink, &fd);
}

int
dk_oci_blob_exists(dk_oci_client *c, const char *repo, const char *digest, int64_t *size_out)
{
	return oci_blob_head(c, repo, digest, "pull", size_out);
}

int
oci_blob_head(dk_oci_client *c, const char *repo, const char *digest, const char *actions, int64_t *size_out)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, what[512];
	int rc;

	if ((rc = dk_oci_digest_valid(digest)) < 0)
		return dk_error_prefix("blob HEAD");
	snprintf(what, sizeof(what), "%s@%s", repo, digest);
	url = oci_url(c, "/v2/%s/blobs/%s", repo, digest);
	if (!url || asprintf(&scope, "repository:%s:%s", repo, actions) < 0) {
		scope = NULL;
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	req.method = "HEAD";
	req.url = url;
	req.scopes[0] = scope;
	req.what = what;
	if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
		goto done;
	if (resp.status != 200) {
		rc = oci_status_error(c, &resp, what);
		goto done;
	}
	if (size_out)
		*size_out = resp.content_length;
done:
	oci_resp_reset(&resp);
	free(url);
	free(scope);
	return rc;
}
