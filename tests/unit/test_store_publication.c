#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "testutil.h"
#include "storeutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/store.h"
/* Raw statements of its own, finalized here, not the connection's cache. */
#define DK_STORE_CORE
#include "../../core/store_internal.h"

#define F ((su_fixture *)*state)

static dk_publication *
get(dk_store *s, const char *account, const char *id)
{
	dk_publication *p = NULL;

	if (dk_store_publication_get(s, &p, account, id) < 0)
		fail_msg("get %s: %s", id, dk_error_last()->message);
	return p;
}

static void
assert_same_row(const dk_publication *a, const dk_publication *b)
{
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->attempt_count, b->attempt_count);
	assert_int_equal(a->updated_at, b->updated_at);
	assert_int_equal(a->verified_at, b->verified_at);
	assert_int_equal(a->published_at, b->published_at);
	assert_int_equal(a->retired_at, b->retired_at);
	assert_int_equal(a->purged_at, b->purged_at);
	if (a->error_message || b->error_message) {
		assert_non_null(a->error_message);
		assert_non_null(b->error_message);
		assert_string_equal(a->error_message, b->error_message);
	}
}

/* Sets the platform's boot pointer with raw SQL on the store's own connection (no API yet). */
static int
set_default(dk_store *s, const char *platform_id, const char *pub_id)
{
	char sql[256];

	if (pub_id)
		snprintf(sql, sizeof(sql), "UPDATE node_platform SET default_publication_id = '%s'"
			 " WHERE id = '%s'", pub_id, platform_id);
	else
		snprintf(sql, sizeof(sql), "UPDATE node_platform SET default_publication_id = NULL"
			 " WHERE id = '%s'", platform_id);
	return dk_store__exec(s, sql);
}

/* ---- insert and constraints ---- */

static void
insert_round_trips_every_field(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	char digest[80], artifact[65];
	dk_publication row = {
		.account_id = F->a->id, .node_platform_id = pl->id, .git_sha = "0123abcd",
		.oci_ref = "registry.example/images/deb@sha256:x", .artifact_sha256 = artifact,
		.size_bytes = 123456789, .arch = "amd64", .firmware_ref = "fw-1", .sbom_url = "https://s/b",
		.status = DK_PUB_VERIFYING, .cosign_verified = true, .cosign_identity = "id", .cosign_issuer = "iss",
		.signature_kind = "keyless", .tlog_index = 42, .attempt_count = 2,
		.payload = "{\"ref\":\"main\"}", .built_at = 1799999000, .created_at = 1799999500,
	}, *p = NULL;

	snprintf(artifact, sizeof(artifact), "%s", su_hex64(1));
	snprintf(digest, sizeof(digest), "sha256:%s", su_hex64(2));
	row.oci_digest = digest;
	assert_int_equal(dk_store_publication_insert(F->s, &p, &row), 0);
	assert_true(p->id && strlen(p->id) == 36);
	assert_string_equal(p->account_id, F->a->id);
	assert_string_equal(p->node_platform_id, pl->id);
	assert_string_equal(p->platform_name, "deb");
	assert_string_equal(p->git_sha, "0123abcd");
	assert_string_equal(p->oci_ref, row.oci_ref);
	assert_string_equal(p->oci_digest, digest);
	assert_string_equal(p->artifact_sha256, artifact);
	assert_int_equal(p->size_bytes, 123456789);
	assert_string_equal(p->firmware_ref, "fw-1");
	assert_string_equal(p->sbom_url, "https://s/b");
	assert_int_equal(p->status, DK_PUB_VERIFYING);
	assert_false(p->is_default);
	assert_true(p->cosign_verified);
	assert_string_equal(p->cosign_identity, "id");
	assert_string_equal(p->cosign_issuer, "iss");
	assert_string_equal(p->signature_kind, "keyless");
	assert_int_equal(p->tlog_index, 42);
	assert_int_equal(p->attempt_count, 2);
	assert_string_equal(p->payload, "{\"ref\":\"main\"}");
	assert_int_equal(p->built_at, 1799999000);
	assert_int_equal(p->created_at, 1799999500);
	assert_int_equal(p->updated_at, 1800000000);
	assert_int_equal(p->published_at, 0);
	dk_publication_free(p);

	/* minimal row: defaults */
	p = su_publication(F->s, pl, "feedface", DK_PUB_QUEUED);
	assert_string_equal(p->payload, "{}");
	assert_string_equal(p->signature_kind, "none");
	assert_int_equal(p->tlog_index, -1);
	assert_int_equal(p->created_at, 1800000000);
	assert_null(p->oci_digest);
	dk_publication_free(p);
	dk_platform_free(pl);
}

