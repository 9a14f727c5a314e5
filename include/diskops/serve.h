#ifndef DISKOPS_SERVE_H
#define DISKOPS_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/config.h"

/*
 * `diskops serve`: the HTTP server (webhook receiver, REST, worker API, /metrics,
 * /healthz), the group-commit writer and the ingest worker threads, in one process.
 */

typedef struct {
	int version;
	const char *tls_cert;           /* PEM files; both or neither */
	const char *tls_key;
	int connection_timeout;         /* seconds; 0: 30 */
	int http_threads;               /* 0: 2 */
	bool no_ingest;                 /* receive and queue only; run no job workers */
} dk_serve_options;

#define DK_SERVE_OPTIONS_VERSION 1
#define DK_SERVE_OPTIONS_INIT { DK_SERVE_OPTIONS_VERSION, NULL, NULL, 0, 0, false }

typedef struct dk_serve dk_serve;

/*
 * Opens the store, the secret box and the JWT key of cfg's state dir, starts the
 * workers and binds cfg->listen (port 0 picks a free one). SIGTERM and SIGINT are
 * blocked in every thread it starts; dk_serve_wait takes them.
 */
int dk_serve_start(dk_serve **out, const dk_config *cfg, const dk_serve_options *opts);
/* "127.0.0.1:8080" as bound (the real port when 0 was asked for). */
const char *dk_serve_address(const dk_serve *s);
/* Blocks until SIGTERM or SIGINT, then stops accepting, finishes the requests in
 * flight and each job's current step. */
int dk_serve_wait(dk_serve *s);
void dk_serve_free(dk_serve *s);

#endif
