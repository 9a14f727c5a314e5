#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskops/account.h"
#include "diskops/error.h"
#include "diskops/init.h"
#include "diskops/secret.h"
#include "diskops/store.h"

char *
dk_init_database_path(const dk_config *cfg)
{
	return dk_config_state_path(cfg, "diskops.db");
}

int
dk_init(dk_init_report *r, const dk_config *cfg)
{
	dk_store_options opts = DK_STORE_OPTIONS_INIT;
	dk_secret_box *box = NULL;
	dk_store *store = NULL;
	dk_account *acct = NULL;
	struct stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	r->state_dir = strdup(cfg->state_dir);
	r->database = dk_init_database_path(cfg);
	r->master_key = dk_config_state_path(cfg, "master.key");
	r->account = strdup(cfg->account);
	if (!r->state_dir || !r->database || !r->master_key || !r->account) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	r->created_state_dir = stat(cfg->state_dir, &st) != 0;
	if ((rc = dk_config_ensure_state_dir(cfg)) < 0)
		goto done;
	r->created_database = access(r->database, F_OK) != 0;
	r->created_master_key = access(r->master_key, F_OK) != 0;
	if ((rc = dk_secret_box_open(&box, cfg->state_dir)) < 0)
		goto done;
	opts.busy_timeout_ms = cfg->busy_timeout_ms;
	if ((rc = dk_store_open(&store, r->database, &opts)) < 0 ||
	    (rc = dk_store_schema_version(store, &r->schema_version)) < 0)
		goto done;
	rc = dk_account_ensure(store, &acct, cfg->account, &r->created_account);
done:
	dk_account_free(acct);
	dk_store_free(store);
	dk_secret_box_free(box);
	return rc;
}

void
dk_init_report_clear(dk_init_report *r)
{
	free(r->state_dir);
	free(r->database);
	free(r->master_key);
	free(r->account);
	memset(r, 0, sizeof(*r));
}