static void
insert_refuses_bad_values(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	char upper[65], short63[64], bad_digest[3][90];
	const char *digests[3];

	strcpy(upper, su_hex64(3));
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	memcpy(short63, su_hex64(4), 63);
	short63[63] = '\0';
	snprintf(bad_digest[0], sizeof(bad_digest[0]), "%s", su_hex64(5));              /* no prefix */
	snprintf(bad_digest[1], sizeof(bad_digest[1]), "sha512:%s", su_hex64(5));
	snprintf(bad_digest[2], sizeof(bad_digest[2]), "sha256:%.63s", su_hex64(5));
	for (int i = 0; i < 3; i++)
		digests[i] = bad_digest[i];

	struct { const char *what; dk_publication row; } bad[] = {
		{ "upper-case artifact sha", { .artifact_sha256 = upper } },
		{ "63-char artifact sha", { .artifact_sha256 = short63 } },
		{ "65-char artifact sha", { .artifact_sha256 = "0" } },  /* replaced below */
		{ "digest without prefix", { .oci_digest = (char *)digests[0] } },
		{ "sha512 digest", { .oci_digest = (char *)digests[1] } },
		{ "short digest", { .oci_digest = (char *)digests[2] } },
		{ "payload not JSON", { .payload = "{\"a\":" } },
		{ "arch x86", { .arch = "x86" } },
		{ "empty git sha", { .git_sha = "" } },
		{ "published without published_at", { .status = DK_PUB_PUBLISHED } },
		{ "negative size", { .size_bytes = -5 } },
		{ "unknown signature kind", { .signature_kind = "pgp" } },
	};
	char long65[66];

	snprintf(long65, sizeof(long65), "%s0", su_hex64(6));
	bad[2].row.artifact_sha256 = long65;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dk_publication row = bad[i].row, *p = NULL;

		row.account_id = F->a->id;
		row.node_platform_id = pl->id;
		if (!row.git_sha)
			row.git_sha = "abc";
		if (!row.arch)
			row.arch = "amd64";
		if (dk_store_publication_insert(F->s, &p, &row) != DK_EINVALID)
			fail_msg("%s: not refused as invalid (%s)", bad[i].what, dk_error_last()->message);
		assert_null(p);
	}
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM disk_image_publication"), 0);
	dk_platform_free(pl);
}

static void
git_sha_is_unique_per_platform(void **state)
{
	dk_platform *p1 = su_platform(F->s, F->a->id, "one"), *p2 = su_platform(F->s, F->a->id, "two");
	dk_publication row = { .account_id = F->a->id, .node_platform_id = p1->id, .git_sha = "abc",
			       .arch = "amd64" }, *p = NULL;

	dk_publication_free(su_publication(F->s, p1, "abc", DK_PUB_QUEUED));
	assert_int_equal(dk_store_publication_insert(F->s, &p, &row), DK_ECONFLICT);
	assert_null(p);
	assert_non_null(strstr(dk_error_last()->message, "abc"));
	/* same sha on another platform is a different publication */
	dk_publication_free(su_publication(F->s, p2, "abc", DK_PUB_QUEUED));
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM disk_image_publication"), 2);
	assert_int_equal(dk_store_publication_find_sha(F->s, &p, F->a->id, p2->id, "abc"), 0);
	assert_string_equal(p->platform_name, "two");
	dk_publication_free(p);
	assert_int_equal(dk_store_publication_find_sha(F->s, &p, F->a->id, p2->id, "abd"), DK_ENOTFOUND);
	dk_platform_free(p1);
	dk_platform_free(p2);
}

