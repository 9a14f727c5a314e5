#include "diskops/error.h"
#include "cli/registry_delete.h"

/* Until the OCI client lands, purging must not pretend: the row stays retired. */
int
cli_registry_delete(void *payload, const char *oci_ref, const char *digest)
{
	(void)payload;
	return dk_error_set(DK_ERROR, "cannot delete %s from %s: this build has no registry client",
			    digest, oci_ref);
}
