#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/poller.h"
#include "diskops/serve_poller.h"
#include "diskops/store.h"

struct dk_serve_poller {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	atomic_bool stopping;   /* read by a pass in flight, without the lock */
	char *db_path;
	const dk_config *cfg;
	dk_poller *poller;
};

static bool
stopping(void *arg)
{
	struct dk_serve_poller *sp = arg;

	return atomic_load(&sp->stopping);
}

/* One pass; returns the seconds to wait before the next. */
static int64_t
run_once(struct dk_serve_poller *sp)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_poller_report r;
	dk_store *store;

	o.busy_timeout_ms = sp->cfg->busy_timeout_ms;
	o.no_create = true;
	/* A store per pass, as the agent does: idle between passes, no lock pinned. */
	if (dk_store_open(&store, sp->db_path, &o) < 0) {
		dk_log_error("msg=\"gitea poller: store unavailable\" error=\"%s\"",
			     dk_error_last()->message);
		return dk_poller_delay(sp->poller);
	}
	if (dk_poller_once(sp->poller, store, &r) < 0) {
		dk_log_error("msg=\"gitea poll failed\" error=\"%s\"", dk_error_last()->message);
		r.next_delay = dk_poller_delay(sp->poller);
	} else if (r.alert_opened || r.alert_resolved) {
		dk_log_info("msg=\"gitea poll\" reachable=%d repos=%d runs=%d runners=%d",
			    r.reachable, r.repos, r.runs, r.runners);
	} else {
		dk_log_debug("msg=\"gitea poll\" reachable=%d repos=%d runs=%d jobs_fetched=%d "
			     "runners=%d", r.reachable, r.repos, r.runs, r.jobs_fetched, r.runners);
	}
	dk_store_free(store);
	return r.next_delay;
}

static void *
poller_main(void *arg)
{
	struct dk_serve_poller *sp = arg;

	pthread_mutex_lock(&sp->lock);
	while (!sp->stop) {
		struct timespec until;
		int64_t delay;

		pthread_mutex_unlock(&sp->lock);
		delay = run_once(sp);
		pthread_mutex_lock(&sp->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += delay;
		while (!sp->stop && pthread_cond_timedwait(&sp->wake, &sp->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

int
dk_serve_poller_start(dk_serve_poller **out, const char *db_path, const dk_config *cfg)
{
	struct dk_serve_poller *sp = calloc(1, sizeof(*sp));
	int rc;

	*out = NULL;
	if (!sp || !(sp->db_path = strdup(db_path))) {
		free(sp);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	sp->cfg = cfg;
	if ((rc = dk_poller_new(&sp->poller, cfg)) < 0) {
		free(sp->db_path);
		free(sp);
		return rc;
	}
	dk_poller_set_cancel(sp->poller, stopping, sp);
	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->wake, NULL);
	if (pthread_create(&sp->thread, NULL, poller_main, sp) != 0) {
		dk_poller_free(sp->poller);
		free(sp->db_path);
		free(sp);
		return dk_error_set(DK_ERROR, "cannot start the Gitea poller thread");
	}
	*out = sp;
	return 0;
}

void
dk_serve_poller_stop(dk_serve_poller *sp)
{
	if (!sp)
		return;
	atomic_store(&sp->stopping, true);
	pthread_mutex_lock(&sp->lock);
	sp->stop = true;
	pthread_cond_signal(&sp->wake);
	pthread_mutex_unlock(&sp->lock);
	pthread_join(sp->thread, NULL);
	pthread_cond_destroy(&sp->wake);
	pthread_mutex_destroy(&sp->lock);
	dk_poller_free(sp->poller);
	free(sp->db_path);
	free(sp);
}
