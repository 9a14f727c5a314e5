#ifndef DISKOPS_ACCOUNT_H
#define DISKOPS_ACCOUNT_H

#include <stdbool.h>

#include "diskops/store.h"

/* Accounts: tenancy. Names follow the platform name rule. */

int dk_account_create(dk_store *store, dk_account **out, const char *name, const char *actor);
/* Finds the account, creating it when missing; *created says which happened. */
int dk_account_ensure(dk_store *store, dk_account **out, const char *name, bool *created);
/* Finds the account, with a hint to create it when it does not exist. */
int dk_account_resolve(dk_store *store, dk_account **out, const char *name);

#endif
