/* The build repo's tags (the push trigger) and its history between two shas. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "diskops/error.h"
#include "gitops_internal.h"

#define LOG_MAX 500

/* --- tags --- */

int
dk_gitops_tag_valid(const char *tag)
{
	static const char prefix[] = "system-disk-image/v";
	const char *p;
	int parts = 0;

	if (!tag || strncmp(tag, prefix, sizeof(prefix) - 1) != 0)
		return dk_error_set(DK_EINVALID, "tag \"%s\" must look like system-disk-image/vX.Y.Z "
				    "(what the workflow's push trigger matches)", tag ? tag : "");
	p = tag + sizeof(prefix) - 1;
	for (;;) {
		size_t n = strspn(p, "0123456789");

		if (n == 0 || n > 9 || (n > 1 && p[0] == '0'))
			break;
		parts++;
		p += n;
		if (parts == 3 || *p != '.')
			break;
		p++;
	}
	if (parts != 3 || (*p && *p != '-'))
		return dk_error_set(DK_EINVALID, "tag \"%s\": the version must be X.Y.Z (numbers "
				    "without leading zeros), optionally -prerelease", tag);
	if (*p == '-') {
		if (!p[1])
			return dk_error_set(DK_EINVALID, "tag \"%s\": empty prerelease after '-'", tag);
		for (p++; *p; p++) {
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return dk_error_set(DK_EINVALID, "tag \"%s\": the prerelease may hold "
						    "letters, digits, '.' and '-' only", tag);
		}
		if (strstr(tag, "..") || tag[strlen(tag) - 1] == '.')
			return dk_error_set(DK_EINVALID, "tag \"%s\" is not a valid git ref name", tag);
	}
	return 0;
}

/* Whether the remote has refs/tags/<tag>, asked of the remote itself (not our copy). */
static int
remote_has(dk_gitops *g, bool *has, char sha[41], const char *ref)
{
	git_remote_callbacks cb;
	git_remote *remote = NULL;
	const git_remote_head **heads;
	size_t n;
	int rc;

	*has = false;
	dk_gitops__callbacks_init(g, &cb);
	if ((rc = dk_gitops__origin(g, &remote, "list the remote's tags")) < 0)
		return rc;
	if ((rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL)) < 0 ||
	    (rc = git_remote_ls(&heads, &n, remote)) < 0) {
		rc = dk_gitops__fail(g, rc, "list the remote's tags");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(heads[i]->name, ref) == 0) {
			*has = true;
			git_oid_tostr(sha, 41, &heads[i]->oid);
		}
	}
done:
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	return rc;
}

static int
hex_sha(const char *what, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 4 || n > 40 || strspn(s, "0123456789abcdefABCDEF") != n)
		return dk_error_set(DK_EINVALID, "%s \"%s\" is not a git sha (4 to 40 hex digits)",
				    what, s ? s : "");
	return 0;
}

static int
lookup_commit(dk_gitops *g, git_commit **out, const char *what, const char *sha)
{
	git_object *obj = NULL;
	char spec[64];
	int rc;

	*out = NULL;
	if ((rc = hex_sha(what, sha)) < 0)
		return rc;
	snprintf(spec, sizeof(spec), "%s^{commit}", sha);
	if ((rc = git_revparse_single(&obj, g->repo, spec)) < 0) {
		if (rc == GIT_EAMBIGUOUS)
			return dk_error_set(DK_EINVALID, "%s %s is ambiguous: give more digits", what, sha);
		return dk_error_set(DK_ENOTFOUND, "%s %s is not a commit of the build repo %s", what,
				    sha, g->shown_url);
	}
	*out = (git_commit *)obj;
	return 0;
}

