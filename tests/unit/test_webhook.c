#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"
#include "diskops/account.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/platform.h"
#include "diskops/secret.h"
#include "diskops/webhook.h"

#define SECRET "pndis_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
#define BODY "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"abc123\"}"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
hmac_raw(unsigned char out[32], const char *secret, const char *body)
{
	unsigned int n = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body),
	     out, &n);
}

static void
sign_hex(char out[65], const char *secret, const char *body, int upper)
{
	unsigned char mac[32];

	hmac_raw(mac, secret, body);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, upper ? "%02X" : "%02x", mac[i]);
}

static void
signature_table(void **state)
{
	char hex[65], upper[65], header[80], *b64 = NULL, *b64url = NULL;
	unsigned char mac[32], std[45];

	(void)state;
	sign_hex(hex, SECRET, BODY, 0);
	sign_hex(upper, SECRET, BODY, 1);
	hmac_raw(mac, SECRET, BODY);
	EVP_EncodeBlock(std, mac, 32);
	b64 = strdup((char *)std);
	assert_int_equal(dk_base64url_encode(&b64url, mac, 32), 0);

	snprintf(header, sizeof(header), "sha256=%s", hex);
	assert_true(dk_webhook_signature_ok(SECRET, header, BODY, strlen(BODY), NULL));
	assert_true(dk_webhook_signature_ok(SECRET, hex, BODY, strlen(BODY), NULL));
	assert_true(dk_webhook_signature_ok(SECRET, b64, BODY, strlen(BODY), NULL));
	assert_true(dk_webhook_signature_ok(SECRET, b64url, BODY, strlen(BODY), NULL));
	/* Hex decodes to the same bytes in either case. */
	assert_true(dk_webhook_signature_ok(SECRET, upper, BODY, strlen(BODY), NULL));
	/* wrong length */
	hex[62] = '\0';
	assert_false(dk_webhook_signature_ok(SECRET, hex, BODY, strlen(BODY), NULL));
	snprintf(header, sizeof(header), "sha256=%s00", upper);
	assert_false(dk_webhook_signature_ok(SECRET, header, BODY, strlen(BODY), NULL));
	/* missing header, empty header, garbage */
	assert_false(dk_webhook_signature_ok(SECRET, NULL, BODY, strlen(BODY), NULL));
	assert_false(dk_webhook_signature_ok(SECRET, "", BODY, strlen(BODY), NULL));
	assert_false(dk_webhook_signature_ok(SECRET, "sha256=", BODY, strlen(BODY), NULL));
	assert_false(dk_webhook_signature_ok(SECRET, "md5=zzzz", BODY, strlen(BODY), NULL));
	/* empty body never verifies, even with its own correct HMAC */
	sign_hex(hex, SECRET, "", 0);
	assert_false(dk_webhook_signature_ok(SECRET, hex, "", 0, NULL));
	/* signature of a different body */
	sign_hex(hex, SECRET, "{}", 0);
	assert_false(dk_webhook_signature_ok(SECRET, hex, BODY, strlen(BODY), NULL));
	/* another secret (the one from before a rotation) */
	sign_hex(hex, "pndis_old", BODY, 0);
	assert_false(dk_webhook_signature_ok(SECRET, hex, BODY, strlen(BODY), NULL));
	free(b64);
	free(b64url);
}

static void
signature_decode_rejects_non_32_byte_values(void **state)
{
	unsigned char out[32];

	(void)state;
	assert_int_equal(dk_webhook_signature_decode(out, "YWJj"), DK_EINVALID);
	assert_int_equal(dk_webhook_signature_decode(out, "sha256=xyz"), DK_EINVALID);
	assert_int_equal(dk_webhook_signature_decode(out, NULL), DK_EINVALID);
}

/* --- delivery handling as a function --- */

