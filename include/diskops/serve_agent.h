#ifndef DISKOPS_SERVE_AGENT_H
#define DISKOPS_SERVE_AGENT_H

#include "diskops/config.h"

/*
 * The agent inside `serve`: a thread that runs dk_agent_tick every [alerts] tick_seconds
 * and the account-wide retention sweep once a day after 03:30 UTC, on its own store
 * connection. Stopping wakes it at once.
 */

typedef struct dk_serve_agent dk_serve_agent;

int dk_serve_agent_start(dk_serve_agent **out, const char *db_path, const dk_config *cfg);
void dk_serve_agent_stop(dk_serve_agent *a);

/* The next 03:30 UTC strictly after t. */
int64_t dk_serve_agent_next_sweep(int64_t t);

#endif
