#ifndef DISKOPS_GITOPS_INTERNAL_H
#define DISKOPS_GITOPS_INTERNAL_H

/* Shared by core/gitops.c (the clone, commits, push) and core/gitops_history.c (tags and
 * the commit log). */

#include <stdbool.h>

#include <git2.h>

#include "diskops/gitops.h"

struct dk_gitops {
	git_repository *repo;
	char *dir, *url, *shown_url, *branch;
	char head[41];
	char *username, *token, *ssh_key;               /* wiped on free */
	int userpass_tries, ssh_tries;
	bool auth_refused;
	char *rejected;                                 /* a ref the remote refused, and why */
};

/* libgit2's error as ours, named for what was being done. */
int dk_gitops__fail(dk_gitops *g, int grc, const char *what);
/* The remote, anonymous (see core/gitops.c). */
int dk_gitops__origin(dk_gitops *g, git_remote **out, const char *what);
void dk_gitops__callbacks_init(dk_gitops *g, git_remote_callbacks *cb);
/* Pushes one refspec; a refusal by the remote is a clear DK_ECONFLICT. */
int dk_gitops__push_refspec(dk_gitops *g, const char *spec, const char *what);
int dk_gitops__signature(git_signature **out, const dk_gitops_author *a);

#endif
