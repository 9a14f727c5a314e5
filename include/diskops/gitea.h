#ifndef DISKOPS_GITEA_H
#define DISKOPS_GITEA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Gitea API client (REST v1, libcurl + jansson) for the build pipeline: repos, contents,
 * workflows and dispatch, runs, jobs, job logs read incrementally with Range, secrets,
 * variables, runners, access tokens. See shared/reference/gitea-api.md.
 *
 * The server version is probed once per client (GET /api/v1/version) and gates what the
 * client does: runs and jobs need 1.25; 1.26 gives the run id from a dispatch (older
 * servers: the run is found by polling the runs list); cancel exists only from 1.28.
 *
 * Errors carry Gitea's status and message (dk_gitea_last_status): connection failures
 * DK_EIO, 401 DK_EAUTH ("bad token"), 403 DK_EAUTH (secrets, variables and runners need
 * the repo owner, an org owner or a site admin), 404 DK_ENOTFOUND naming what was
 * missing, 409 DK_ECONFLICT, 400/422 DK_EINVALID with Gitea's message, a reply that is
 * not the JSON expected DK_ERROR. The token never appears in a message or a log line.
 *
 * A dk_gitea handle (one libcurl connection) is used by one thread at a time; a poller
 * thread opens its own. Calls block; per-request timeout 30 s (dk_gitea_set_timeout).
 */

typedef struct dk_gitea dk_gitea;

/* `url` is the Gitea root (https://git.example.com or .../sub); a trailing /api/v1 is
 * accepted. Nothing is sent until the first call. */
int dk_gitea_open(dk_gitea **out, const char *url, const char *token);
void dk_gitea_free(dk_gitea *g);

/* The HTTP status of the last reply (0 when no reply arrived) and Gitea's message. */
long dk_gitea_last_status(const dk_gitea *g);
const char *dk_gitea_last_message(const dk_gitea *g);

/* Per-request timeout in milliseconds (default 30000); 0 means none. */
void dk_gitea_set_timeout(dk_gitea *g, long timeout_ms);

typedef struct {
	int major, minor, patch;
	char text[32];          /* as the server said it: "1.27.0", "1.26.4+dev-12-gabc" */
} dk_gitea_version;

/* The server version, probed once per client and cached. */
int dk_gitea_server_version(dk_gitea *g, dk_gitea_version *out);

typedef enum {
	DK_GITEA_RUNS_API = 0,          /* runs and jobs lists, job get: 1.25 */
	DK_GITEA_RUN_DETAILS,           /* dispatch returns the run id: 1.26 */
	DK_GITEA_RERUN,                 /* rerun a run: 1.26 */
	DK_GITEA_REGISTRATION_POST,     /* POST runner registration token: 1.24 */
	DK_GITEA_CANCEL,                /* cancel a run: 1.28 */
	DK_GITEA_LIST_HEADERS,          /* Link/X-Total-Count on runs and jobs: 1.27 */
} dk_gitea_feature;

/* Probes the version when needed; false when the probe fails (see dk_error_last). */
bool dk_gitea_has(dk_gitea *g, dk_gitea_feature f);
/* The release that added a feature, "1.25" etc., for messages. */
const char *dk_gitea_feature_since(dk_gitea_feature f);

/* The authenticated user's login (GET /user); also the cheapest check of a token. */
int dk_gitea_whoami(dk_gitea *g, char **out);

/* --- repositories and contents --- */

typedef struct {
	int64_t id;
	char *owner, *name, *full_name, *default_branch, *clone_url, *html_url, *description;
	bool private, empty, archived, has_actions;
	bool can_admin, can_push, can_pull;
} dk_gitea_repo;

int dk_gitea_repo_get(dk_gitea *g, dk_gitea_repo **out, const char *owner, const char *repo);

typedef struct {
	const char *name;               /* required */
	const char *description;
	const char *default_branch;     /* default "main" */
	bool private;
	bool auto_init;                 /* a first commit, so the branch exists */
} dk_gitea_repo_spec;