struct fx {
	char *dir;
	dk_store *store;
	dk_secret_box *box;
	dk_account *acct;
	dk_platform *plat;
	dk_webhook *hook;
	char *secret;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "rpi",
				  .arch = "arm64" };
	char *db;

	dk_log_set_level(DK_LOG_OFF);
	f->dir = tu_mkdtemp();
	db = tu_path(f->dir, "t.db");
	assert_int_equal(dk_store_open(&f->store, db, NULL), 0);
	free(db);
	assert_int_equal(dk_secret_box_open(&f->box, f->dir), 0);
	assert_int_equal(dk_account_create(f->store, &f->acct, "acme", "test"), 0);
	assert_int_equal(dk_platform_create(f->store, &f->plat, f->acct->id, &spec, "test"), 0);
	assert_int_equal(dk_webhook_create(f->store, f->box, &f->hook, &f->secret, f->acct->id, "ci",
					   "test"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dk_clock_set(0);
	dk_webhook_free(f->hook);
	free(f->secret);
	dk_platform_free(f->plat);
	dk_account_free(f->acct);
	dk_secret_box_free(f->box);
	dk_store_free(f->store);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Handles body signed with the fixture's secret (or `sig` when given). */
static void
deliver(struct fx *f, dk_webhook_result *r, const char *body, const char *sig)
{
	char hex[65];
	dk_webhook_request req = {
		.webhook_id = f->hook->id, .body = body, .body_len = strlen(body),
		.remote_addr = "127.0.0.1",
	};

	sign_hex(hex, f->secret, body, 0);
	req.signature = sig ? sig : hex;
	assert_int_equal(dk_webhook_handle(f->store, f->box, &req, r), 0);
}

static int64_t
count(struct fx *f, const char *what)
{
	dk_delivery_list *dl = NULL;
	dk_job_list *jl = NULL;
	dk_publication_list *pl = NULL;
	dk_delivery_filter df = { .account_id = f->acct->id, .limit = 1000 };
	dk_job_filter jf = { .limit = 1000 };
	dk_publication_filter pf = { .account_id = f->acct->id, .status = -1, .limit = 1000 };
	int64_t n = -1;

	if (strcmp(what, "deliveries") == 0) {
		assert_int_equal(dk_store_delivery_list(f->store, &dl, &df), 0);
		n = (int64_t)dl->count;
	} else if (strcmp(what, "jobs") == 0) {
		assert_int_equal(dk_store_job_list(f->store, &jl, &jf), 0);
		n = (int64_t)jl->count;
	} else {
		assert_int_equal(dk_store_publication_list(f->store, &pl, &pf), 0);
		n = (int64_t)pl->count;
	}
	dk_delivery_list_free(dl);
	dk_job_list_free(jl);
	dk_publication_list_free(pl);
	return n;
}

static void
valid_delivery_queues_a_publication_and_job(void **state)
{
	struct fx *f = *state;
	dk_webhook_result r;
	dk_webhook *w = NULL;
	dk_publication *p = NULL;

	deliver(f, &r, "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"abc\","
		"\"sha256\":\"" SHA_A "\",\"size_bytes\":1024}", NULL);
	assert_int_equal(r.http_status, 202);
	assert_string_equal(r.status, "queued");
	assert_non_null(r.publication_id);
	assert_int_equal(dk_store_publication_get(f->store, &p, f->acct->id, r.publication_id), 0);
	assert_int_equal(p->status, DK_PUB_QUEUED);
	assert_string_equal(p->artifact_sha256, SHA_A);
	assert_int_equal(p->size_bytes, 1024);
	assert_string_equal(p->webhook_id, f->hook->id);
	assert_int_equal(count(f, "jobs"), 1);
	assert_int_equal(count(f, "deliveries"), 1);
	assert_int_equal(dk_store_webhook_find(f->store, &w, f->acct->id, "ci"), 0);
	assert_int_equal(w->received_count, 1);
	assert_true(w->last_received_at > 0);

	/* the same delivery again joins the same row and the same live job */
	dk_webhook_result_clear(&r);
	deliver(f, &r, "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"abc\","
		"\"sha256\":\"" SHA_A "\",\"size_bytes\":1024}", NULL);
	assert_int_equal(r.http_status, 202);
	assert_string_equal(r.publication_id, p->id);
	assert_int_equal(count(f, "publications"), 1);
	assert_int_equal(count(f, "jobs"), 1);
	assert_int_equal(count(f, "deliveries"), 2);
	dk_webhook_result_clear(&r);
	dk_publication_free(p);
	dk_webhook_free(w);
}

struct bad_case {
	const char *body;
	int status;
	const char *reason;
	const char *field;
};

static void
bad_bodies_write_only_the_delivery_row(void **state)
{
	struct fx *f = *state;
	static const struct bad_case cases[] = {
		{ "{\"platform_name\":", 422, "invalid_payload", NULL },
		{ "[1,2,3]", 422, "invalid_payload", NULL },
		{ "\"just a string\"", 422, "invalid_payload", NULL },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":"
		  "99999999999999999999999999999}", 422, "invalid_payload", NULL },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":1e400}",
		  422, "invalid_payload", NULL },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":1.5}",
		  422, "invalid_field", "size_bytes" },
		{ "{\"platform_name\":\"nope\",\"oci_ref\":\"r\",\"git_sha\":\"a\"}", 422,
		  "unknown_platform", NULL },
		{ "{\"oci_ref\":\"r\",\"git_sha\":\"a\"}", 422, "invalid_field", "platform_name" },
		{ "{\"platform_name\":\"rpi\",\"git_sha\":\"a\"}", 422, "invalid_field", "oci_ref" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\"}", 422, "invalid_field", "git_sha" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a b\"}", 422,
		  "invalid_field", "git_sha" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"sha256\":\"xyz\"}",
		  422, "invalid_field", "sha256" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"sha256\":\""
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		  422, "invalid_field", "sha256" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"arch\":\"x86\"}",
		  422, "invalid_field", "arch" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"arch\":\"amd64\"}",
		  422, "invalid_field", "arch" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":0}",
		  422, "invalid_field", "size_bytes" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":-5}",
		  422, "invalid_field", "size_bytes" },
		{ "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"a\",\"size_bytes\":\"12\"}",
		  422, "invalid_field", "size_bytes" },
		{ "{\"platform_name\":7,\"oci_ref\":\"r\",\"git_sha\":\"a\"}", 422, "invalid_field",
		  "platform_name" },
		{ "{\"platform_name\":\"rpi\",\"platform_name\":\"rpi\",\"oci_ref\":\"r\"}", 422,
		  "invalid_payload", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dk_webhook_result r;

		deliver(f, &r, cases[i].body, NULL);
		if (r.http_status != cases[i].status || strcmp(r.reason ? r.reason : "", cases[i].reason))
			fail_msg("case %zu (%s): got %d %s", i, cases[i].body, r.http_status,
				 r.reason ? r.reason : "-");
		if (cases[i].field)
			assert_string_equal(r.field, cases[i].field);
		if (strcmp(cases[i].reason, "unknown_platform") == 0)
			assert_string_equal(r.hint, "platform_name='nope' not found in account");
		dk_webhook_result_clear(&r);
	}
	assert_int_equal(count(f, "publications"), 0);
	assert_int_equal(count(f, "jobs"), 0);
	assert_int_equal(count(f, "deliveries"), (int64_t)(sizeof(cases) / sizeof(cases[0])));
}

