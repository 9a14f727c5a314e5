#ifndef DISKOPS_CLI_CMD_INGEST_H
#define DISKOPS_CLI_CMD_INGEST_H

#include <jansson.h>

#include "cli/cli.h"
#include "diskops/upload.h"

/* Prints the outcome (JSON: merged with `extra`, may be NULL); DK_EVERIFY when failed. */
int cli_ingest_report(struct cli *c, const dk_ingest_outcome *o, json_t *extra);
/* rc with the kept row and its retry job named, when there are. */
int cli_ingest_retry_note(const dk_ingest_outcome *o, int rc);

#endif
