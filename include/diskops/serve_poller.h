#ifndef DISKOPS_SERVE_POLLER_H
#define DISKOPS_SERVE_POLLER_H

#include "diskops/config.h"

/*
 * The Gitea poller inside `serve`: a thread that runs dk_poller_once (diskops/poller.h)
 * at once, then every [gitea] poll_seconds, longer while Gitea does not answer, on its
 * own store connection and its own Gitea connection. Without a [gitea] url it idles.
 * Stopping wakes it at once; a pass in flight stops before its next repo (a request in
 * flight finishes first, 15 s at most).
 */

typedef struct dk_serve_poller dk_serve_poller;

int dk_serve_poller_start(dk_serve_poller **out, const char *db_path, const dk_config *cfg);
void dk_serve_poller_stop(dk_serve_poller *p);

#endif
