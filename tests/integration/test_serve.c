#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "serve_fixture.h"
#include "diskops/error.h"
#include "diskops/model.h"
#include "diskops/store.h"
#include "diskops/store_serve.h"

#define BODY(sha) "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"" sha "\"}"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int
setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	const char *const extra[] = { "--connection-timeout", "1", "--no-ingest", NULL };

	srv_init(s);
	srv_start(s, extra);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct srv *s = *state;

	srv_free(s);
	free(s);
	return 0;
}

static dk_store *
open_store(struct srv *s)
{
	dk_store *st = NULL;
	char *db = tu_path(s->dir, "diskops.db");

	assert_int_equal(dk_store_open(&st, db, NULL), 0);
	free(db);
	return st;
}

/* Expects an answer; returns its parsed body (caller decrefs). */
static json_t *
expect(struct srv *s, const char *body, const char *sig, long status, const char *reason)
{
	struct reply r;
	json_t *j;

	deliver(s, &r, body, sig);
	if (r.status != status)
		fail_msg("%s: got %ld %s, want %ld", body, r.status, r.body, status);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	if (reason)
		assert_string_equal(member(j, "reason"), reason);
	free(r.body);
	return j;
}

static void
signature_encodings_over_http(void **state)
{
	struct srv *s = *state;
	unsigned char mac[32];
	unsigned int n;
	char hex[65], upper[65], b64[64];
	const char *body = BODY("enc1");

	hmac_hex(hex, s->secret, body, strlen(body));
	for (int i = 0; i < 64; i++)
		upper[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	upper[64] = '\0';
	HMAC(EVP_sha256(), s->secret, (int)strlen(s->secret), (const unsigned char *)body,
	     strlen(body), mac, &n);
	EVP_EncodeBlock((unsigned char *)b64, mac, 32);
	json_decref(expect(s, body, NULL, 202, NULL));
	json_decref(expect(s, body, hex, 202, NULL));
	json_decref(expect(s, body, upper, 202, NULL));
	json_decref(expect(s, body, b64, 202, NULL));
	hex[10] = '\0';
	json_decref(expect(s, body, hex, 401, "bad_signature"));
	json_decref(expect(s, body, "", 401, "bad_signature"));
	json_decref(expect(s, "", NULL, 401, "bad_signature"));
}

static void
bad_inputs_over_http(void **state)
{
	struct srv *s = *state;
	struct reply r;
	char *big, path[200];
	json_t *j;

	json_decref(expect(s, "{\"platform_name\":", NULL, 422, "invalid_payload"));
	json_decref(expect(s, "[{\"platform_name\":\"rpi\"}]", NULL, 422, "invalid_payload"));
	json_decref(expect(s, "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"h\","
			   "\"size_bytes\":123456789012345678901234567890}", NULL, 422,
			   "invalid_payload"));
	j = expect(s, "{\"platform_name\":\"nope\",\"oci_ref\":\"r\",\"git_sha\":\"h\"}", NULL, 422,
		   "unknown_platform");
	assert_string_equal(member(j, "hint"), "platform_name='nope' not found in account");
	json_decref(j);
	j = expect(s, "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"h\",\"sha256\":\"12\"}",
		   NULL, 422, "invalid_field");
	assert_string_equal(member(j, "field"), "sha256");
	json_decref(j);
	j = expect(s, "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"h\",\"arch\":\"x86\"}",
		   NULL, 422, "invalid_field");
	assert_string_equal(member(j, "field"), "arch");
	json_decref(j);
	j = expect(s, "{\"platform_name\":\"rpi\",\"oci_ref\":\"r\",\"git_sha\":\"h\",\"size_bytes\":0}",
		   NULL, 422, "invalid_field");
	assert_string_equal(member(j, "field"), "size_bytes");
	json_decref(j);

	/* 2 MiB: refused on its Content-Length, before the body is read */
	big = malloc(2 << 20);
	memset(big, ' ', 2 << 20);
	big[0] = '{';
	big[(2 << 20) - 1] = '}';
	snprintf(path, sizeof(path), "/api/v1/system/webhooks/disk_image/built/%s", s->webhook_id);
	http(s, &r, "POST", path, "X-Powernode-Signature: sha256=00", big, 2 << 20);
	assert_int_equal(r.status, 413);
	free(r.body);
	free(big);

	/* unknown id, malformed id */
	http(s, &r, "POST", "/api/v1/system/webhooks/disk_image/built/"
	     "00000000-0000-4000-8000-000000000000", NULL, "{}", 2);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(r.body, "unknown_webhook"));
	free(r.body);
	http(s, &r, "POST", "/api/v1/system/webhooks/disk_image/built/not-a-uuid", NULL, "{}", 2);
	assert_int_equal(r.status, 404);
	free(r.body);
	http(s, &r, "GET", path, NULL, NULL, 0);
	assert_int_equal(r.status, 405);
	free(r.body);
}

