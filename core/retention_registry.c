#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/oci.h"
#include "diskops/retention.h"

/*
 * Deletes a purged publication's manifest by digest, with the [registry] settings when
 * the reference names that host (Docker config credentials otherwise). A manifest that
 * is already gone counts as deleted: that is the state purging wants.
 */
int
dk_retention_registry_delete(void *payload, const char *oci_ref, const char *digest)
{
	const dk_config *cfg = payload;
	dk_oci_ref *ref = NULL;
	dk_oci_client *client = NULL;
	dk_oci_options opts;
	int rc;

	if ((rc = dk_oci_ref_parse(&ref, oci_ref)) < 0)
		goto done;
	dk_oci_options_from_config(&opts, cfg, ref->registry);
	if ((rc = dk_oci_client_new(&client, ref->registry, &opts)) < 0)
		goto done;
	rc = dk_oci_manifest_delete(client, ref->repository, digest);
	if (rc == DK_ENOTFOUND) {
		dk_error_clear();
		rc = 0;
	}
done:
	if (rc < 0)
		dk_error_prefix("cannot delete %s from %s", digest, oci_ref);
	dk_oci_client_free(client);
	dk_oci_ref_free(ref);
	return rc;
}
