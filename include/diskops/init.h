#ifndef DISKOPS_INIT_H
#define DISKOPS_INIT_H

#include <stdbool.h>

#include "diskops/config.h"

/*
 * `diskops init`: state dir (0700), database (0600, migrated), master key (0600) and the
 * default account. Idempotent: a second run changes nothing and says so.
 */

typedef struct {
	char *state_dir;
	char *database;
	char *master_key;
	char *account;
	int schema_version;
	bool created_state_dir;
	bool created_database;
	bool created_master_key;
	bool created_account;
} dk_init_report;

int dk_init(dk_init_report *out, const dk_config *cfg);
void dk_init_report_clear(dk_init_report *r);

/* "<state_dir>/diskops.db" — where every front end finds the store; caller frees. */
char *dk_init_database_path(const dk_config *cfg);

#endif
