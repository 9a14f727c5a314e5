/* The build repo over libgit2: a state-dir clone that mirrors one remote branch. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/crypto.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/gitops.h"
#include "gitops_internal.h"


/* The URL without user info, for messages: https://user:secret@host/x -> https://host/x. */
static char *
shown(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *host;
	char *out;

	if (!scheme)
		return strdup(url);
	host = scheme + 3;
	at = strchr(host, '@');
	if (!at || (strchr(host, '/') && strchr(host, '/') < at))
		return strdup(url);
	if (asprintf(&out, "%.*s%s", (int)(host - url), url, at + 1) < 0)
		return NULL;
	return out;
}

/* libgit2's error as ours, named for what was being done. */
int
dk_gitops__fail(dk_gitops *g, int grc, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	const char *url = g && g->shown_url ? g->shown_url : "the remote";

	if (grc == GIT_EAUTH || (g && g->auth_refused) || strstr(msg, "401") ||
	    strstr(msg, "authentication") || strstr(msg, "Authentication"))
		return dk_error_set(DK_EAUTH, "%s: %s refused the credentials (%s): check the Gitea "
				    "token (or the SSH key) and that its user may read and write "
				    "the repository", what, url, msg);
	if (grc == GIT_ENONFASTFORWARD)
		return dk_error_set(DK_ECONFLICT, "%s: push to %s rejected (non-fast-forward): "
				    "branch %s on the remote has commits this clone does not; "
				    "nothing was forced — run the command again to start from the "
				    "remote's tip", what, url, g ? g->branch : "?");
	if (grc == GIT_ENOTFOUND || strstr(msg, "404"))
		return dk_error_set(DK_ENOTFOUND, "%s: %s: %s", what, url, msg);
	if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSH ||
		  e->klass == GIT_ERROR_HTTP || e->klass == GIT_ERROR_SSL || e->klass == GIT_ERROR_OS))
		return dk_error_set(DK_EIO, "%s: cannot reach %s: %s", what, url, msg);
	return dk_error_set(DK_ERROR, "%s: %s", what, msg);
}

static int
credentials(git_credential **out, const char *url, const char *user_from_url,
	    unsigned int allowed, void *payload)
{
	dk_gitops *g = payload;

	(void)url;
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && g->token && *g->token) {
		/* Asked again: the first answer was refused. */
		if (g->userpass_tries++ > 0) {
			g->auth_refused = true;
			return GIT_EAUTH;
		}
		return git_credential_userpass_plaintext_new(out, g->username && *g->username ?
							     g->username : "diskops", g->token);
	}
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *user = user_from_url && *user_from_url ? user_from_url : "git";

		if (g->ssh_tries++ > 0) {
			g->auth_refused = true;
			return GIT_EAUTH;
		}
		if (g->ssh_key && *g->ssh_key)
			return git_credential_ssh_key_new(out, user, NULL, g->ssh_key, NULL);
		return git_credential_ssh_key_from_agent(out, user);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_from_url && *user_from_url ?
						   user_from_url : "git");
	g->auth_refused = (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0;
	return GIT_PASSTHROUGH;
}

void
dk_gitops__callbacks_init(dk_gitops *g, git_remote_callbacks *cb)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = credentials;
	cb->payload = g;
	g->userpass_tries = g->ssh_tries = 0;
	g->auth_refused = false;
}

static int
mkdirs(const char *path)
{
	char *p = strdup(path);

	if (!p)
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			int err = errno;

			free(p);
			return dk_error_set(DK_EIO, "cannot create %s: %s", path, strerror(err));
		}
		*s = '/';
	}
	free(p);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return dk_error_set(DK_EIO, "cannot create %s: %s", path, strerror(errno));
	return 0;
}

/*
 * The remote is anonymous, built from the URL each time, and the URL is kept only as
 * remote.origin.url: libgit2 1.5 leaks PCRE2 match data on every regexp miss, which
 * named-remote lookups and creation do several times per call.
 */
int
dk_gitops__origin(dk_gitops *g, git_remote **out, const char *what)
{
	git_remote_create_options o;
	int rc;

	/* url.<base>.insteadOf is not applied: its lookup is one of those regexps. */
	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = g->repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(out, g->url, &o);
	return rc < 0 ? dk_gitops__fail(g, rc, what) : 0;
}

