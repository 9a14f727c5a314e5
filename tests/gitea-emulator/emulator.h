#ifndef GITEA_EMULATOR_H
#define GITEA_EMULATOR_H

/*
 * gitea-emulator: a small stand-in for Gitea's REST API (the calls diskops makes and
 * nothing else) so the client and the CLI are tested against something that refuses
 * to drift from real Gitea: every /api/v1 call is first matched against Gitea 1.27.0's
 * own swagger.v1.json, and anything not in it is answered 501 and counted.
 *
 * One process, one global lock (emu.lock) around all state; libmicrohttpd runs one
 * thread per connection, each job runs in its own thread.
 */

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>

/* Gitea's internal statuses (models/actions/status.go); the API maps them to words. */
enum {
	ST_UNKNOWN = 0,
	ST_SUCCESS = 1,
	ST_FAILURE = 2,
	ST_CANCELLED = 3,
	ST_SKIPPED = 4,
	ST_WAITING = 5,         /* queued for a runner */
	ST_RUNNING = 6,
	ST_BLOCKED = 7,
};

struct buf {
	char *data;
	size_t len, cap;
};

void buf_add(struct buf *b, const void *data, size_t len);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

struct user {
	int64_t id;
	char *login, *password;
	bool admin;
};

struct token {
	int64_t id;
	char *name, *value, *login;
	json_t *scopes;
};

struct org {
	int64_t id;
	char *name, *owner;
};

struct kv {
	char *name, *value, *description;
	int64_t created;
};

struct runner {
	int64_t id;
	char *name, *labels;    /* labels comma-separated */
	bool online, busy, disabled;
};

struct repo {
	int64_t id;
	char *owner, *name, *dir, *default_branch, *description;
	bool private, has_actions;
	struct kv *secrets, *vars;
	size_t nsecrets, nvars;
	char *reg_token;
	int64_t next_run_number;
	struct kv *tags;        /* tags seen (name = ref, value = commit), for push triggers */
	size_t ntags;
};

struct step {
	char *name;
	int status;
	int64_t started, completed;
};

struct job {
	int64_t id, run_id, task_id;
	struct repo *repo;
	char *name, *labels;
	int status;
	int64_t created, started, completed;
	struct step *steps;
	size_t nsteps;
	struct buf log;
	bool log_expired;
	int attempt;
};

struct run {
	int64_t id, number;
	struct repo *repo;
	char *workflow, *ref, *event, *sha, *title, *actor;
	json_t *inputs;
	int status, attempt;
	int64_t created, started, completed;
	struct job *job;        /* one job per run is all the pipeline's workflow has */
};

struct emu {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* signalled whenever a job ends */
	char *data_dir, *swagger_path, *runner_script, *unknown_log;
	bool temp_data;
	int version;            /* 124..127 */
	char version_text[16];
	json_t *swagger_paths;
	struct user *users;
	size_t nusers;
	struct token *tokens;
	size_t ntokens;
	struct org *orgs;
	size_t norgs;
	struct repo **repos;
	size_t nrepos;
	struct run **runs;
	size_t nruns;
	struct runner *runners;
	size_t nrunners;
	int64_t next_id;
	unsigned long requests, unknown_calls;
	json_t *unknown;        /* ["METHOD /path", ...] */
	json_t *calls;          /* {"METHOD /template": count}: what clients asked, for tests */
	bool fault_malformed_json;
	int running_jobs;
	unsigned short port;
};

extern struct emu emu;

/* --- one API request (main.c) --- */

#define MAX_PARAMS 8

