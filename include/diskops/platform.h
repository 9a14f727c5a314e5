#ifndef DISKOPS_PLATFORM_H
#define DISKOPS_PLATFORM_H

#include "diskops/store.h"

/*
 * Node platforms as operators change them: every value is validated (names, arch,
 * retention 1..50, regexps compiled with RE2 semantics, PEM keys, tlog policy, repo and
 * workflow path) before the store is touched, and each change is an event. A refused
 * change leaves the row as it was.
 */

int dk_platform_create(dk_store *store, dk_platform **out, const char *account_id,
		       const dk_platform_spec *spec, const char *actor);

/* `name_or_id` finds the platform in the account; only the fields set in `changes` move. */
int dk_platform_update(dk_store *store, dk_platform **out, const char *account_id,
		       const char *name_or_id, const dk_platform_spec *changes, const char *actor);

/* Checks every set field of a spec; DK_EINVALID naming the first bad one. */
int dk_platform_validate(const dk_platform_spec *spec);

/* "keyless", "key", "keyless+key" or "none": which trust policy a platform has. */
const char *dk_platform_trust(const dk_platform *p);

#endif