static void
unknown_revoked_and_unsigned(void **state)
{
	struct fx *f = *state;
	dk_webhook_result r;
	dk_webhook_request req = { .webhook_id = "not-a-uuid", .body = BODY,
				   .body_len = strlen(BODY) };
	dk_webhook *w = NULL, *rot = NULL;
	char hex[65], *newsecret = NULL;

	assert_int_equal(dk_webhook_handle(f->store, f->box, &req, &r), 0);
	assert_int_equal(r.http_status, 404);
	assert_string_equal(r.reason, "unknown_webhook");
	dk_webhook_result_clear(&r);
	req.webhook_id = "6205dfc9-4e0e-46f0-9a69-4bb69bd13f39";
	assert_int_equal(dk_webhook_handle(f->store, f->box, &req, &r), 0);
	assert_int_equal(r.http_status, 404);
	dk_webhook_result_clear(&r);

	deliver(f, &r, BODY, "sha256=0000");
	assert_int_equal(r.http_status, 401);
	assert_string_equal(r.reason, "bad_signature");
	dk_webhook_result_clear(&r);

	/* a secret from before a rotation stops working at once */
	sign_hex(hex, f->secret, BODY, 0);
	assert_int_equal(dk_webhook_rotate(f->store, f->box, &rot, &newsecret, f->acct->id, "ci",
					   "test"), 0);
	deliver(f, &r, BODY, hex);
	assert_int_equal(r.http_status, 401);
	dk_webhook_result_clear(&r);
	free(f->secret);
	f->secret = newsecret;
	deliver(f, &r, BODY, NULL);
	assert_int_equal(r.http_status, 202);
	dk_webhook_result_clear(&r);

	/* unsigned attempts are not counted on the webhook */
	assert_int_equal(dk_store_webhook_find(f->store, &w, f->acct->id, "ci"), 0);
	assert_int_equal(w->received_count, 1);
	dk_webhook_free(w);

	assert_int_equal(dk_webhook_revoke(f->store, &w, f->acct->id, "ci", "test"), 0);
	dk_webhook_free(w);
	deliver(f, &r, BODY, NULL);
	assert_int_equal(r.http_status, 404);
	assert_string_equal(r.reason, "unknown_webhook");
	dk_webhook_result_clear(&r);
	/* the two unknown ids belong to no account */
	assert_int_equal(count(f, "deliveries"), 4);
	assert_int_equal(count(f, "publications"), 1);
	dk_webhook_free(rot);
}

