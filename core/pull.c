/*
 * `diskops pull`: what a node agent does at boot. The published artifact is verified
 * again (trust policy as it is now, the digests and sha256 recorded at publish) by the
 * same check as ingest, while its files stream into temp names in the directory; only
 * when everything verified are they fsync'd and renamed, with a SHA256SUMS beside them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/promote.h"
#include "diskops/store.h"
#include "ingest_internal.h"

typedef struct {
	char *name;             /* final file name in dir */
	char *tmp;              /* temp path while unverified */
	int fd;
	int64_t done, total;
} pull_file;

typedef struct {
	const char *dir;
	pull_file files[4];     /* the artifact files, then SHA256SUMS */
	size_t n;
	size_t current;
	dk_pull_progress_fn progress;
	void *payload;
} pull_state;

void
dk_pull_result_free(dk_pull_result *r)
{
	if (!r)
		return;
	dk_publication_free(r->publication);
	dk_artifact_clear(&r->artifact);
	for (size_t i = 0; i < r->n_paths; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r);
}

static int
file_name(char **out, const dk_artifact_file *f, size_t index)
{
	char why[256];
	const char *name = dk_artifact_file_name(f, index, why);

	if (!name)
		return dk_error_set(DK_EVERIFY, "%s", why);
	if (!(*out = strdup(name)))
		return dk_error_set(DK_ENOMEM, "file name");
	return 0;
}

static int
new_temp(pull_file *pf, const char *dir)
{
	if (asprintf(&pf->tmp, "%s/.%s.diskops-XXXXXX", dir, pf->name) < 0) {
		pf->tmp = NULL;
		return dk_error_set(DK_ENOMEM, "temp name");
	}
	if ((pf->fd = mkstemp(pf->tmp)) < 0) {
		int e = errno;

		free(pf->tmp);
		pf->tmp = NULL;
		return dk_error_set(DK_EIO, "cannot create a file in %s: %s", dir, strerror(e));
	}
	return 0;
}

static int
write_all(int fd, const unsigned char *data, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return dk_error_set(DK_EIO, "writing %s: %s", what, strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
file_sink(void *payload, const unsigned char *data, size_t len)
{
	pull_state *st = payload;
	pull_file *pf = &st->files[st->current];
	int rc;

	if ((rc = write_all(pf->fd, data, len, pf->name)) < 0)
		return rc;
	pf->done += (int64_t)len;
	if (st->progress)
		st->progress(st->payload, pf->name, pf->done, pf->total);
	return 0;
}

static int
open_file(void *payload, const dk_artifact_file *f, dk_oci_sink_fn *sink, void **sink_payload)
{
	pull_state *st = payload;
	pull_file *pf = &st->files[st->n];
	int rc;

	pf->fd = -1;
	if ((rc = file_name(&pf->name, f, st->n)) < 0)
		return rc;
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->files[i].name, pf->name) == 0) {
			rc = dk_error_set(DK_EVERIFY, "two layers are both titled \"%s\"", pf->name);
			free(pf->name);
			pf->name = NULL;
			return rc;
		}
	pf->total = f->size;
	st->current = st->n++;
	if ((rc = new_temp(pf, st->dir)) < 0)
		return rc;
	*sink = file_sink;
	*sink_payload = st;
	return 0;
}

static void
discard(pull_state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->files[i].fd >= 0)
			close(st->files[i].fd);
		if (st->files[i].tmp)
			unlink(st->files[i].tmp);
		free(st->files[i].tmp);
		free(st->files[i].name);
	}
	st->n = 0;
}

static int
sync_close(pull_file *pf)
{
	int rc = 0;

	if (fsync(pf->fd) < 0)
		rc = dk_error_set(DK_EIO, "fsync %s: %s", pf->tmp, strerror(errno));
	if (close(pf->fd) < 0 && rc == 0)
		rc = dk_error_set(DK_EIO, "close %s: %s", pf->tmp, strerror(errno));
	pf->fd = -1;
	return rc;
}

/* SHA256SUMS in sha256sum(1)'s format: the digests the client checked as they streamed. */
static int
write_sums(pull_state *st, const dk_artifact *a)
{
	pull_file *pf = &st->files[st->n];
	int rc;

	pf->fd = -1;
	if (!(pf->name = strdup(DK_ARTIFACT_SUMS)))
		return dk_error_set(DK_ENOMEM, "SHA256SUMS");
	st->n++;
	if ((rc = new_temp(pf, st->dir)) < 0)
		return rc;
	for (size_t i = 0; i < a->n_files; i++) {
		char line[512];
		int n = snprintf(line, sizeof(line), "%s  %s\n", a->files[i].digest + 7,
				 st->files[i].name);

		if ((rc = write_all(pf->fd, (unsigned char *)line, (size_t)n, DK_ARTIFACT_SUMS)) < 0)
			return rc;
	}
	return 0;
}