static void
nothing_but_delivery_rows_for_bad_input(void **state)
{
	struct srv *s = *state;
	dk_store *st;
	dk_account *acct = NULL;
	dk_publication_list *pl = NULL;
	dk_job_list *jl = NULL;
	dk_delivery_list *dl = NULL;
	dk_publication_filter pf = { .status = -1, .limit = 100 };
	dk_job_filter jf = { .limit = 100 };
	dk_delivery_filter df = { .limit = 100 };

	bad_inputs_over_http(state);
	st = open_store(s);
	assert_int_equal(dk_store_account_find(st, &acct, "default"), 0);
	pf.account_id = df.account_id = acct->id;
	assert_int_equal(dk_store_publication_list(st, &pl, &pf), 0);
	assert_int_equal(pl->count, 0);
	assert_int_equal(dk_store_job_list(st, &jl, &jf), 0);
	assert_int_equal(jl->count, 0);
	/* rejected requests' rows are written after the answer: wait for them */
	for (;;) {
		assert_int_equal(dk_store_delivery_list(st, &dl, &df), 0);
		if (dl->count >= 8)
			break;
		dk_delivery_list_free(dl);
		usleep(5000);
	}
	assert_int_equal(dl->count, 8);
	dk_delivery_list_free(dl);
	dk_job_list_free(jl);
	dk_publication_list_free(pl);
	dk_account_free(acct);
	dk_store_free(st);
}

static void
idempotency_and_conflicts(void **state)
{
	struct srv *s = *state;
	const char *with_a = "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"g9\","
			     "\"sha256\":\"" SHA_A "\"}";
	const char *with_b = "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:2\",\"git_sha\":\"g9\","
			     "\"sha256\":\"" SHA_B "\"}";
	json_t *first, *again;
	dk_account *acct = NULL;
	dk_store *st;
	const char *revoke[] = { "webhook", "revoke", "ci", "--yes", NULL };

	first = expect(s, with_a, NULL, 202, NULL);
	again = expect(s, with_a, NULL, 202, NULL);
	assert_string_equal(member(first, "publication_id"), member(again, "publication_id"));
	json_decref(again);

	/* publish it by hand, as ingest will */
	st = open_store(s);
	assert_int_equal(dk_store_account_find(st, &acct, "default"), 0);
	assert_int_equal(dk_store_publication_transition(st, acct->id, member(first, "publication_id"),
							 DK_PUB_VERIFYING, NULL), 0);
	assert_int_equal(dk_store_publication_transition(st, acct->id, member(first, "publication_id"),
							 DK_PUB_PUBLISHED, NULL), 0);
	json_decref(expect(s, with_a, NULL, 200, NULL));
	json_decref(expect(s, with_b, NULL, 409, "published_artifact_mismatch"));

	free(cli(s, revoke, 0));
	json_decref(expect(s, with_a, NULL, 404, "unknown_webhook"));
	json_decref(first);
	dk_account_free(acct);
	dk_store_free(st);
}