static void
too_large_is_recorded(void **state)
{
	struct fx *f = *state;
	dk_webhook_result r;
	dk_webhook_request req = { .webhook_id = f->hook->id, .too_large = true,
				   .declared_size = 2 << 20 };
	dk_delivery_list *l = NULL;
	dk_delivery_filter df = { .account_id = NULL, .limit = 5 };

	assert_int_equal(dk_webhook_handle(f->store, f->box, &req, &r), 0);
	assert_int_equal(r.http_status, 413);
	dk_webhook_result_clear(&r);
	df.account_id = f->acct->id;
	assert_int_equal(dk_store_delivery_list(f->store, &l, &df), 0);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].http_status, 413);
	assert_int_equal(l->items[0].body_size, 2 << 20);
	assert_null(l->items[0].body_sha256);
	dk_delivery_list_free(l);
}

/* Publishes the row by hand, as ingest will. */
static void
publish(struct fx *f, const char *id)
{
	assert_int_equal(dk_store_publication_transition(f->store, f->acct->id, id, DK_PUB_VERIFYING,
							 NULL), 0);
	assert_int_equal(dk_store_publication_transition(f->store, f->acct->id, id, DK_PUB_PUBLISHED,
							 NULL), 0);
}

static void
published_git_sha_rules(void **state)
{
	struct fx *f = *state;
	dk_webhook_result r;
	dk_publication *p = NULL;
	char *id;
	const char *body_a = "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"g1\","
			     "\"sha256\":\"" SHA_A "\"}";
	const char *body_b = "{\"platform_name\":\"rpi\",\"oci_ref\":\"r2\",\"git_sha\":\"g1\","
			     "\"sha256\":\"" SHA_B "\"}";

	deliver(f, &r, body_a, NULL);
	id = strdup(r.publication_id);
	dk_webhook_result_clear(&r);
	publish(f, id);

	deliver(f, &r, body_a, NULL);
	assert_int_equal(r.http_status, 200);
	assert_string_equal(r.status, "idempotent_hit");
	assert_string_equal(r.note, "already published with this git_sha");
	dk_webhook_result_clear(&r);

	deliver(f, &r, body_b, NULL);
	assert_int_equal(r.http_status, 409);
	assert_string_equal(r.status, "conflict");
	assert_string_equal(r.reason, "published_artifact_mismatch");
	assert_non_null(strstr(r.note, "DIFFERENT artifact"));
	dk_webhook_result_clear(&r);
	/* nothing was written to the published row */
	assert_int_equal(dk_store_publication_get(f->store, &p, f->acct->id, id), 0);
	assert_string_equal(p->artifact_sha256, SHA_A);
	assert_string_equal(p->oci_ref, "r");
	dk_publication_free(p);

	assert_int_equal(dk_store_publication_transition(f->store, f->acct->id, id, DK_PUB_RETIRED,
							 NULL), 0);
	deliver(f, &r, body_a, NULL);
	assert_int_equal(r.http_status, 409);
	assert_string_equal(r.reason, "already_retired");
	dk_webhook_result_clear(&r);
	free(id);
}

static void
digest_pinned_ref_stands_in_for_git_sha(void **state)
{
	struct fx *f = *state;
	dk_webhook_result r;

	deliver(f, &r, "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x@sha256:" SHA_B "\"}", NULL);
	assert_int_equal(r.http_status, 202);
	dk_webhook_result_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_table),
		cmocka_unit_test(signature_decode_rejects_non_32_byte_values),
		cmocka_unit_test_setup_teardown(valid_delivery_queues_a_publication_and_job, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_bodies_write_only_the_delivery_row, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_revoked_and_unsigned, setup, teardown),
		cmocka_unit_test_setup_teardown(too_large_is_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(published_git_sha_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(digest_pinned_ref_stands_in_for_git_sha, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