struct req {
	struct MHD_Connection *conn;
	const char *method, *path;      /* path without /api/v1 */
	const char *tmpl;               /* the swagger path it matched */
	char *params[MAX_PARAMS];       /* path parameters in template order */
	int nparams;
	const char *body;
	size_t body_len;
	json_t *json;                   /* parsed body, NULL when none or not JSON */
	struct user *user;              /* authenticated caller, NULL for anonymous */
	bool token_auth;                /* authenticated with a token, not a password */
	/* the answer */
	int status;
	json_t *reply;                  /* JSON body, or */
	struct buf raw;                 /* a raw body (logs), with raw_type */
	const char *raw_type;
	char *headers[8];               /* "Name: value" */
	int nheaders;
};

const char *req_arg(struct req *r, const char *name);
/* Every value of a repeated query argument; returns the count. */
size_t req_args(struct req *r, const char *name, const char **out, size_t max);
const char *req_header(struct req *r, const char *name);
void reply(struct req *r, int status, json_t *body);
int reply_error(struct req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void reply_header(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* page/limit as Gitea reads them: page >= 1, limit default 30, at most 50. */
void req_page(struct req *r, int *page, int *limit);
/* X-Total-Count and a Link header for a page of a list. */
void reply_page_headers(struct req *r, size_t total, int page, int limit);

char *b64_decode(const char *in, size_t *outlen);
char *b64_encode(const void *data, size_t len);
/* 0 anonymous, 1 authenticated, -1 bad credentials. */
int authenticate(struct MHD_Connection *conn, struct user **out, bool *token_auth);

/* --- swagger.c --- */
int swagger_load(const char *path);
/* Finds the template for method+path; fills params. NULL when Gitea has no such call. */
const char *swagger_match(const char *method, const char *path, char **params, int *nparams);
bool swagger_has(const char *method, const char *tmpl);

/* --- state.c --- */
int64_t now_unix(void);
char *iso_time(int64_t t);              /* RFC 3339 UTC, epoch for 0 (as Gitea sends) */
struct user *user_find(const char *login);
struct org *org_find(const char *name);
struct repo *repo_find(const char *owner, const char *name);
struct run *run_find(int64_t id);
struct job *job_find(int64_t id);
const char *status_word(int st);        /* the v1 API's status word */
const char *conclusion_word(int st);    /* "" while not done */
bool status_done(int st);
json_t *user_json(const struct user *u);
json_t *repo_json(const struct repo *repo, const struct user *viewer);
json_t *run_json(const struct run *run);
json_t *job_json(const struct job *job);
char *api_base(void);                   /* http://127.0.0.1:PORT */

/* --- git.c --- */
/* Runs git with args; captures stdout. Returns the exit status, -1 when it could not run. */
int git_run(struct buf *out, const char *gitdir, const void *input, size_t inlen,
	    const char *const *args);
int git_init_repo(struct repo *repo, bool auto_init);
/* The commit a ref names, or NULL. */
char *git_rev(const struct repo *repo, const char *rev);
/* Writes one file on a branch as a new commit; returns the commit sha (caller frees). */
char *git_commit_file(const struct repo *repo, const char *branch, const char *path,
		      const void *data, size_t len, const char *message);
/* Serves /<owner>/<repo>.git/... through git http-backend. */
enum MHD_Result git_http(struct MHD_Connection *conn, const char *method, const char *url,
			 const char *body, size_t body_len);

/* Starts the tag-triggered workflows of a push (emu.lock held). */
void push_triggers(struct repo *repo, const char *pusher);

/* --- runner.c --- */
/* Starts a run's job when the repo has a runner script; otherwise it stays queued. */
void runner_start(struct run *run);
void runner_stop_all(void);
char *runner_script_for(const struct repo *repo);

/* --- api_*.c: handlers, each with the swagger template it serves --- */
typedef void (*handler_fn)(struct req *r);

struct route {
	const char *method, *tmpl;
	handler_fn fn;
	int since, until;       /* Gitea versions (124 = 1.24) where the route exists */
};

extern const struct route repo_routes[], actions_routes[];
/* Checks the caller and the repo; on failure the reply is set and NULL returned. */
struct repo *req_repo(struct req *r, bool need_write, bool need_owner);

#endif
