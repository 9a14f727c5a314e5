#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diskops/process.h"
#include "diskops/auth.h"
#include "diskops/error.h"
#include "diskops/init.h"
#include "diskops/log.h"
#include "http_internal.h"

#define DRAIN_SECONDS 30

/* Reads a PEM file for libmicrohttpd, which wants it in memory. */
static int
read_pem(char **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*out = NULL;
	if (!f)
		return dk_error_set(DK_EIO, "%s: cannot read: %m", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 1 << 20 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = calloc(1, (size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return dk_error_set(DK_EIO, "%s: cannot read the PEM file", path);
	}
	fclose(f);
	*out = buf;
	return 0;
}

static void
wake_jobs(void *arg)
{
	dk_jobs_pool_wake(arg);
}

int
dk_serve_start(dk_serve **out, const dk_config *cfg, const dk_serve_options *opts)
{
	dk_serve_options defaults = DK_SERVE_OPTIONS_INIT;
	dk_store_options sopts = DK_STORE_OPTIONS_INIT;
	dk_store *probe = NULL;
	sigset_t set;
	dk_serve *s;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!opts->tls_cert != !opts->tls_key)
		return dk_error_set(DK_EINVALID, "TLS needs both a certificate and a key");
	/* Every thread started from here on inherits the mask; dk_serve_wait takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * glibc hands freed heap back with madvise after every burst; on a VM each one is a
	 * TLB shootdown across CPUs, which profiled at half the server's time. Keep it.
	 */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	if (!(s = calloc(1, sizeof(*s))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	s->cfg = (dk_config *)cfg;
	/* The job runner's ingest reaches registries with these [registry] settings. */
	dk_process_set_config(cfg);
	pthread_key_create(&s->store_key, NULL);
	pthread_mutex_init(&s->slots_lock, NULL);
	if (!(s->db_path = dk_init_database_path(cfg))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto fail;
	}
	sopts.no_create = true;
	if ((rc = dk_store_open(&probe, s->db_path, &sopts)) < 0) {
		if (rc == DK_ENOTFOUND)
			rc = dk_error_set(DK_ESTORE, "no database at %s: run `diskops init` first",
					  s->db_path);
		goto fail;
	}
	dk_store_free(probe);
	if ((rc = dk_secret_box_open(&s->box, cfg->state_dir)) < 0 ||
	    (rc = dk_auth_key_load(&s->jwt_key, &s->jwt_key_len, cfg->state_dir)) < 0)
		goto fail;
	if (opts->tls_cert && ((rc = read_pem(&s->tls_cert, opts->tls_cert)) < 0 ||
			       (rc = read_pem(&s->tls_key, opts->tls_key)) < 0))
		goto fail;
	if ((!opts->no_ingest && (rc = dk_jobs_pool_start(&s->jobs, s->db_path, cfg->workers)) < 0) ||
	    (rc = dk_batcher_start(&s->batcher, s->db_path, wake_jobs, s->jobs)) < 0 ||
	    (rc = http_start(s, opts)) < 0 ||
	    (rc = dk_serve_agent_start(&s->agent, s->db_path, cfg)) < 0 ||
	    (rc = dk_serve_poller_start(&s->poller, s->db_path, cfg)) < 0)
		goto fail;
	dk_log_info("msg=\"serving\" listen=%s%s workers=%d", s->address,
		    s->tls_cert ? " tls=on" : "", opts->no_ingest ? 0 : cfg->workers);
	*out = s;
	return 0;
fail:
	dk_serve_free(s);
	return rc;
}

const char *
dk_serve_address(const dk_serve *s)
{
	return s->address;
}

int
dk_serve_wait(dk_serve *s)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while (sigwait(&set, &sig) != 0)
		;
	dk_log_info("msg=\"stopping\" signal=%s in_flight=%ld", sig == SIGTERM ? "TERM" : "INT",
		    atomic_load(&s->in_flight));
	http_quiesce(s);
	for (int i = 0; i < DRAIN_SECONDS * 100 && atomic_load(&s->in_flight) > 0; i++)
		nanosleep(&tick, NULL);
	dk_serve_poller_stop(s->poller);
	s->poller = NULL;
	dk_serve_agent_stop(s->agent);
	s->agent = NULL;
	dk_batcher_stop(s->batcher);
	s->batcher = NULL;
	http_stop(s);
	dk_jobs_pool_stop(s->jobs);
	s->jobs = NULL;
	dk_log_info("msg=\"stopped\"");
	return 0;
}

void
dk_serve_free(dk_serve *s)
{
	struct store_slot *slot, *next;

	if (!s)
		return;
	dk_serve_poller_stop(s->poller);
	dk_serve_agent_stop(s->agent);
	http_stop(s);
	dk_batcher_stop(s->batcher);
	dk_jobs_pool_stop(s->jobs);
	for (slot = s->slots; slot; slot = next) {
		next = slot->next;
		dk_store_free(slot->store);
		free(slot);
	}
	pthread_key_delete(s->store_key);
	pthread_mutex_destroy(&s->slots_lock);
	dk_secret_box_free(s->box);
	free(s->jwt_key);
	free(s->tls_cert);
	free(s->tls_key);
	free(s->db_path);
	free(s);
}
