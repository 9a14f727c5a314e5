#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/store_serve.h"
#include "http_internal.h"

const double *http_bucket_bounds(void);
const char *http_outcome_status(int i);
const char *http_outcome_reason(int i);

static const char *const job_states[DK_JOB__STATES] = { "ready", "leased", "done", "dead" };

/* A growing text buffer; on allocation failure it stays as it was. */
struct buf {
	char *data;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = b->cap ? b->cap * 2 : 4096;
			char *d;

			while (cap - b->len <= (size_t)n)
				cap *= 2;
			if (!(d = realloc(b->data, cap)))
				return;
			b->data = d;
			b->cap = cap;
		}
	}
}


int
http_metrics(http_req *r, http_resp *out)
{
	dk_serve *srv = r->srv;
	dk_store *store = http_store(srv);
	const double *le = http_bucket_bounds();
	int64_t pubs[DK_PUB__COUNT], jobs[DK_JOB__STATES];
	struct buf b = { 0 };
	long cum = 0;

	put(&b, "# HELP diskops_webhook_deliveries_total Webhook deliveries by answer.\n"
		"# TYPE diskops_webhook_deliveries_total counter\n");
	for (int i = 0; i < OUT__COUNT; i++)
		put(&b, "diskops_webhook_deliveries_total{status=\"%s\",reason=\"%s\"} %ld\n",
		    http_outcome_status(i), http_outcome_reason(i), atomic_load(&srv->deliveries[i]));
	put(&b, "# HELP diskops_http_request_duration_seconds Time from request to answer.\n"
		"# TYPE diskops_http_request_duration_seconds histogram\n");
	for (int i = 0; i <= HTTP_LATENCY_BUCKETS; i++) {
		cum += atomic_load(&srv->latency[i]);
		if (i < HTTP_LATENCY_BUCKETS)
			put(&b, "diskops_http_request_duration_seconds_bucket{le=\"%g\"} %ld\n", le[i], cum);
		else
			put(&b, "diskops_http_request_duration_seconds_bucket{le=\"+Inf\"} %ld\n", cum);
	}
	put(&b, "diskops_http_request_duration_seconds_sum %.6f\n"
		"diskops_http_request_duration_seconds_count %ld\n",
	    (double)atomic_load(&srv->latency_sum_us) / 1e6, atomic_load(&srv->requests));
	put(&b, "# HELP diskops_commit_queue_length Writes waiting for the next group commit.\n"
		"# TYPE diskops_commit_queue_length gauge\ndiskops_commit_queue_length %zu\n",
	    dk_batcher_pending(srv->batcher));
	if (!store || dk_store_job_counts(store, "ingest", jobs) < 0 ||
	    dk_store_publication_counts(store, pubs) < 0) {
		free(b.data);
		http_text(out, 503, "text/plain", strdup("store unavailable\n"));
		return 0;
	}
	put(&b, "# HELP diskops_ingest_jobs Ingest jobs by state.\n# TYPE diskops_ingest_jobs gauge\n");
	for (int i = 0; i < DK_JOB__STATES; i++)
		put(&b, "diskops_ingest_jobs{state=\"%s\"} %lld\n", job_states[i], (long long)jobs[i]);
	put(&b, "# HELP diskops_publications Publications by status.\n"
		"# TYPE diskops_publications gauge\n");
	for (int i = 0; i < DK_PUB__COUNT; i++)
		put(&b, "diskops_publications{status=\"%s\"} %lld\n", dk_pub_status_name((dk_pub_status)i),
		    (long long)pubs[i]);
	put(&b, "# HELP diskops_retention_last_sweep_timestamp_seconds Last retention sweep "
		"(0: never).\n# TYPE diskops_retention_last_sweep_timestamp_seconds gauge\n"
		"diskops_retention_last_sweep_timestamp_seconds %lld\n",
	    /* a platform's sweep that changed something, or the agent's daily one */
	    (long long)dk_event_newest(store, NULL, "system.disk_image_retention_"));
	http_text(out, 200, "text/plain; version=0.0.4; charset=utf-8", b.data);
	return 0;
}

int
http_healthz(http_req *r, http_resp *out)
{
	dk_store *store = http_store(r->srv);
	int64_t jobs[DK_JOB__STATES], version;

	if (!store || dk_store_data_version(store, &version) < 0 ||
	    dk_store_job_counts(store, "ingest", jobs) < 0) {
		http_json(out, 503, json_pack("{s:s, s:s}", "status", "unavailable", "store",
					      dk_error_last()->message));
		return 0;
	}
	http_json(out, 200, json_pack("{s:s, s:s, s:I, s:I, s:I}", "status", "ok", "store", "ok",
				      "queue_depth", (json_int_t)(jobs[DK_JOB_READY] + jobs[DK_JOB_LEASED]),
				      "dead_jobs", (json_int_t)jobs[DK_JOB_DEAD],
				      "pending_commits", (json_int_t)dk_batcher_pending(r->srv->batcher)));
	return 0;
}