static int
connect_to(struct srv *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	int fd, port;

	sscanf(s->addr, "%63[^:]:%d", host, &port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
slow_loris_pins_nothing(void **state)
{
	struct srv *s = *state;
	enum { N = 40 };
	int fds[N];
	char buf[64];
	struct reply r;

	/* many clients that never finish their headers */
	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(s);
		assert_true(write(fds[i], "POST /api/v1/system/webhooks/disk_image/built/x HTTP/1.1\r\n"
				  "Host: a\r\nContent-Length: 10\r\n", 79) > 0);
	}
	/* everyone else is still served */
	assert_int_equal(http(s, &r, "GET", "/healthz", NULL, NULL, 0), 0);
	assert_int_equal(r.status, 200);
	free(r.body);
	json_decref(expect(s, BODY("loris"), NULL, 202, NULL));
	/* and the stalled ones are dropped after the connection timeout (1 s here) */
	for (int i = 0; i < N; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		assert_int_equal(poll(&p, 1, -1), 1);
		assert_true(read(fds[i], buf, sizeof(buf)) <= 0);
		close(fds[i]);
	}
}

static void
health_metrics_and_graceful_stop(void **state)
{
	struct srv *s = *state;
	struct reply r;

	json_decref(expect(s, BODY("m1"), NULL, 202, NULL));
	http(s, &r, "GET", "/healthz", NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"queue_depth\":1"));
	free(r.body);
	http(s, &r, "GET", "/metrics", NULL, NULL, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "diskops_webhook_deliveries_total{status=\"queued\",reason=\"\"} 1"));
	assert_non_null(strstr(r.body, "diskops_ingest_jobs{state=\"ready\"} 1"));
	assert_non_null(strstr(r.body, "diskops_publications{status=\"queued\"} 1"));
	assert_non_null(strstr(r.body, "diskops_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
	free(r.body);
	http(s, &r, "GET", "/nope", NULL, NULL, 0);
	assert_int_equal(r.status, 404);
	free(r.body);
	assert_int_equal(srv_stop(s, SIGTERM), 0);
}

/* --- crash: SIGKILL during a burst; every 202 survives, nothing twice --- */

#define BURST_THREADS 6
#define PER_THREAD 400

struct burster {
	struct srv *s;
	int index;
	char accepted[PER_THREAD][40];
	int naccepted;
};

static atomic_int total_accepted;

static void *
burst(void *arg)
{
	struct burster *b = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		char body[256], hex[65], header[120], path[200];
		struct reply r;
		json_t *j;

		snprintf(body, sizeof(body), "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\","
			 "\"git_sha\":\"crash-%d-%d\"}", b->index, i);
		hmac_hex(hex, b->s->secret, body, strlen(body));
		snprintf(header, sizeof(header), "X-Powernode-Signature: %s", hex);
		snprintf(path, sizeof(path), "/api/v1/system/webhooks/disk_image/built/%s",
			 b->s->webhook_id);
		if (http(b->s, &r, "POST", path, header, body, strlen(body)) != 0) {
			free(r.body);
			break;  /* the server is gone */
		}
		if (r.status == 202 && (j = json_loads(r.body, 0, NULL))) {
			snprintf(b->accepted[b->naccepted++], 40, "%s", member(j, "publication_id"));
			json_decref(j);
			atomic_fetch_add(&total_accepted, 1);
		}
		free(r.body);
	}
	return NULL;
}

static void
sigkill_loses_no_accepted_delivery(void **state)
{
	struct srv *s = *state;
	struct burster *b = calloc(BURST_THREADS, sizeof(*b));
	pthread_t t[BURST_THREADS];
	struct timespec tick = { 0, 1000 * 1000 };
	const char *const extra[] = { "--no-ingest", NULL };
	dk_account *acct = NULL;
	dk_store *st;
	int accepted = 0;

	atomic_store(&total_accepted, 0);
	for (int i = 0; i < BURST_THREADS; i++) {
		b[i].s = s;
		b[i].index = i;
		pthread_create(&t[i], NULL, burst, &b[i]);
	}
	while (atomic_load(&total_accepted) < 300)
		nanosleep(&tick, NULL);
	assert_int_equal(srv_stop(s, SIGKILL), 128 + SIGKILL);
	for (int i = 0; i < BURST_THREADS; i++)
		pthread_join(t[i], NULL);
	srv_start(s, extra);

	st = open_store(s);
	assert_int_equal(dk_store_account_find(st, &acct, "default"), 0);
	for (int i = 0; i < BURST_THREADS; i++) {
		for (int k = 0; k < b[i].naccepted; k++) {
			dk_publication *p = NULL;
			dk_job_list *jl = NULL;
			dk_job_filter jf = { .limit = 1000 };
			size_t jobs = 0;

			assert_int_equal(dk_store_publication_get(st, &p, acct->id, b[i].accepted[k]), 0);
			assert_int_equal(p->status, DK_PUB_QUEUED);
			assert_int_equal(dk_store_job_list(st, &jl, &jf), 0);
			for (size_t x = 0; x < jl->count; x++)
				jobs += strcmp(jl->items[x].subject_id, p->id) == 0;
			assert_int_equal(jobs, 1);
			dk_job_list_free(jl);
			dk_publication_free(p);
			accepted++;
		}
	}
	assert_true(accepted >= 300);
	dk_account_free(acct);
	dk_store_free(st);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(signature_encodings_over_http, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_but_delivery_rows_for_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(idempotency_and_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(slow_loris_pins_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(health_metrics_and_graceful_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(sigkill_loses_no_accepted_delivery, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
