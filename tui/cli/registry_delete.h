#ifndef DISKOPS_CLI_REGISTRY_DELETE_H
#define DISKOPS_CLI_REGISTRY_DELETE_H

/* The retention sweep's registry delete for headless commands; payload is the dk_config. */
int cli_registry_delete(void *payload, const char *oci_ref, const char *digest);

#endif
