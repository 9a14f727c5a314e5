#ifndef DISKOPS_STATUS_H
#define DISKOPS_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/model.h"
#include "diskops/store.h"

/*
 * How the moving parts are doing, as last recorded in the store (core/store_status.c):
 * `serve` writes its heartbeat every DK_HEARTBEAT_SECONDS, and whoever polls Gitea or the
 * registry records reachability and version under "gitea" and "registry". Readers (the
 * console's status bar) never probe anything themselves.
 */

#define DK_HEARTBEAT_SECONDS 30
/* A heartbeat older than this means serve is not running (or is stuck). */
#define DK_HEARTBEAT_STALE_SECONDS (3 * DK_HEARTBEAT_SECONDS)

typedef struct {
	char *name;             /* serve | gitea | registry */
	bool ok;                /* running / reachable at checked_at */
	char *detail;           /* a version, or why it is not ok */
	int64_t pid;            /* serve: its process id; 0 otherwise */
	int64_t started_at;     /* serve: when it started */
	int64_t checked_at;
} dk_service_status;

/* A Gitea runner as the poller last saw it (gitea_runner_cache). */
typedef struct {
	char *repo;
	int64_t runner_id;
	char *name;
	char *labels;           /* comma-separated */
	bool online;
	bool busy;
	int64_t fetched_at;
} dk_runner;

DK_DEFINE_LIST(dk_service_status)
DK_DEFINE_LIST(dk_runner)

void dk_service_status_clear(dk_service_status *s);
void dk_service_status_list_free(dk_service_status_list *l);
void dk_runner_clear(dk_runner *r);
void dk_runner_list_free(dk_runner_list *l);

/* Inserts or replaces the row of `name`. */
int dk_store_service_status_put(dk_store *store, const dk_service_status *s);
/* Every recorded service, by name. */
int dk_store_service_status_list(dk_store *store, dk_service_status_list **out);
/* The row of name from a list; NULL when it was never recorded. */
const dk_service_status *dk_service_status_find(const dk_service_status_list *l, const char *name);

/* The cached runners of the build repos of the account's platforms, by repo then name. */
int dk_store_runner_cache_list(dk_store *store, dk_runner_list **out, const char *account_id);

#endif