int
dk_gitops_tag_push(dk_gitops *g, char *sha, const char *tag, const char *target,
		   const char *message, const dk_gitops_author *tagger)
{
	git_signature *sig = NULL;
	git_commit *commit = NULL;
	git_object *head = NULL;
	git_reference *stale = NULL;
	char ref[300], spec[620], there[41] = "", msg[400];
	git_oid oid;
	bool has;
	int rc;

	if (sha)
		sha[0] = '\0';
	if ((rc = dk_gitops_tag_valid(tag)) < 0 || (rc = dk_gitops__signature(&sig, tagger)) < 0)
		return rc;
	if (target && *target) {
		if ((rc = lookup_commit(g, &commit, "target", target)) < 0)
			goto done;
	} else {
		if (!g->head[0]) {
			rc = dk_error_set(DK_ESTATE, "branch %s of %s has no commit to tag", g->branch,
					  g->shown_url);
			goto done;
		}
		if ((rc = git_revparse_single(&head, g->repo, "HEAD^{commit}")) < 0) {
			rc = dk_gitops__fail(g, rc, "tag");
			goto done;
		}
		commit = (git_commit *)head;
		head = NULL;
	}
	snprintf(ref, sizeof(ref), "refs/tags/%s", tag);
	if ((rc = remote_has(g, &has, there, ref)) < 0)
		goto done;
	if (has) {
		rc = dk_error_set(DK_ECONFLICT, "tag %s exists on %s already (%.12s): tags are never "
				  "moved — use a new version", tag, g->shown_url, there);
		goto done;
	}
	/* A tag of ours whose push failed earlier: the remote never saw it. */
	if (git_reference_lookup(&stale, g->repo, ref) == 0)
		git_reference_delete(stale);
	snprintf(msg, sizeof(msg), "%s\n", message && *message ? message : tag);
	if ((rc = git_tag_create(&oid, g->repo, tag, (const git_object *)commit, sig, msg, 0)) < 0) {
		rc = dk_gitops__fail(g, rc, "tag");
		goto done;
	}
	snprintf(spec, sizeof(spec), "%s:%s", ref, ref);
	if ((rc = dk_gitops__push_refspec(g, spec, "push the tag")) < 0) {
		git_reference *mine = NULL;

		if (git_reference_lookup(&mine, g->repo, ref) == 0) {
			git_reference_delete(mine);
			git_reference_free(mine);
		}
		goto done;
	}
	if (sha)
		git_oid_tostr(sha, 41, git_commit_id(commit));
done:
	git_reference_free(stale);
	git_object_free(head);
	git_commit_free(commit);
	git_signature_free(sig);
	return rc;
}

/* --- log --- */

static int
walk(dk_gitops_commit_list *l, dk_gitops *g, const git_oid *from, const git_oid *to)
{
	git_revwalk *w = NULL;
	git_oid oid;
	int rc;

	if ((rc = git_revwalk_new(&w, g->repo)) < 0 ||
	    (rc = git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0 ||
	    (rc = git_revwalk_push(w, to)) < 0 || (rc = git_revwalk_hide(w, from)) < 0) {
		rc = dk_gitops__fail(g, rc, "commit log");
		goto done;
	}
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		git_commit *c = NULL;
		dk_gitops_commit_info *it;
		const git_signature *a;

		if (l->count == LOG_MAX) {
			l->truncated = true;
			break;
		}
		if ((rc = git_commit_lookup(&c, g->repo, &oid)) < 0) {
			rc = dk_gitops__fail(g, rc, "commit log");
			goto done;
		}
		it = &l->items[l->count];
		a = git_commit_author(c);
		git_oid_tostr(it->sha, sizeof(it->sha), &oid);
		it->subject = strdup(git_commit_summary(c) ? git_commit_summary(c) : "");
		it->author_name = strdup(a->name);
		it->author_email = strdup(a->email);
		it->time = (int64_t)a->when.time;
		git_commit_free(c);
		l->count++;
		if (!it->subject || !it->author_name || !it->author_email) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else if (rc < 0)
		rc = dk_gitops__fail(g, rc, "commit log");
done:
	git_revwalk_free(w);
	return rc;
}

int
dk_gitops_log(dk_gitops_commit_list **out, dk_gitops *g, const char *from_sha,
	      const char *to_sha)
{
	dk_gitops_commit_list *l = NULL;
	git_commit *from = NULL, *to = NULL;
	int rc;

	*out = NULL;
	if ((rc = lookup_commit(g, &from, "from", from_sha)) < 0 ||
	    (rc = lookup_commit(g, &to, "to", to_sha)) < 0)
		goto done;
	if (!(l = calloc(1, sizeof(*l))) || !(l->items = calloc(LOG_MAX, sizeof(*l->items)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = walk(l, g, git_commit_id(from), git_commit_id(to))) < 0)
		goto done;
	if (l->count == 0 && !git_oid_equal(git_commit_id(from), git_commit_id(to)) &&
	    git_graph_descendant_of(g->repo, git_commit_id(from), git_commit_id(to)) == 1) {
		l->backwards = true;
		rc = walk(l, g, git_commit_id(to), git_commit_id(from));
	}
done:
	git_commit_free(from);
	git_commit_free(to);
	if (rc < 0)
		dk_gitops_commit_list_free(l);
	else
		*out = l;
	return rc;
}

void
dk_gitops_commit_list_free(dk_gitops_commit_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->items && i < l->count; i++) {
		free(l->items[i].subject);
		free(l->items[i].author_name);
		free(l->items[i].author_email);
	}
	free(l->items);
	free(l);
}
