#ifndef DISKOPS_GITOPS_H
#define DISKOPS_GITOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The platform's build repo as git (libgit2): a private clone in the state dir, kept as
 * a mirror of one remote branch. The remote is the truth: every open fetches and moves
 * the local branch to the remote tip, so a commit or tag made here always starts from
 * what Gitea has. Used for the workflow template (bootstrap --commit-workflow), the tag
 * push that triggers a build (`diskops trigger`) and the commits between two
 * publications (the console's rollback dialog).
 *
 * Remotes: https:// and http:// with the Gitea token as the password of the token's
 * user (Gitea takes a token as the Basic password, for git as for the API); ssh:// and
 * scp-like user@host:path with the ssh-agent or a key file; file:// and plain paths.
 * Secrets never appear in a message: a URL is shown without its user info.
 */

typedef struct dk_gitops dk_gitops;

typedef struct {
	const char *url;                /* clone URL */
	const char *username;           /* HTTPS: the token's user (Gitea login) */
	const char *token;              /* HTTPS: the Gitea token, sent as the password */
	const char *ssh_key;            /* SSH: private key file; NULL uses the ssh-agent */
	const char *branch;             /* NULL: the remote's default branch, else "main" */
} dk_gitops_remote;

/*
 * Clones `url` into `dir` when `dir` holds no repository, else opens it and fetches.
 * The local branch is then set to the remote branch's tip (an empty remote gives an
 * unborn branch). DK_EAUTH when the credentials are refused, DK_EIO when the remote
 * cannot be reached, DK_EINVALID when `dir` holds a clone of another remote.
 */
int dk_gitops_open(dk_gitops **out, const char *dir, const dk_gitops_remote *remote);
void dk_gitops_free(dk_gitops *g);
/*
 * Opens the clone in `dir` as it is, without a fetch (no network): for reading history a
 * fetch brought earlier, e.g. the console's rollback dialog. DK_ENOTFOUND when `dir`
 * holds no repository. Commits made through it are not pushed anywhere by themselves.
 */
int dk_gitops_open_local(dk_gitops **out, const char *dir);

/* The branch in use and its tip (40 hex; "" while the branch is unborn). */
const char *dk_gitops_branch(const dk_gitops *g);
const char *dk_gitops_head(const dk_gitops *g);
/* The working tree: <dir>. */
const char *dk_gitops_workdir(const dk_gitops *g);

#define DK_GITOPS_WORKFLOW_PATH ".gitea/workflows/build-disk-image.yml"
#define DK_GITOPS_BUILD_SCRIPT "build.sh"

typedef struct {
	const char *platform;           /* the NodePlatform the webhook names (default input) */
	const char *arch;               /* amd64 | arm64 (default amd64) */
	const char *labels;             /* runs-on labels, comma-separated
					 * (default disk-image-builder,amd64) */
	int timeout_minutes;            /* the job's timeout-minutes (default 90) */
} dk_gitops_template;

/* The template texts (caller frees). */
char *dk_gitops_workflow_text(const dk_gitops_template *t);
char *dk_gitops_build_script_text(const dk_gitops_template *t);

/*
 * Writes the workflow and build.sh into the working tree where they are absent (an
 * existing file is the operator's and is left alone, unless `force`) and stages them.
 * `written` (may be NULL) receives how many files were written.
 */
int dk_gitops_write_template(dk_gitops *g, int *written, const dk_gitops_template *t,
			     bool force);

typedef struct {
	const char *name, *email;
} dk_gitops_author;

/*
 * Fills the default author: `configured` ("Name <email>", may be NULL or empty), else
 * the Unix user (its GECOS name, user@host). The strings live in `buf`.
 */
int dk_gitops_author_default(dk_gitops_author *out, char *buf, size_t bufsize,
			     const char *configured);
/* Parses "Name <email>"; DK_EINVALID otherwise. The strings live in `buf`. */
int dk_gitops_author_parse(dk_gitops_author *out, char *buf, size_t bufsize, const char *text);

/*
 * Commits what is staged on the branch. `sha` (41 bytes, may be NULL) receives the new
 * commit; when nothing changed no commit is made, *sha is "" and 0 is returned.
 */
int dk_gitops_commit(dk_gitops *g, char *sha, const char *message, const dk_gitops_author *author);

/*
 * Pushes the branch. A push the remote refuses because the branch moved
 * (non-fast-forward) is DK_ECONFLICT with a message saying so; nothing is forced.
 */
int dk_gitops_push(dk_gitops *g);

/* True for "system-disk-image/vX.Y.Z" with an optional -prerelease (letters, digits, dots,
 * hyphens). DK_EINVALID with the reason otherwise. */
int dk_gitops_tag_valid(const char *tag);

/*
 * Creates the annotated tag `tag` on `target` (a sha or NULL for the branch tip) and
 * pushes refs/tags/<tag>: the push trigger of the build workflow. DK_ECONFLICT when the
 * tag exists on the remote already (tags are never moved). `sha` (41 bytes, may be NULL)
 * receives the commit tagged.
 */
int dk_gitops_tag_push(dk_gitops *g, char *sha, const char *tag, const char *target,
		       const char *message, const dk_gitops_author *tagger);

typedef struct {
	char sha[41];
	char *subject;
	char *author_name, *author_email;
	int64_t time;                   /* author time, unix seconds */
} dk_gitops_commit_info;

typedef struct {
	dk_gitops_commit_info *items;
	size_t count;
	bool backwards;                 /* `to` is behind `from`: these commits are undone */
	bool truncated;                 /* more than the maximum (500) lay between */
} dk_gitops_commit_list;

/*
 * The commits between two shas (full or abbreviated), newest first: those `to` has and
 * `from` lacks; when `to` is an ancestor of `from` (a rollback), those `from` has and
 * `to` lacks, with `backwards` set. DK_ENOTFOUND names a sha the repo does not have.
 */
int dk_gitops_log(dk_gitops_commit_list **out, dk_gitops *g, const char *from_sha,
		  const char *to_sha);
void dk_gitops_commit_list_free(dk_gitops_commit_list *l);

typedef struct {
	char *name;
	char *description, *default_value, *type;       /* NULL when not given */
	bool required;
} dk_gitops_input;

typedef struct {
	dk_gitops_input *items;         /* in the file's order */
	size_t count;
} dk_gitops_input_list;

/*
 * The inputs a workflow file declares under `on: workflow_dispatch: inputs:` (none is an
 * empty list). DK_EINVALID when the workflow has no workflow_dispatch trigger, which
 * Gitea would refuse to dispatch.
 */
int dk_gitops_workflow_inputs(dk_gitops_input_list **out, const char *workflow_text);
void dk_gitops_input_list_free(dk_gitops_input_list *l);

/* "<state_dir>/gitops/<owner>/<repo>" (caller frees). */
char *dk_gitops_clone_dir(const char *state_dir, const char *owner, const char *repo);

struct dk_gitea;

/*
 * The Gitea repo owner/repo's clone in <state_dir>/gitops/<owner>/<repo>: its clone URL
 * and default branch come from Gitea (GET /repos), the HTTPS credentials are the
 * token's user (GET /user) and the token. `clone_url` (may be NULL) overrides the URL,
 * e.g. an ssh:// one with `ssh_key` (NULL: the ssh-agent).
 */
int dk_gitops_open_gitea(dk_gitops **out, struct dk_gitea *gitea, const char *token,
			 const char *state_dir, const char *owner, const char *repo,
			 const char *clone_url, const char *ssh_key);

#endif