/* The repo at dir, or a new one whose origin is url. */
static int
open_or_init(dk_gitops *g)
{
	git_config *cfg = NULL, *snap = NULL;
	const char *had = NULL;
	int rc;

	if (git_repository_open_ext(&g->repo, g->dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0) {
		if ((rc = git_repository_config_snapshot(&snap, g->repo)) < 0)
			return dk_gitops__fail(g, rc, "build repo clone");
		rc = git_config_get_string(&had, snap, "remote.origin.url") == 0 &&
		     strcmp(had, g->url) == 0 ? 0 :
		     dk_error_set(DK_EINVALID, "%s holds a clone of another repository; move it away "
				  "or choose another state dir", g->dir);
		git_config_free(snap);
		return rc;
	}
	if ((rc = mkdirs(g->dir)) < 0)
		return rc;
	if ((rc = git_repository_init(&g->repo, g->dir, 0)) < 0 ||
	    (rc = git_repository_config(&cfg, g->repo)) < 0 ||
	    (rc = git_config_set_string(cfg, "remote.origin.url", g->url)) < 0)
		rc = dk_gitops__fail(g, rc, "build repo clone");
	git_config_free(cfg);
	return rc;
}

static int
fetch(dk_gitops *g)
{
	static char *specs[] = { "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*" };
	git_strarray refspecs = { specs, 2 };
	git_fetch_options opts;
	git_remote *remote = NULL;
	int rc;

	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	dk_gitops__callbacks_init(g, &opts.callbacks);
	/* The remote is the truth: branches and tags it no longer has go here too. */
	opts.prune = GIT_FETCH_PRUNE;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if ((rc = dk_gitops__origin(g, &remote, "fetch")) < 0)
		return rc;
	if ((rc = git_remote_fetch(remote, &refspecs, &opts, NULL)) < 0)
		rc = dk_gitops__fail(g, rc, "fetch");
	git_remote_free(remote);
	return rc;
}

/* No branch given: main, else the only branch the remote has. */
static int
pick_branch(dk_gitops *g)
{
	git_branch_iterator *it = NULL;
	git_reference *ref;
	git_branch_t type;
	char *only = NULL;
	int n = 0;
	git_reference *probe = NULL;

	if (git_reference_lookup(&probe, g->repo, "refs/remotes/origin/main") == 0) {
		git_reference_free(probe);
		g->branch = strdup("main");
		return g->branch ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
	}
	if (git_branch_iterator_new(&it, g->repo, GIT_BRANCH_REMOTE) == 0) {
		while (git_branch_next(&ref, &type, it) == 0) {
			const char *name = git_reference_shorthand(ref);

			if (strncmp(name, "origin/", 7) == 0 && strcmp(name, "origin/HEAD") != 0) {
				n++;
				free(only);
				only = strdup(name + 7);
			}
			git_reference_free(ref);
		}
		git_branch_iterator_free(it);
	}
	if (n == 1) {
		g->branch = only;
		return 0;
	}
	free(only);
	g->branch = strdup("main");
	return g->branch ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
}

/* Local branch := remote branch; index and working tree as its tip. */
static int
sync_branch(dk_gitops *g)
{
	git_checkout_options co;
	git_reference *remote_ref = NULL, *local = NULL;
	git_object *tip = NULL;
	char name[300], local_name[300];
	int rc;

	snprintf(name, sizeof(name), "refs/remotes/origin/%s", g->branch);
	snprintf(local_name, sizeof(local_name), "refs/heads/%s", g->branch);
	g->head[0] = '\0';
	if (git_reference_lookup(&remote_ref, g->repo, name) < 0) {
		/* An empty remote: the branch stays unborn until the first commit. */
		if ((rc = git_repository_set_head(g->repo, local_name)) < 0)
			return dk_gitops__fail(g, rc, "build repo clone");
		return 0;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	if ((rc = git_reference_peel(&tip, remote_ref, GIT_OBJECT_COMMIT)) < 0 ||
	    (rc = git_reference_create(&local, g->repo, local_name, git_object_id(tip), 1,
				       "diskops: follow the remote")) < 0 ||
	    (rc = git_repository_set_head(g->repo, local_name)) < 0 ||
	    (rc = git_reset(g->repo, tip, GIT_RESET_HARD, &co)) < 0) {
		rc = dk_gitops__fail(g, rc, "build repo clone");
		goto done;
	}
	git_oid_tostr(g->head, sizeof(g->head), git_object_id(tip));
done:
	git_object_free(tip);
	git_reference_free(local);
	git_reference_free(remote_ref);
	return rc;
}

/* A handle for the clone in dir, libgit2 initialised; dk_gitops_free undoes both. */
static int
gitops_new(dk_gitops **out, const char *dir)
{
	if (!dir || !*dir)
		return dk_error_set(DK_EINVALID, "no directory for the build repo clone");
	git_libgit2_init();
	if (!(*out = calloc(1, sizeof(**out)))) {
		git_libgit2_shutdown();
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	return 0;
}

int
dk_gitops_open(dk_gitops **out, const char *dir, const dk_gitops_remote *remote)
{
	dk_gitops *g;
	int rc;

	*out = NULL;
	if (!remote || !remote->url || !*remote->url)
		return dk_error_set(DK_EINVALID, "no clone URL for the build repo");
	if ((rc = gitops_new(&g, dir)) < 0)
		return rc;
	g->dir = strdup(dir);
	g->url = strdup(remote->url);
	g->shown_url = shown(remote->url);
	g->username = remote->username ? strdup(remote->username) : NULL;
	g->token = remote->token ? strdup(remote->token) : NULL;
	g->ssh_key = remote->ssh_key ? strdup(remote->ssh_key) : NULL;
	if (!g->dir || !g->url || !g->shown_url || (remote->username && !g->username) ||
	    (remote->token && !g->token) || (remote->ssh_key && !g->ssh_key)) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = open_or_init(g)) < 0 || (rc = fetch(g)) < 0)
		goto done;
	if (remote->branch && *remote->branch) {
		if (!(g->branch = strdup(remote->branch))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
	} else if ((rc = pick_branch(g)) < 0) {
		goto done;
	}
	rc = sync_branch(g);
done:
	if (rc < 0)
		dk_gitops_free(g);
	else
		*out = g;
	return rc;
}

int
dk_gitops_open_local(dk_gitops **out, const char *dir)
{
	git_config *snap = NULL;
	git_reference *head = NULL;
	const char *url = NULL;
	dk_gitops *g;
	int rc;

	*out = NULL;
	if ((rc = gitops_new(&g, dir)) < 0)
		return rc;
	if (git_repository_open_ext(&g->repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		rc = dk_error_set(DK_ENOTFOUND, "no clone of the build repo in %s", dir);
		goto done;
	}
	/* The URL only names the repo in messages: nothing is fetched. */
	if (git_repository_config_snapshot(&snap, g->repo) == 0)
		git_config_get_string(&url, snap, "remote.origin.url");
	g->dir = strdup(dir);
	g->url = strdup(url ? url : dir);
	g->shown_url = shown(g->url ? g->url : dir);
	if (git_repository_head(&head, g->repo) == 0) {
		const git_oid *oid = git_reference_target(head);

		g->branch = strdup(git_reference_shorthand(head));
		if (oid)
			git_oid_tostr(g->head, sizeof(g->head), oid);
	} else {
		g->branch = strdup("main");
	}
	rc = g->dir && g->url && g->shown_url && g->branch ? 0
		: dk_error_set(DK_ENOMEM, "out of memory");
done:
	git_reference_free(head);
	git_config_free(snap);
	if (rc < 0)
		dk_gitops_free(g);
	else
		*out = g;
	return rc;
}

void
dk_gitops_free(dk_gitops *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->dir);
	free(g->url);
	free(g->shown_url);
	free(g->branch);
	free(g->rejected);
	free(g->username);
	free(g->ssh_key);
	if (g->token) {
		OPENSSL_cleanse(g->token, strlen(g->token));
		free(g->token);
	}
	free(g);
	git_libgit2_shutdown();
}

const char *
dk_gitops_branch(const dk_gitops *g)
{
	return g->branch;
}

const char *
dk_gitops_head(const dk_gitops *g)
{
	return g->head;
}

const char *
dk_gitops_workdir(const dk_gitops *g)
{
	return g->dir;
}

char *
dk_gitops_clone_dir(const char *state_dir, const char *owner, const char *repo)
{
	char *out;

	if (asprintf(&out, "%s/gitops/%s/%s", state_dir, owner, repo) < 0)
		return NULL;
	return out;
}

/* --- the template --- */

static int
plain_word(const char *what, const char *s)
{
	if (!s)
		return 0;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("._-,", *p))
			return dk_error_set(DK_EINVALID, "%s \"%s\": only letters, digits, '.', '_', "
					    "'-' and ',' go into the workflow template", what, s);
	}
	return 0;
}