static int
commit_files(pull_state *st, dk_pull_result *r)
{
	int dfd, rc = 0;

	for (size_t i = 0; i < st->n; i++)
		if ((rc = sync_close(&st->files[i])) < 0)
			return rc;
	if (!(r->paths = calloc(st->n, sizeof(*r->paths))))
		return dk_error_set(DK_ENOMEM, "paths");
	for (size_t i = 0; i < st->n; i++) {
		pull_file *pf = &st->files[i];
		char *final = NULL;

		if (asprintf(&final, "%s/%s", st->dir, pf->name) < 0)
			return dk_error_set(DK_ENOMEM, "path");
		if (rename(pf->tmp, final) < 0) {
			rc = dk_error_set(DK_EIO, "rename %s to %s: %s", pf->tmp, final, strerror(errno));
			free(final);
			return rc;
		}
		free(pf->tmp);
		pf->tmp = NULL;
		r->paths[r->n_paths++] = final;
	}
	if ((dfd = open(st->dir, O_RDONLY | O_DIRECTORY)) < 0)
		return dk_error_set(DK_EIO, "open %s: %s", st->dir, strerror(errno));
	if (fsync(dfd) < 0)
		rc = dk_error_set(DK_EIO, "fsync %s: %s", st->dir, strerror(errno));
	close(dfd);
	return rc;
}

/* The platform's default publication, or a publication by id (prefix). */
static int
resolve(dk_publication **p, dk_store *store, const char *account_id, const char *target)
{
	dk_platform *plat = NULL;
	int rc;

	rc = dk_store_platform_find(store, &plat, account_id, target);
	if (rc == DK_ENOTFOUND)
		return dk_store_publication_get(store, p, account_id, target);
	if (rc < 0)
		return rc;
	if (!plat->default_publication_id)
		rc = dk_error_set(DK_ENOTFOUND, "platform '%s' has no published image yet",
				  plat->name);
	else
		rc = dk_store_publication_get(store, p, account_id, plat->default_publication_id);
	dk_platform_free(plat);
	return rc;
}

int
dk_pull(dk_pull_result **out, dk_store *store, const char *account_id, const char *target,
	const char *dir, const dk_config *cfg, dk_pull_progress_fn progress, void *payload)
{
	dk_artifact_expect e = DK_ARTIFACT_EXPECT_NONE;
	pull_state st = { 0 };
	dk_ingest_keep keep = { open_file, &st };
	dk_pull_result *r = NULL;
	dk_platform *plat = NULL;
	char *pinned = NULL, *reason = NULL;
	int rc;

	*out = NULL;
	st.dir = dir;
	st.progress = progress;
	st.payload = payload;
	if (!(r = calloc(1, sizeof(*r))))
		return dk_error_set(DK_ENOMEM, "pull");
	if ((rc = resolve(&r->publication, store, account_id, target)) < 0)
		goto done;
	if (r->publication->status != DK_PUB_PUBLISHED) {
		rc = dk_error_set(DK_ESTATE, "publication %s is %s, not published: refusing to pull it",
				  r->publication->id, dk_pub_status_name(r->publication->status));
		goto done;
	}
	if ((rc = dk_store_platform_find(store, &plat, account_id,
					 r->publication->node_platform_id)) < 0)
		goto done;
	if (!r->publication->oci_ref || !r->publication->oci_digest) {
		rc = dk_error_set(DK_EVERIFY, "publication %s has no registry digest to pull",
				  r->publication->id);
		goto done;
	}
	if (!(pinned = dk_pin_reference(r->publication->oci_ref, r->publication->oci_digest))) {
		rc = dk_error_set(DK_ENOMEM, "pinning %s", r->publication->oci_ref);
		goto done;
	}
	e.sha256 = r->publication->artifact_sha256;
	e.size = r->publication->size_bytes > 0 ? r->publication->size_bytes : -1;
	e.digest = r->publication->oci_digest;
	e.arch = r->publication->arch;
	rc = dk_ingest_check(&r->artifact, &reason, plat, pinned, &e, cfg, &keep);
	if (rc == 1) {
		rc = dk_error_set(DK_EVERIFY, "%s", reason);
		goto done;
	}
	if (rc < 0 || (rc = write_sums(&st, &r->artifact)) < 0 || (rc = commit_files(&st, r)) < 0)
		goto done;
	dk_log_info("msg=\"pulled\" publication=%s digest=%s dir=%s", r->publication->id,
		    r->artifact.digest, dir);
done:
	discard(&st);
	free(reason);
	free(pinned);
	dk_platform_free(plat);
	if (rc < 0)
		dk_pull_result_free(r);
	else
		*out = r;
	return rc;
}