/*
 * Creates the repo under `owner`: the authenticated user's own (POST /user/repos) when
 * owner is NULL or the caller's login, else the organization's (POST /orgs/{org}/repos).
 * DK_ECONFLICT when the name is taken.
 */
int dk_gitea_repo_create(dk_gitea *g, dk_gitea_repo **out, const char *owner,
			 const dk_gitea_repo_spec *spec);
void dk_gitea_repo_free(dk_gitea_repo *r);

/* Turns the Actions unit on (PATCH has_actions) when a repo has it off. */
int dk_gitea_repo_enable_actions(dk_gitea *g, const char *owner, const char *repo);

typedef struct {
	char *path, *sha;               /* sha: the blob sha PUT needs */
	unsigned char *data;            /* decoded content, NUL-terminated for convenience */
	size_t size;
} dk_gitea_content;

/* One file at `ref` (NULL: the default branch). DK_ENOTFOUND when it does not exist. */
int dk_gitea_content_get(dk_gitea *g, dk_gitea_content **out, const char *owner,
			 const char *repo, const char *path, const char *ref);
void dk_gitea_content_free(dk_gitea_content *c);

typedef struct {
	const char *message;            /* commit message */
	const char *branch;             /* NULL: the default branch */
	const char *sha;                /* blob sha of the file being replaced; NULL creates */
	const char *author_name, *author_email;
} dk_gitea_commit_opts;

/*
 * Creates (POST, no sha) or updates (PUT with the blob sha) one file as one commit.
 * `commit_sha` (may be NULL) receives the new commit, which becomes head_sha of a run
 * that commit starts. DK_ECONFLICT when the sha is stale.
 */
int dk_gitea_content_put(dk_gitea *g, char **commit_sha, const char *owner, const char *repo,
			 const char *path, const void *data, size_t len,
			 const dk_gitea_commit_opts *opts);

/* --- workflows and runs --- */

typedef struct {
	char *id;                       /* the file name: what dispatch takes */
	char *name, *path, *state, *html_url;
} dk_gitea_workflow;

typedef struct {
	dk_gitea_workflow *items;
	size_t count;
} dk_gitea_workflow_list;

int dk_gitea_workflow_list_get(dk_gitea *g, dk_gitea_workflow_list **out, const char *owner,
			       const char *repo);
void dk_gitea_workflow_list_free(dk_gitea_workflow_list *l);

typedef struct {
	int64_t id;                     /* what every run call takes; not run_number */
	int64_t run_number, run_attempt;
	char *path;                     /* "<file>@<ref>" */
	char *event, *display_title, *head_branch, *head_sha, *actor;
	char *status;                   /* queued, waiting, in_progress, completed, ... */
	char *conclusion;               /* "" until completed */
	char *url, *html_url;
	int64_t started_at, completed_at; /* unix seconds, 0 when not set */
} dk_gitea_run;

typedef struct {
	dk_gitea_run *items;
	size_t count;
	int64_t total_count;            /* what the server said matched */
} dk_gitea_run_list;

/* A run or job is finished when, and only when, its status is "completed". */
bool dk_gitea_status_done(const char *status);

typedef struct {
	const char *event;              /* workflow_dispatch, push, ... */
	const char *branch;
	const char *const *status;      /* NULL-terminated words, any of them matches */
	const char *actor;
	const char *head_sha;
	size_t max;                     /* at most this many runs (0: 50); pages of 50 */
} dk_gitea_run_filter;

/* Newest first. Needs Gitea 1.25. */
int dk_gitea_run_list_get(dk_gitea *g, dk_gitea_run_list **out, const char *owner,
			  const char *repo, const dk_gitea_run_filter *filter);
int dk_gitea_run_get(dk_gitea *g, dk_gitea_run **out, const char *owner, const char *repo,
		     int64_t run_id);
void dk_gitea_run_free(dk_gitea_run *r);
void dk_gitea_run_list_free(dk_gitea_run_list *l);