static int
write_file(dk_gitops *g, git_index *index, const char *rel, const char *text, int mode,
	   bool force, int *written)
{
	char *path = NULL, *dir = NULL, *slash;
	struct stat st;
	FILE *f;
	int rc = 0;

	if (asprintf(&path, "%s/%s", g->dir, rel) < 0)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if (!force && stat(path, &st) == 0)
		goto done;
	if (!(dir = strdup(path))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if ((rc = mkdirs(dir)) < 0)
			goto done;
	}
	if (!(f = fopen(path, "w"))) {
		rc = dk_error_set(DK_EIO, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	if (fputs(text, f) == EOF || fclose(f) != 0) {
		rc = dk_error_set(DK_EIO, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		rc = dk_error_set(DK_EIO, "cannot chmod %s: %s", path, strerror(errno));
		goto done;
	}
	if ((rc = git_index_add_bypath(index, rel)) < 0) {
		rc = dk_gitops__fail(g, rc, "stage the template");
		goto done;
	}
	(*written)++;
done:
	free(path);
	free(dir);
	return rc;
}

int
dk_gitops_write_template(dk_gitops *g, int *written, const dk_gitops_template *t, bool force)
{
	char *workflow = NULL, *script = NULL;
	git_index *index = NULL;
	int n = 0, rc;

	if (written)
		*written = 0;
	if (t && ((rc = plain_word("platform", t->platform)) < 0 ||
		  (rc = plain_word("arch", t->arch)) < 0 || (rc = plain_word("labels", t->labels)) < 0))
		return rc;
	workflow = dk_gitops_workflow_text(t);
	script = dk_gitops_build_script_text(t);
	if (!workflow || !script) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = git_repository_index(&index, g->repo)) < 0) {
		rc = dk_gitops__fail(g, rc, "stage the template");
		goto done;
	}
	if ((rc = write_file(g, index, DK_GITOPS_WORKFLOW_PATH, workflow, 0644, force, &n)) < 0 ||
	    (rc = write_file(g, index, DK_GITOPS_BUILD_SCRIPT, script, 0755, force, &n)) < 0)
		goto done;
	if ((rc = git_index_write(index)) < 0)
		rc = dk_gitops__fail(g, rc, "stage the template");
	if (written)
		*written = n;
done:
	git_index_free(index);
	free(workflow);
	free(script);
	return rc;
}

/* --- authors --- */

int
dk_gitops_author_parse(dk_gitops_author *out, char *buf, size_t bufsize, const char *text)
{
	const char *lt, *gt;
	size_t name_len;

	memset(out, 0, sizeof(*out));
	if (!text || !(lt = strchr(text, '<')) || !(gt = strchr(lt, '>')) || gt[1] != '\0' ||
	    gt == lt + 1)
		return dk_error_set(DK_EINVALID, "author \"%s\" is not \"Name <email>\"",
				    text ? text : "");
	name_len = (size_t)(lt - text);
	while (name_len > 0 && text[name_len - 1] == ' ')
		name_len--;
	if (name_len == 0)
		return dk_error_set(DK_EINVALID, "author \"%s\" has no name before <email>", text);
	if (name_len + (size_t)(gt - lt) + 2 > bufsize)
		return dk_error_set(DK_EINVALID, "author \"%s\" is too long", text);
	for (const char *p = text; *p; p++) {
		if ((unsigned char)*p < 0x20)
			return dk_error_set(DK_EINVALID, "author must not contain control characters");
	}
	memcpy(buf, text, name_len);
	buf[name_len] = '\0';
	memcpy(buf + name_len + 1, lt + 1, (size_t)(gt - lt - 1));
	buf[name_len + 1 + (size_t)(gt - lt - 1)] = '\0';
	out->name = buf;
	out->email = buf + name_len + 1;
	return 0;
}

int
dk_gitops_author_default(dk_gitops_author *out, char *buf, size_t bufsize,
			 const char *configured)
{
	const char *user = getenv("USER");
	char host[256] = "localhost", text[600];

	if (configured && *configured)
		return dk_gitops_author_parse(out, buf, bufsize, configured);
	if (!user || !*user)
		user = getenv("LOGNAME");
	if (!user || !*user)
		user = "diskops";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(text, sizeof(text), "%s <%s@%s>", user, user, host);
	return dk_gitops_author_parse(out, buf, bufsize, text);
}

/* --- commit, push --- */

int
dk_gitops__signature(git_signature **out, const dk_gitops_author *a)
{
	if (!a || !a->name || !*a->name || !a->email || !*a->email)
		return dk_error_set(DK_EINVALID, "a commit needs an author name and email");
	if (git_signature_new(out, a->name, a->email, (git_time_t)dk_clock_now(), 0) < 0)
		return dk_error_set(DK_EINVALID, "author \"%s <%s>\": %s", a->name, a->email,
				    git_error_last() ? git_error_last()->message : "invalid");
	return 0;
}

int
dk_gitops_commit(dk_gitops *g, char *sha, const char *message, const dk_gitops_author *author)
{
	git_signature *sig = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_object *head = NULL;
	git_oid tree_id, commit_id;
	int rc;

	if (sha)
		sha[0] = '\0';
	if ((rc = dk_gitops__signature(&sig, author)) < 0)
		return rc;
	/* Forced: what another process staged in the same second has the same size. */
	if ((rc = git_repository_index(&index, g->repo)) < 0 ||
	    (rc = git_index_read(index, 1)) < 0 ||
	    (rc = git_index_write_tree(&tree_id, index)) < 0 ||
	    (rc = git_tree_lookup(&tree, g->repo, &tree_id)) < 0) {
		rc = dk_gitops__fail(g, rc, "commit");
		goto done;
	}
	if (git_revparse_single(&head, g->repo, "HEAD^{commit}") == 0) {
		parent = (git_commit *)head;
		head = NULL;
		if (git_oid_equal(git_commit_tree_id(parent), &tree_id))
			goto done;              /* nothing changed */
	}
	if ((rc = git_commit_create(&commit_id, g->repo, "HEAD", sig, sig, NULL, message, tree,
				    parent ? 1 : 0, (const git_commit **)&parent)) < 0) {
		rc = dk_gitops__fail(g, rc, "commit");
		goto done;
	}
	git_oid_tostr(g->head, sizeof(g->head), &commit_id);
	if (sha)
		memcpy(sha, g->head, 41);
done:
	git_object_free(head);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(index);
	git_signature_free(sig);
	return rc;
}

static int
push_status(const char *refname, const char *status, void *payload)
{
	dk_gitops *g = payload;

	if (status && !g->rejected && asprintf(&g->rejected, "%s: %s", refname, status) < 0)
		g->rejected = NULL;
	return 0;
}

int
dk_gitops__push_refspec(dk_gitops *g, const char *spec, const char *what)
{
	git_push_options opts;
	git_remote *remote = NULL;
	char *specs[] = { (char *)spec };
	git_strarray refspecs = { specs, 1 };
	int rc;

	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	dk_gitops__callbacks_init(g, &opts.callbacks);
	opts.callbacks.push_update_reference = push_status;
	free(g->rejected);
	g->rejected = NULL;
	if ((rc = dk_gitops__origin(g, &remote, what)) < 0)
		goto done;
	if ((rc = git_remote_push(remote, &refspecs, &opts)) < 0) {
		rc = dk_gitops__fail(g, rc, what);
		goto done;
	}
	if (g->rejected) {
		/* The server's own refusal: a branch that moved, or a hook that said no. */
		if (strstr(g->rejected, "fast-forward") || strstr(g->rejected, "fetch first"))
			rc = dk_error_set(DK_ECONFLICT, "%s: push to %s rejected (non-fast-forward): "
					  "branch %s on the remote has commits this clone does "
					  "not; nothing was forced — run the command again to start "
					  "from the remote's tip", what, g->shown_url, g->branch);
		else
			rc = dk_error_set(DK_ECONFLICT, "%s: %s rejected %s", what, g->shown_url,
					  g->rejected);
	}
done:
	git_remote_free(remote);
	return rc;
}

int
dk_gitops_push(dk_gitops *g)
{
	char spec[600];

	if (!g->head[0])
		return dk_error_set(DK_ESTATE, "nothing to push: branch %s has no commit", g->branch);
	snprintf(spec, sizeof(spec), "refs/heads/%s:refs/heads/%s", g->branch, g->branch);
	return dk_gitops__push_refspec(g, spec, "push");
}