/* ---- scoping ---- */

static void
another_accounts_publication_is_not_found(void **state)
{
	dk_platform *pb = su_platform(F->s, F->b->id, "b-plat");
	dk_publication *pub = su_publication(F->s, pb, "bbbb", DK_PUB_VERIFYING), *p = NULL, *after;
	dk_publication_filter f = { .account_id = F->a->id, .status = -1 };
	dk_publication_list *l = NULL;

	assert_int_equal(dk_store_publication_get(F->s, &p, F->a->id, pub->id), DK_ENOTFOUND);
	assert_null(p);
	assert_int_equal(dk_store_publication_find_sha(F->s, &p, F->a->id, pb->id, "bbbb"), DK_ENOTFOUND);
	dk_clock_advance(10);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, pub->id, DK_PUB_PUBLISHED, NULL),
			 DK_ENOTFOUND);
	after = get(F->s, F->b->id, pub->id);
	assert_same_row(after, pub);
	dk_publication_free(after);
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 0);
	dk_publication_list_free(l);
	f.platform_id = pb->id;
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 0);
	dk_publication_list_free(l);
	dk_publication_free(pub);
	dk_platform_free(pb);
}

static void
insert_into_another_accounts_platform_is_refused(void **state)
{
	dk_platform *pb = su_platform(F->s, F->b->id, "b-plat");
	dk_publication row = { .account_id = F->a->id, .node_platform_id = pb->id, .git_sha = "abc",
			       .arch = "amd64" }, *p = NULL;

	assert_int_equal(dk_store_publication_insert(F->s, &p, &row), DK_ENOTFOUND);
	assert_null(p);
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM disk_image_publication"), 0);
	row.node_platform_id = "no-such-platform";
	assert_int_equal(dk_store_publication_insert(F->s, &p, &row), DK_ENOTFOUND);
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM disk_image_publication"), 0);
	dk_platform_free(pb);
}

/* ---- list ---- */

static void
list_is_newest_first_with_filters(void **state)
{
	dk_platform *p1 = su_platform(F->s, F->a->id, "one"), *p2 = su_platform(F->s, F->a->id, "two");
	dk_publication_filter f = { .account_id = F->a->id, .status = -1 };
	dk_publication_list *l = NULL;
	const char *order[] = { "s5", "s4", "s3", "s2", "s1", "s0" };

	/* s0..s5 alternate platforms; s4 and s5 share a created_at (insertion order breaks the tie) */
	for (int i = 0; i < 6; i++) {
		char sha[16];

		snprintf(sha, sizeof(sha), "s%d", i);
		dk_publication_free(su_publication(F->s, i % 2 ? p2 : p1, sha,
						   i == 3 ? DK_PUB_FAILED : DK_PUB_QUEUED));
		if (i < 4)
			dk_clock_advance(60);
	}
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(l->items[i].git_sha, order[i]);
	dk_publication_list_free(l);

	f.platform_id = p2->id;
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 3);
	assert_string_equal(l->items[0].git_sha, "s5");
	assert_string_equal(l->items[1].git_sha, "s3");
	assert_string_equal(l->items[2].git_sha, "s1");
	dk_publication_list_free(l);

	f.status = DK_PUB_FAILED;
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].git_sha, "s3");
	assert_string_equal(l->items[0].error_message, "earlier failure");
	dk_publication_list_free(l);

	f.platform_id = p1->id;
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 0);
	dk_publication_list_free(l);

	f.platform_id = NULL;
	f.status = -1;
	f.limit = 2;
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].git_sha, "s5");
	assert_string_equal(l->items[1].git_sha, "s4");
	dk_publication_list_free(l);
	dk_platform_free(p1);
	dk_platform_free(p2);
}

