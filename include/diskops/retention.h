#ifndef DISKOPS_RETENTION_H
#define DISKOPS_RETENTION_H

#include <stdbool.h>

#include "diskops/policy.h"
#include "diskops/store.h"

/*
 * Retention (DESIGN §5): per platform keep the newest disk_image_retention_count
 * published rows (the default always kept, and counted), retire the rest, and purge
 * retired rows older than the grace: delete the manifest from the registry unless
 * anything still uses that digest, then mark the row purged.
 */

/* Deletes a manifest by digest from the registry of oci_ref; 0 or a DK_E… code. */
typedef int (*dk_registry_delete_fn)(void *payload, const char *oci_ref, const char *digest);

typedef struct {
	const char *platform;           /* name or id; NULL: every platform of the account */
	bool dry_run;                   /* report what would happen; change nothing */
	int grace_days;                 /* <= 0: 7 */
	const char *actor;
	dk_actor_kind actor_kind;
	dk_registry_delete_fn delete_manifest;  /* NULL: purge rows without touching a registry */
	void *payload;
} dk_retention_options;

typedef enum {
	DK_RETAIN_RETIRE = 0,           /* published → retired */
	DK_RETAIN_PURGE,                /* retired → purged, manifest deleted */
	DK_RETAIN_PURGE_SHARED,         /* purged, manifest kept: another row still uses it */
	DK_RETAIN_PENDING,              /* purge waits for approval (retention_prune) */
	DK_RETAIN_ERROR                 /* left as it was; see error */
} dk_retention_action;

typedef struct {
	char *platform_name;
	char *publication_id;
	char *git_sha;
	char *digest;
	dk_retention_action action;
	char *error;
} dk_retention_item;

typedef struct {
	dk_retention_item *items;
	size_t count;
	int retired;
	int purged;
	int deleted;                    /* manifests deleted from a registry */
	int pending;
	int errors;
} dk_retention_report;

/* Per-row failures are collected in the report and the sweep goes on; the return code
 * is for failures of the sweep itself. */
int dk_retention_sweep(dk_store *store, dk_retention_report *out, const char *account_id,
		       const dk_retention_options *opts);
void dk_retention_report_clear(dk_retention_report *r);
const char *dk_retention_action_name(dk_retention_action a);

/*
 * The registry delete every front end uses: payload is the dk_config, whose [registry]
 * settings apply when the reference names that host. A manifest already gone counts as
 * deleted.
 */
int dk_retention_registry_delete(void *payload, const char *oci_ref, const char *digest);

/* `retention set`: validated 1..50, gated by the retention_update policy. */
int dk_retention_set(dk_store *store, const char *account_id, const char *platform, int count,
		     const char *actor, dk_actor_kind kind);

#endif
