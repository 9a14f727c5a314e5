#ifndef DISKOPS_BOOTSTRAP_H
#define DISKOPS_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#include "diskops/gitea.h"
#include "diskops/gitops.h"
#include "diskops/secret.h"
#include "diskops/store.h"

/*
 * `diskops bootstrap` (DESIGN §7): everything a Gitea repo needs to build and announce a
 * platform's disk image, idempotent on the label.
 *
 * Unlike the original (powernode-behaviour.md §14.1), nothing is rotated before the
 * Gitea side is known to work: the credential (GET /user), the repo (created when
 * missing), the caller's right to set secrets, variables and runners (repo owner, org
 * owner or site admin), a revoked webhook of that label, and with commit_workflow the
 * clone. Only then are the webhook secret and the CI worker token rotated (or created)
 * and handed to Gitea as Actions secrets; later steps report their own errors and do
 * not stop the others.
 */

typedef struct {
	const char *owner, *repo, *label;       /* required */
	const char *gitea_url;                  /* the instance, for act_runner register */
	const char *gitea_token;                /* for the git push of the workflow */
	const char *api_base;                   /* POWERNODE_API_BASE, base of the webhook URL */
	const char *platform;                   /* optional: build_repo, variables, template */
	const char *registry;                   /* POWERNODE_OCI_REGISTRY (NULL: not set) */
	const char *runner_labels;              /* default disk-image-builder,<arch> */
	bool read_token;                        /* mint PLATFORM_READ_TOKEN */
	const char *gitea_password;             /* Gitea wants the password to mint tokens */
	bool commit_workflow;
	bool force;                             /* rewrite the workflow and build.sh */
	const char *state_dir;                  /* for the build repo clone */
	const char *clone_url, *ssh_key;        /* override Gitea's clone URL */
	const dk_gitops_author *author;
	const char *actor;                      /* for events */
	/* Called once the checks passed and before anything is rotated, with what will
	 * be; non-zero stops there (nothing changed). May be NULL. */
	int (*confirm)(void *payload, const char *what);
	void *confirm_payload;
} dk_bootstrap_opts;

typedef struct {
	char *name;             /* "gitea credential", "secret POWERNODE_API_BASE", ... */
	char *status;           /* ok | created | rotated | skipped | error: <message> */
	char *detail;           /* may be NULL */
} dk_bootstrap_step;

typedef struct {
	dk_bootstrap_step *steps;
	size_t nsteps;
	bool failed;                    /* some step's status is error */
	char *login;                    /* the Gitea user */
	char *webhook_id, *webhook_url, *webhook_action;
	char *worker_id, *worker_action;
	/* Shown once, then gone: the caller prints and frees them. */
	char *webhook_secret, *worker_token, *registration_token;
	char *runner_command;           /* act_runner register ... (holds the token) */
	char *workflow_commit;          /* the commit that added the workflow, or NULL */
	char *read_token_name;
} dk_bootstrap_result;

/*
 * Runs the bootstrap. Returns 0 when the checks passed (then `*out` says how each step
 * went; `failed` when one did not), or the error that stopped it before anything was
 * rotated: DK_EIO Gitea down, DK_EAUTH bad token or not the repo owner, DK_ENOTFOUND the
 * repo neither exists nor can be created, DK_ESTATE a revoked webhook, DK_ERROR a reply
 * that is not Gitea's JSON. `*out` is set in both cases (the steps so far).
 */
int dk_bootstrap(dk_bootstrap_result **out, dk_store *store, dk_secret_box *box, dk_gitea *g,
		 const char *account_id, const dk_bootstrap_opts *opts);
void dk_bootstrap_result_free(dk_bootstrap_result *r);

/* The checks alone (credential, repo, owner rights), steps appended to `r`; changes
 * nothing: a missing repo is DK_ENOTFOUND here. */
int dk_bootstrap_check(dk_bootstrap_result *r, dk_gitea *g, const char *owner, const char *repo);

/*
 * Sets the four webhook secrets of a repo (POWERNODE_DISK_IMAGE_WEBHOOK_URL, _SECRET,
 * POWERNODE_API_BASE) for `webhook create --set-gitea-secrets`; steps appended to `r`.
 * `worker_token` NULL leaves POWERNODE_CI_WORKER_TOKEN alone.
 */
int dk_bootstrap_set_secrets(dk_bootstrap_result *r, dk_gitea *g, const char *owner,
			     const char *repo, const char *webhook_url, const char *webhook_secret,
			     const char *worker_token, const char *api_base);

#endif