/* ---- transitions through the store ---- */

static void
check_stamps(dk_pub_status from, dk_pub_status to, const dk_publication *b, const dk_publication *a,
	     int64_t now)
{
	assert_int_equal(a->status, to);
	assert_int_equal(a->updated_at, now);
	assert_int_equal(a->attempt_count, b->attempt_count + (to == DK_PUB_VERIFYING));
	switch (to) {
	case DK_PUB_VERIFYING:
		assert_null(a->error_message);
		break;
	case DK_PUB_PUBLISHED:
		assert_int_equal(a->published_at, now);
		assert_null(a->error_message);
		if (from == DK_PUB_RETIRED) {
			assert_int_equal(a->retired_at, 0);         /* cleared on reactivate */
			assert_int_equal(a->verified_at, b->verified_at);
		} else {
			assert_int_equal(a->verified_at, now);
		}
		break;
	case DK_PUB_FAILED:
		assert_non_null(a->error_message);
		assert_string_equal(a->error_message, "cosign: no matching signatures");
		break;
	case DK_PUB_RETIRED:
		assert_int_equal(a->retired_at, now);
		assert_int_equal(a->published_at, b->published_at);
		break;
	case DK_PUB_PURGED:
		assert_int_equal(a->purged_at, now);
		assert_int_equal(a->retired_at, b->retired_at);
		break;
	default:
		break;
	}
	if (to != DK_PUB_PUBLISHED && to != DK_PUB_RETIRED)
		assert_int_equal(a->retired_at, b->retired_at);
	if (to != DK_PUB_PURGED)
		assert_int_equal(a->purged_at, 0);
}

static void
every_transition_through_the_store(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	int legal = 0, illegal = 0;

	for (int from = 0; from < DK_PUB__COUNT; from++) {
		for (int to = 0; to < DK_PUB__COUNT; to++) {
			char sha[32];
			dk_publication *b, *a;
			int rc;

			snprintf(sha, sizeof(sha), "sha-%d-%d", from, to);
			b = su_publication(F->s, pl, sha, (dk_pub_status)from);
			dk_clock_advance(100);
			rc = dk_store_publication_transition(F->s, F->a->id, b->id, (dk_pub_status)to,
							     "cosign: no matching signatures");
			a = get(F->s, F->a->id, b->id);
			if (dk_pub_transition_allowed((dk_pub_status)from, (dk_pub_status)to)) {
				if (rc != 0)
					fail_msg("%s -> %s refused: %s", dk_pub_status_name((dk_pub_status)from),
						 dk_pub_status_name((dk_pub_status)to), dk_error_last()->message);
				check_stamps((dk_pub_status)from, (dk_pub_status)to, b, a, dk_clock_now());
				legal++;
			} else {
				char both[64];

				assert_int_equal(rc, DK_ESTATE);
				snprintf(both, sizeof(both), "from %s to %s", dk_pub_status_name((dk_pub_status)from),
					 dk_pub_status_name((dk_pub_status)to));
				if (!strstr(dk_error_last()->message, both))
					fail_msg("message \"%s\" lacks \"%s\"", dk_error_last()->message, both);
				assert_same_row(a, b);
				illegal++;
			}
			dk_publication_free(a);
			dk_publication_free(b);
		}
	}
	assert_int_equal(legal, 14);
	assert_int_equal(illegal, 35);
	dk_platform_free(pl);
}

