/* Platform and account operations, public keys, events and init: the domain over the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "testutil.h"
#include "diskops/account.h"
#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/init.h"
#include "diskops/log.h"
#include "diskops/model_json.h"
#include "diskops/platform.h"
#include "diskops/pubkey.h"

struct fixture {
	char *dir;
	dk_store *store;
	dk_account *account;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *path;

	f->dir = tu_mkdtemp();
	path = tu_path(f->dir, "diskops.db");
	assert_int_equal(dk_store_open(&f->store, path, NULL), 0);
	assert_int_equal(dk_account_create(f->store, &f->account, "default", "test"), 0);
	free(path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	dk_account_free(f->account);
	dk_store_free(f->store);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static char *
pem_of(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PUBKEY(b, pk);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(pk);
	return out;
}

static size_t
event_count(dk_store *s, const char *prefix)
{
	dk_event_filter f = { .kind_prefix = prefix, .limit = 1000 };
	dk_event_list *l;
	size_t n;

	assert_int_equal(dk_store_event_list(s, &l, &f), 0);
	n = l->count;
	dk_event_list_free(l);
	return n;
}

static void
public_keys_accepted_and_refused(void **state)
{
	char *p256 = pem_of(EVP_EC_gen("P-256")), *p384 = pem_of(EVP_EC_gen("P-384"));
	char *k1 = pem_of(EVP_EC_gen("secp256k1"));
	char *ed = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	char *rsa1024 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
	char *rsa2048 = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	char both[8192];
	dk_pubkey_info *info;
	size_t n;

	(void)state;
	snprintf(both, sizeof(both), "%s%s%s%s", p256, p384, ed, rsa2048);
	assert_int_equal(dk_pubkey_parse_all(&info, &n, both, "keys.pem"), 0);
	assert_int_equal(n, 4);
	assert_string_equal(info[0].type, "ecdsa-p256");
	assert_string_equal(info[1].type, "ecdsa-p384");
	assert_string_equal(info[2].type, "ed25519");
	assert_string_equal(info[3].type, "rsa-2048");
	assert_int_equal(strncmp(info[0].fingerprint, "SHA256:", 7), 0);
	assert_int_equal(strlen(info[0].fingerprint), 7 + 43);
	free(info);
	assert_int_equal(dk_pubkey_parse_all(&info, &n, rsa1024, "weak.pem"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message, "weak.pem: RSA key of 1024 bits is too weak (2048 at least)");
	assert_int_equal(dk_pubkey_parse_all(&info, &n, k1, "k1.pem"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "curve secp256k1 is not accepted"));
	assert_int_equal(dk_pubkey_parse_all(&info, &n, "just text\n", "t.pem"), DK_EINVALID);
	assert_string_equal(dk_error_last()->message, "t.pem: no PEM public key found");
	assert_int_equal(dk_pubkey_parse_all(&info, &n, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
					     "trunc.pem"), DK_EINVALID);
	free(p256); free(p384); free(k1); free(ed); free(rsa1024); free(rsa2048);
}

static void
create_validates_before_writing(void **state)
{
	struct fixture *f = *state;
	dk_platform_spec bad_re = {
		.set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_IDENTITY_RE,
		.name = "p1", .arch = "amd64", .identity_regexp = "(",
	};
	dk_platform_spec no_arch = { .set = DK_PLATFORM_NAME, .name = "p1" };
	dk_platform_spec good = {
		.set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_RETENTION |
		       DK_PLATFORM_ISSUER_RE | DK_PLATFORM_IDENTITY_RE,
		.name = "p1", .arch = "arm64", .retention_count = 5,
		.identity_regexp = "^https://git\\.example\\.com/", .issuer_regexp = "^https://git\\.example\\.com$",
	};
	dk_platform *p = NULL;
	dk_platform_list *l;

	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &bad_re, "alice"), DK_EINVALID);
	assert_null(p);
	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &no_arch, "alice"), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "needs an arch"));
	assert_int_equal(dk_store_platform_list(f->store, &l, f->account->id), 0);
	assert_int_equal(l->count, 0);
	dk_platform_list_free(l);
	assert_int_equal(event_count(f->store, "system.node_platform"), 0);

	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &good, "alice"), 0);
	assert_int_equal(p->retention_count, 5);
	assert_string_equal(dk_platform_trust(p), "keyless");
	assert_string_equal(p->publication_status, "none");
	dk_platform_free(p);
	assert_int_equal(event_count(f->store, "system.node_platform_created"), 1);
	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &good, "alice"), DK_ECONFLICT);
	assert_int_equal(event_count(f->store, "system.node_platform_created"), 1);
}

static void
update_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	dk_platform_spec base = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "edge", .arch = "amd64" };
	dk_platform_spec other = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "core", .arch = "amd64" };
	dk_platform_spec half_bad = {
		.set = DK_PLATFORM_RETENTION | DK_PLATFORM_TLOG, .retention_count = 9, .tlog_policy = "maybe",
	};
	dk_platform_spec rename_clash = { .set = DK_PLATFORM_NAME | DK_PLATFORM_RETENTION,
					  .name = "core", .retention_count = 9 };
	dk_platform_spec ok = { .set = DK_PLATFORM_RETENTION | DK_PLATFORM_TLOG, .retention_count = 9,
				.tlog_policy = "ignore" };
	dk_platform_spec nothing = { 0 };
	dk_platform *p, *q;

	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &base, "t"), 0);
	dk_platform_free(p);
	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &other, "t"), 0);
	dk_platform_free(p);
	assert_int_equal(dk_platform_update(f->store, &p, f->account->id, "edge", &half_bad, "t"), DK_EINVALID);
	assert_int_equal(dk_platform_update(f->store, &p, f->account->id, "edge", &rename_clash, "t"), DK_ECONFLICT);
	assert_int_equal(dk_platform_update(f->store, &p, f->account->id, "edge", &nothing, "t"), DK_EINVALID);
	assert_int_equal(dk_store_platform_find(f->store, &q, f->account->id, "edge"), 0);
	assert_int_equal(q->retention_count, 3);
	assert_string_equal(q->tlog_policy, "required");
	dk_platform_free(q);
	assert_int_equal(event_count(f->store, "system.node_platform_updated"), 0);

	assert_int_equal(dk_platform_update(f->store, &p, f->account->id, "edge", &ok, "bob"), 0);
	assert_int_equal(p->retention_count, 9);
	assert_string_equal(p->tlog_policy, "ignore");
	dk_platform_free(p);
	assert_int_equal(event_count(f->store, "system.node_platform_updated"), 1);
	assert_int_equal(dk_platform_update(f->store, &p, f->account->id, "ghost", &ok, "bob"), DK_ENOTFOUND);
}

static void
emit_never_fails_and_keeps_the_callers_error(void **state)
{
	struct fixture *f = *state;
	char *logpath = tu_path(f->dir, "log"), *text;
	FILE *log = fopen(logpath, "w+");
	json_t *payload = json_pack("{s:s}", "k", "v");
	dk_event_list *l;
	dk_event_filter filter = { .limit = 10 };

	dk_log_set_sink(log);
	dk_error_set(DK_EVERIFY, "SET signature invalid");
	/* An empty kind violates the schema: the insert fails, the caller does not. */
	dk_event_emit(f->store, f->account->id, "", "info", "test", NULL, payload);
	assert_int_equal(dk_error_last()->code, DK_EVERIFY);
	assert_string_equal(dk_error_last()->message, "SET signature invalid");
	dk_log_set_sink(NULL);
	fclose(log);
	text = tu_read_file(logpath, NULL);
	assert_non_null(strstr(text, "level=error msg=\"event not recorded\""));
	free(text);

	dk_event_emit(f->store, f->account->id, "system.disk_image_published", "info", "test", "sub", payload);
	assert_int_equal(dk_store_event_list(f->store, &l, &filter), 0);
	assert_string_equal(l->items[0].kind, "system.disk_image_published");
	assert_string_equal(l->items[0].payload, "{\"k\":\"v\"}");
	assert_string_equal(l->items[0].subject_id, "sub");
	dk_event_list_free(l);
	json_decref(payload);
	free(logpath);
}

