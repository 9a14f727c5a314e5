#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/retention.h"
#include "diskops/serve_agent.h"
#include "diskops/status.h"
#include "diskops/store.h"

#ifndef DK_VERSION
#define DK_VERSION "dev"
#endif

#define SWEEP_SECOND_OF_DAY (3 * 3600 + 30 * 60)

struct dk_serve_agent {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	char *db_path;
	const dk_config *cfg;
	int64_t started_at;
};

int64_t
dk_serve_agent_next_sweep(int64_t t)
{
	int64_t day = t - (t % 86400), at = day + SWEEP_SECOND_OF_DAY;

	return at > t ? at : at + 86400;
}

static void
sweep_all(dk_store *store, const dk_config *cfg)
{
	dk_account_list *accounts = NULL;

	if (dk_store_account_list(store, &accounts) < 0) {
		dk_log_error("msg=\"daily retention: cannot list accounts\" error=\"%s\"",
			     dk_error_last()->message);
		return;
	}
	for (size_t i = 0; i < accounts->count; i++) {
		dk_retention_options o = { .grace_days = cfg->grace_days, .actor = "agent",
					   .actor_kind = DK_ACTOR_AGENT,
					   .delete_manifest = dk_retention_registry_delete,
					   .payload = (void *)cfg };
		dk_retention_report r;

		if (dk_retention_sweep(store, &r, accounts->items[i].id, &o) < 0)
			dk_log_error("msg=\"daily retention failed\" account=%s error=\"%s\"",
				     accounts->items[i].name, dk_error_last()->message);
		else
			dk_log_info("msg=\"daily retention\" account=%s retired=%d purged=%d errors=%d",
				    accounts->items[i].name, r.retired, r.purged, r.errors);
		dk_retention_report_clear(&r);
	}
	dk_account_list_free(accounts);
}

/* [registry] host answering /v2/ at all (any HTTP status) counts as reachable; quick
 * timeouts and no retries, as this runs with every heartbeat. */
static void
probe_registry(const dk_config *cfg, dk_store *store)
{
	dk_service_status s = { .name = (char *)"registry" };
	dk_oci_client *c = NULL;
	dk_oci_options o;
	char detail[256];
	long status = 0;

	if (!cfg->registry_host || !*cfg->registry_host)
		return;
	dk_oci_options_from_config(&o, cfg, cfg->registry_host);
	o.connect_timeout_ms = 3000;
	o.low_speed_time_s = 5;
	o.max_retries = 0;
	if (dk_oci_client_new(&c, cfg->registry_host, &o) < 0 || dk_oci_ping(c, &status) < 0) {
		snprintf(detail, sizeof(detail), "%s: %s", cfg->registry_host, dk_error_last()->message);
	} else {
		s.ok = status > 0 && status < 500;
		snprintf(detail, sizeof(detail), "%s: HTTP %ld", cfg->registry_host, status);
	}
	dk_oci_client_free(c);
	s.detail = detail;
	s.checked_at = dk_clock_now();
	if (dk_store_service_status_put(store, &s) < 0)
		dk_log_warn("msg=\"registry status not recorded\" error=\"%s\"", dk_error_last()->message);
}

/* Consoles tell a running serve from a dead one by this row's age. */
static void
heartbeat(struct dk_serve_agent *a, dk_store *store)
{
	dk_service_status s = {
		.name = (char *)"serve",
		.ok = true,
		.detail = (char *)DK_VERSION,
		.pid = (int64_t)getpid(),
		.started_at = a->started_at,
		.checked_at = dk_clock_now(),
	};

	if (dk_store_service_status_put(store, &s) < 0)
		dk_log_warn("msg=\"heartbeat not recorded\" error=\"%s\"", dk_error_last()->message);
	probe_registry(a->cfg, store);
}

static void
run_once(struct dk_serve_agent *a, int64_t *next_tick, int64_t *next_sweep)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_agent_report r;
	dk_store *store;

	o.busy_timeout_ms = a->cfg->busy_timeout_ms;
	o.no_create = true;
	/* A store per pass: the agent is idle most of the time and must not pin a lock. */
	if (dk_store_open(&store, a->db_path, &o) < 0) {
		dk_log_error("msg=\"agent: store unavailable\" error=\"%s\"", dk_error_last()->message);
		return;
	}
	heartbeat(a, store);
	if (dk_clock_now() < *next_tick)
		goto done;
	*next_tick = dk_clock_now() + a->cfg->tick_seconds;
	if (dk_agent_tick(store, a->cfg, &r) < 0)
		dk_log_error("msg=\"agent tick failed\" error=\"%s\"", dk_error_last()->message);
	else if (r.opened || r.resolved || r.stuck_retired || r.approvals_expired)
		dk_log_info("msg=\"agent tick\" opened=%d resolved=%d stuck_retired=%d "
			    "approvals_expired=%d", r.opened, r.resolved, r.stuck_retired,
			    r.approvals_expired);
	if (dk_clock_now() >= *next_sweep) {
		sweep_all(store, a->cfg);
		*next_sweep = dk_serve_agent_next_sweep(dk_clock_now());
	}
done:
	dk_store_free(store);
}

static void *
agent_main(void *arg)
{
	struct dk_serve_agent *a = arg;
	int64_t next_sweep = dk_serve_agent_next_sweep(dk_clock_now()), next_tick = 0;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		struct timespec until;

		pthread_mutex_unlock(&a->lock);
		run_once(a, &next_tick, &next_sweep);
		pthread_mutex_lock(&a->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		/* Woken for the heartbeat; the agent's own tick waits for its due time. */
		until.tv_sec += a->cfg->tick_seconds < DK_HEARTBEAT_SECONDS ? a->cfg->tick_seconds
									 : DK_HEARTBEAT_SECONDS;
		while (!a->stop && pthread_cond_timedwait(&a->wake, &a->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int
dk_serve_agent_start(dk_serve_agent **out, const char *db_path, const dk_config *cfg)
{
	struct dk_serve_agent *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a || !(a->db_path = strdup(db_path))) {
		free(a);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	a->cfg = cfg;
	a->started_at = dk_clock_now();
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	if (pthread_create(&a->thread, NULL, agent_main, a) != 0) {
		free(a->db_path);
		free(a);
		return dk_error_set(DK_ERROR, "cannot start the agent thread");
	}
	*out = a;
	return 0;
}

void
dk_serve_agent_stop(dk_serve_agent *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a->db_path);
	free(a);
}