static void
a_life_cycle_counts_attempts(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	dk_publication *p = su_publication(F->s, pl, "abc", DK_PUB_QUEUED), *x;
	const char *id = p->id, *acct = F->a->id;

	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_AWAITING_UPLOAD, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_VERIFYING, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_FAILED, "registry 503"), 0);
	x = get(F->s, acct, id);
	assert_string_equal(x->error_message, "registry 503");
	assert_int_equal(x->attempt_count, 1);
	dk_publication_free(x);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_VERIFYING, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_VERIFYING, NULL), 0);
	dk_clock_advance(30);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_PUBLISHED, NULL), 0);
	x = get(F->s, acct, id);
	assert_int_equal(x->attempt_count, 3);
	assert_null(x->error_message);
	assert_int_equal(x->verified_at, 1800000030);
	assert_int_equal(x->published_at, 1800000030);
	dk_publication_free(x);
	dk_clock_advance(30);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_RETIRED, NULL), 0);
	dk_clock_advance(30);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_PUBLISHED, NULL), 0);
	x = get(F->s, acct, id);
	assert_int_equal(x->published_at, 1800000090);
	assert_int_equal(x->verified_at, 1800000030);
	assert_int_equal(x->retired_at, 0);
	dk_publication_free(x);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_RETIRED, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_PURGED, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, acct, id, DK_PUB_RETIRED, NULL), DK_ESTATE);
	x = get(F->s, acct, id);
	assert_int_equal(x->status, DK_PUB_PURGED);
	assert_int_equal(x->attempt_count, 3);
	dk_publication_free(x);
	dk_publication_free(p);
	dk_platform_free(pl);
}

static void
failed_needs_an_error_message(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	dk_publication *p = su_publication(F->s, pl, "abc", DK_PUB_VERIFYING), *x;

	dk_clock_advance(10);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, p->id, DK_PUB_FAILED, NULL), DK_EINVALID);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, p->id, DK_PUB_FAILED, ""), DK_EINVALID);
	assert_non_null(strstr(dk_error_last()->message, "error message"));
	x = get(F->s, F->a->id, p->id);
	assert_same_row(x, p);
	dk_publication_free(x);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, "nope", DK_PUB_FAILED, "x"), DK_ENOTFOUND);
	dk_publication_free(p);
	dk_platform_free(pl);
}

static void
transition_inside_a_rolled_back_transaction_is_undone(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "deb");
	dk_publication *p = su_publication(F->s, pl, "abc", DK_PUB_VERIFYING), *x;

	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, p->id, DK_PUB_PUBLISHED, NULL), 0);
	x = get(F->s, F->a->id, p->id);
	assert_int_equal(x->status, DK_PUB_PUBLISHED);
	dk_publication_free(x);
	dk_store_rollback(F->s);
	x = get(F->s, F->a->id, p->id);
	assert_int_equal(x->status, DK_PUB_VERIFYING);
	dk_publication_free(x);
	dk_publication_free(p);
	dk_platform_free(pl);
}

/* ---- the boot pointer ---- */

static void
default_must_be_a_published_row_of_the_platform(void **state)
{
	dk_platform *p1 = su_platform(F->s, F->a->id, "one"), *p2 = su_platform(F->s, F->a->id, "two"), *x;
	dk_publication *ver = su_publication(F->s, p1, "v", DK_PUB_VERIFYING);
	dk_publication *ret = su_publication(F->s, p1, "r", DK_PUB_RETIRED);
	dk_publication *pub = su_publication(F->s, p1, "p", DK_PUB_PUBLISHED);
	dk_publication *other = su_publication(F->s, p2, "o", DK_PUB_PUBLISHED);
	char sql[256];

	assert_int_equal(set_default(F->s, p1->id, ver->id), DK_ESTATE);
	assert_non_null(strstr(dk_error_last()->message, "published"));
	assert_int_equal(set_default(F->s, p1->id, ret->id), DK_ESTATE);
	assert_int_equal(set_default(F->s, p1->id, other->id), DK_ESTATE);
	assert_int_equal(set_default(F->s, p1->id, "no-such-row"), DK_ESTATE);
	/* a second connection is held to the same rule */
	snprintf(sql, sizeof(sql), "UPDATE node_platform SET default_publication_id = '%s' WHERE id = '%s'",
		 other->id, p1->id);
	assert_int_equal(su_sql_exec(F->path, sql), SQLITE_CONSTRAINT);
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM node_platform"
				    " WHERE default_publication_id IS NOT NULL"), 0);

	assert_int_equal(set_default(F->s, p1->id, pub->id), 0);
	assert_int_equal(dk_store_platform_find(F->s, &x, F->a->id, "one"), 0);
	assert_string_equal(x->default_publication_id, pub->id);
	assert_string_equal(x->default_git_sha, "p");
	assert_int_equal(x->default_published_at, pub->published_at);
	dk_platform_free(x);
	assert_int_equal(set_default(F->s, p1->id, NULL), 0);   /* clearing is fine */

	dk_publication_free(ver);
	dk_publication_free(ret);
	dk_publication_free(pub);
	dk_publication_free(other);
	dk_platform_free(p1);
	dk_platform_free(p2);
}