typedef struct {
	const char *ref;                /* "refs/heads/main" (default), "refs/tags/X" or a branch */
	const char *const *inputs;      /* NULL-terminated "key=value" strings */
	int find_timeout_ms;            /* < 1.26: how long to look for the run (default 15000) */
} dk_gitea_dispatch_opts;

typedef struct {
	int64_t run_id;                 /* 0 when the run could not be identified */
	char *run_url, *html_url;
	bool found_by_polling;          /* < 1.26: found in the runs list, not returned */
} dk_gitea_dispatch_result;

/*
 * Dispatches a workflow (`workflow` is the file name or a path ending in it). On 1.26+
 * the run id comes back (?return_run_details=true); before, the newest workflow_dispatch
 * run of that file and branch with an id above the newest before dispatching is taken.
 * DK_EINVALID (Gitea's 422) when the workflow has no workflow_dispatch trigger.
 */
int dk_gitea_dispatch(dk_gitea *g, dk_gitea_dispatch_result **out, const char *owner,
		      const char *repo, const char *workflow, const dk_gitea_dispatch_opts *opts);
void dk_gitea_dispatch_result_free(dk_gitea_dispatch_result *r);

/* Reruns a finished run (1.26+). */
int dk_gitea_run_rerun(dk_gitea *g, const char *owner, const char *repo, int64_t run_id);

/* Cancel exists only from Gitea 1.28; before that this says so (DK_EINVALID) and sends
 * nothing, rather than pretending (DELETE only removes finished runs). */
int dk_gitea_run_cancel(dk_gitea *g, const char *owner, const char *repo, int64_t run_id);

/* --- jobs and logs --- */

typedef struct {
	char *name;
	int64_t number;                 /* 0-based */
	char *status, *conclusion;
	int64_t started_at, completed_at;
} dk_gitea_step;

typedef struct {
	int64_t id, run_id, runner_id, run_attempt;
	char *name, *status, *conclusion, *head_sha, *head_branch, *runner_name, *html_url;
	char **labels;
	size_t nlabels;
	int64_t created_at, started_at, completed_at;
	dk_gitea_step *steps;
	size_t nsteps;
} dk_gitea_job;

typedef struct {
	dk_gitea_job *items;
	size_t count;
	int64_t total_count;
} dk_gitea_job_list;

int dk_gitea_job_list_get(dk_gitea *g, dk_gitea_job_list **out, const char *owner,
			  const char *repo, int64_t run_id);
int dk_gitea_job_get(dk_gitea *g, dk_gitea_job **out, const char *owner, const char *repo,
		     int64_t job_id);
void dk_gitea_job_free(dk_gitea_job *j);
void dk_gitea_job_list_free(dk_gitea_job_list *l);

typedef enum {
	DK_GITEA_LOG_DATA = 0,          /* new bytes in data/len */
	DK_GITEA_LOG_NOTHING_NEW,       /* 416 at our offset: the job has not written more */
	DK_GITEA_LOG_NOT_STARTED,       /* no runner has picked the job up yet */
	DK_GITEA_LOG_EXPIRED,           /* logs cleaned up (LOG_RETENTION_DAYS) */
	DK_GITEA_LOG_SHRUNK,            /* the log is now shorter than our offset */
} dk_gitea_log_state;

typedef struct {
	dk_gitea_log_state state;
	char *data;                     /* DATA: the new bytes (NUL-terminated) */
	size_t len;
	uint64_t next_offset;           /* where the next read starts */
	int64_t size;                   /* the whole log's size when the server said, else -1 */
} dk_gitea_log_chunk;

/*
 * Reads a job log from byte `offset` (Range: bytes=N-; 206, 416 handled; a server
 * that ignores Range is handled too). A job not started, expired logs and a log that
 * shrank are states, not errors; an unknown job is DK_ENOTFOUND.
 */
int dk_gitea_job_log_read(dk_gitea *g, dk_gitea_log_chunk **out, const char *owner,
			  const char *repo, int64_t job_id, uint64_t offset);