static void
json_shapes_use_stable_names(void **state)
{
	struct fixture *f = *state;
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "j", .arch = "arm64" };
	dk_platform *p;
	json_t *j;

	assert_int_equal(dk_platform_create(f->store, &p, f->account->id, &spec, "t"), 0);
	j = dk_platform_to_json(p);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "j");
	assert_int_equal(json_integer_value(json_object_get(j, "disk_image_retention_count")), 3);
	assert_true(json_is_null(json_object_get(j, "disk_image_oci_ref")));
	assert_string_equal(json_string_value(json_object_get(j, "workflow_file")),
			    ".gitea/workflows/build-disk-image.yml");
	assert_non_null(json_string_value(json_object_get(j, "created_at")));
	assert_int_equal(strlen(json_string_value(json_object_get(j, "created_at"))), 20);
	json_decref(j);
	dk_platform_free(p);
}

static void
init_creates_everything_once(void **state)
{
	struct fixture *f = *state;
	char *sd = tu_path(f->dir, "nested/state");
	dk_config *cfg;
	dk_init_report r;
	struct stat st;

	assert_int_equal(dk_config_defaults(&cfg), 0);
	assert_int_equal(dk_config_set(cfg, "state.dir", sd), 0);
	assert_int_equal(dk_init(&r, cfg), 0);
	assert_true(r.created_state_dir && r.created_database && r.created_master_key && r.created_account);
	assert_int_equal(r.schema_version, dk_store_latest_version());
	assert_int_equal(stat(r.master_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	dk_init_report_clear(&r);
	assert_int_equal(dk_init(&r, cfg), 0);
	assert_false(r.created_state_dir || r.created_database || r.created_master_key || r.created_account);
	dk_init_report_clear(&r);
	dk_config_free(cfg);
	free(sd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(public_keys_accepted_and_refused),
		cmocka_unit_test_setup_teardown(create_validates_before_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(update_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(emit_never_fails_and_keeps_the_callers_error, setup, teardown),
		cmocka_unit_test_setup_teardown(json_shapes_use_stable_names, setup, teardown),
		cmocka_unit_test_setup_teardown(init_creates_everything_once, setup, teardown),
	};
	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