static void
is_default_is_derived(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "one"), *p2 = su_platform(F->s, F->a->id, "two");
	dk_publication *a = su_publication(F->s, pl, "a", DK_PUB_PUBLISHED);
	dk_publication *b = su_publication(F->s, pl, "b", DK_PUB_PUBLISHED);
	dk_publication *c = su_publication(F->s, p2, "c", DK_PUB_PUBLISHED);
	dk_publication_filter f = { .account_id = F->a->id, .status = -1 };
	dk_publication_list *l = NULL;
	dk_publication *x;

	assert_false(a->is_default);
	assert_int_equal(set_default(F->s, pl->id, a->id), 0);
	x = get(F->s, F->a->id, a->id);
	assert_true(x->is_default);
	dk_publication_free(x);
	x = get(F->s, F->a->id, b->id);
	assert_false(x->is_default);
	dk_publication_free(x);
	/* moving the pointer moves the flag */
	assert_int_equal(set_default(F->s, pl->id, b->id), 0);
	assert_int_equal(dk_store_publication_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 3);
	for (size_t i = 0; i < l->count; i++)
		assert_int_equal(l->items[i].is_default, strcmp(l->items[i].git_sha, "b") == 0);
	dk_publication_list_free(l);
	dk_publication_free(a);
	dk_publication_free(b);
	dk_publication_free(c);
	dk_platform_free(pl);
	dk_platform_free(p2);
}

static void
retiring_the_default_is_refused(void **state)
{
	dk_platform *pl = su_platform(F->s, F->a->id, "one");
	dk_publication *p = su_publication(F->s, pl, "a", DK_PUB_PUBLISHED), *x;

	assert_int_equal(set_default(F->s, pl->id, p->id), 0);
	dk_clock_advance(10);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, p->id, DK_PUB_RETIRED, NULL), DK_ESTATE);
	assert_non_null(strstr(dk_error_last()->message, "default"));
	assert_non_null(strstr(dk_error_last()->message, "published"));
	assert_non_null(strstr(dk_error_last()->message, "retired"));
	x = get(F->s, F->a->id, p->id);
	assert_same_row(x, p);
	assert_true(x->is_default);
	dk_publication_free(x);
	/* once the pointer moves, it can go */
	assert_int_equal(set_default(F->s, pl->id, NULL), 0);
	assert_int_equal(dk_store_publication_transition(F->s, F->a->id, p->id, DK_PUB_RETIRED, NULL), 0);
	dk_publication_free(p);
	dk_platform_free(pl);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, su_setup, su_teardown)
	const struct CMUnitTest tests[] = {
		T(insert_round_trips_every_field),
		T(insert_refuses_bad_values),
		T(git_sha_is_unique_per_platform),
		T(another_accounts_publication_is_not_found),
		T(insert_into_another_accounts_platform_is_refused),
		T(list_is_newest_first_with_filters),
		T(every_transition_through_the_store),
		T(a_life_cycle_counts_attempts),
		T(failed_needs_an_error_message),
		T(transition_inside_a_rolled_back_transaction_is_undone),
		T(default_must_be_a_published_row_of_the_platform),
		T(is_default_is_derived),
		T(retiring_the_default_is_refused),
	};
	return cmocka_run_group_tests_name("store_publication", tests, NULL, NULL);
}