void dk_gitea_log_chunk_free(dk_gitea_log_chunk *c);

typedef struct {
	int interval_ms;                /* poll while data flows (default 1000) */
	int max_interval_ms;            /* backoff ceiling when nothing new (default 8000) */
	/* New bytes, in order. Return non-zero to stop following. */
	int (*on_data)(const char *data, size_t len, void *payload);
	/* State changes worth telling the operator (not started, shrunk, expired); `offset`
	 * is how far the log had been read when it happened, `size` the log's size or -1. */
	void (*on_state)(dk_gitea_log_state state, uint64_t offset, int64_t size, void *payload);
	void *payload;
} dk_gitea_follow_opts;

/*
 * Follows a job log until the job completes and its last bytes are read: Range polling
 * every interval while it runs, backing off when nothing new arrives. `job_out` (may be
 * NULL) receives the finished job (its conclusion says how it ended). Expired logs end
 * the follow with DK_ENOTFOUND after on_state.
 */
int dk_gitea_job_log_follow(dk_gitea *g, dk_gitea_job **job_out, const char *owner,
			    const char *repo, int64_t job_id, uint64_t offset,
			    const dk_gitea_follow_opts *opts);

/* --- secrets, variables --- */

/* Creates or replaces a repo Actions secret; `created` (may be NULL) tells which.
 * The value is sent once, over the connection only; it is never logged. */
int dk_gitea_secret_set(dk_gitea *g, bool *created, const char *owner, const char *repo,
			const char *name, const char *value, const char *description);
int dk_gitea_secret_delete(dk_gitea *g, const char *owner, const char *repo, const char *name);

typedef struct {
	char *name, *description;
	int64_t created_at;
} dk_gitea_secret;

typedef struct {
	dk_gitea_secret *items;
	size_t count;
} dk_gitea_secret_list;

/* Names only: Gitea never returns values. Every page is fetched. */
int dk_gitea_secret_list_get(dk_gitea *g, dk_gitea_secret_list **out, const char *owner,
			     const char *repo);
void dk_gitea_secret_list_free(dk_gitea_secret_list *l);

/* Creates a repo Actions variable (POST) or, when it exists (409), updates it (PUT). */
int dk_gitea_variable_set(dk_gitea *g, bool *created, const char *owner, const char *repo,
			  const char *name, const char *value);
/* The value of one variable; DK_ENOTFOUND when it does not exist. */
int dk_gitea_variable_get(dk_gitea *g, char **out, const char *owner, const char *repo,
			  const char *name);

/* --- runners and tokens --- */

typedef struct {
	int64_t id;
	char *name, *status;            /* online | offline */
	bool busy, disabled, ephemeral;
	char **labels;
	size_t nlabels;
} dk_gitea_runner;

typedef struct {
	dk_gitea_runner *items;
	size_t count;
} dk_gitea_runner_list;

int dk_gitea_runner_list_get(dk_gitea *g, dk_gitea_runner_list **out, const char *owner,
			     const char *repo);
void dk_gitea_runner_list_free(dk_gitea_runner_list *l);

/* The repo's current runner registration token (POST, 1.24+) for `act_runner register`. */
int dk_gitea_runner_token(dk_gitea *g, char **out, const char *owner, const char *repo);

typedef struct {
	int64_t id;
	char *name, *token;             /* token: shown once by Gitea */
} dk_gitea_access_token;

/*
 * Access tokens of `username`. Gitea accepts only Basic auth with the account password
 * here (not a token), so the password is given; the client's token is not used.
 */
int dk_gitea_token_create(dk_gitea *g, dk_gitea_access_token **out, const char *username,
			  const char *password, const char *name, const char *const *scopes);
int dk_gitea_token_delete(dk_gitea *g, const char *username, const char *password,
			  const char *name_or_id);
void dk_gitea_access_token_free(dk_gitea_access_token *t);

/* Splits "owner/repo"; DK_EINVALID otherwise. The caller frees both. */
int dk_gitea_split_repo(char **owner, char **repo, const char *full);

#endif
