#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/model_json.h"
#include "diskops/valid.h"

enum { OPT_PLATFORM = CLI_OPT__COMMAND, OPT_STATUS, OPT_LIMIT };

struct list_args {
	const char *platform;
	int status;
	int limit;
};

static int
list_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct list_args *a = ctx;
	dk_pub_status s;
	int rc;

	(void)c;
	switch (opt) {
	case OPT_PLATFORM: a->platform = arg; break;
	case OPT_STATUS:
		if ((rc = dk_pub_status_parse(&s, arg)) < 0)
			return rc;
		a->status = (int)s;
		break;
	case OPT_LIMIT: return dk_parse_int(&a->limit, "limit", arg, 1, 1000);
	}
	return 0;
}

/* "key" or "keyless: identity", "none" for unsigned rows. */
static const char *
signer(char *buf, size_t len, const dk_publication *p)
{
	if (!p->cosign_verified)
		return p->status == DK_PUB_FAILED ? "rejected" : "unverified";
	if (p->cosign_identity)
		snprintf(buf, len, "%s %s", p->signature_kind, p->cosign_identity);
	else
		snprintf(buf, len, "%s", p->signature_kind ? p->signature_kind : "none");
	return buf;
}

int
cmd_publication_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = {
		"ID", "PLATFORM", "GIT SHA", "STATUS", "SIGNATURE", "SIZE", "CREATED"
	};
	struct list_args a = { NULL, -1, 50 };
	dk_publication_filter f = { 0 };
	dk_publication_list *l = NULL;
	dk_platform *plat = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, list_option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0)
		return rc;
	if (a.platform &&
	    (rc = dk_store_platform_find(c->store, &plat, c->account->id, a.platform)) < 0)
		return rc;
	f.account_id = c->account->id;
	f.platform_id = plat ? plat->id : NULL;
	f.status = a.status;
	f.limit = a.limit;
	if ((rc = dk_store_publication_list(c->store, &l, &f)) < 0)
		goto done;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_publication_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no publications match\n");
	} else {
		struct table *t = table_new(7, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_publication *p = &l->items[i];
			char id[9], sha[13], status[32], sig[160], size[16], age[24];
			const char *row[7];

			snprintf(status, sizeof(status), "%s%s", dk_pub_status_name(p->status),
				 p->is_default ? " *" : "");
			row[0] = cli_short(id, p->id, 8);
			row[1] = p->platform_name;
			row[2] = cli_short(sha, p->git_sha, 12);
			row[3] = status;
			row[4] = signer(sig, sizeof(sig), p);
			row[5] = cli_human_size(size, p->size_bytes);
			row[6] = dk_clock_age(age, p->created_at);
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
		printf("* = the platform's default (what nodes boot)\n");
	}
done:
	dk_publication_list_free(l);
	dk_platform_free(plat);
	return rc;
}

static void
print_publication(const dk_publication *p)
{
	char when[32], size[16], sig[160], idx[24];

	cli_kv(stdout, "id", p->id);
	cli_kv(stdout, "platform", p->platform_name);
	cli_kv(stdout, "status", dk_pub_status_name(p->status));
	cli_kv(stdout, "default", p->is_default ? "yes (nodes boot this image)" : "no");
	cli_kv(stdout, "git sha", p->git_sha);
	cli_kv(stdout, "oci ref", p->oci_ref);
	cli_kv(stdout, "manifest digest", p->oci_digest);
	cli_kv(stdout, "artifact sha256", p->artifact_sha256);
	cli_kv(stdout, "size", cli_human_size(size, p->size_bytes));
	cli_kv(stdout, "arch", p->arch);
	cli_kv(stdout, "firmware", p->firmware_ref);
	cli_kv(stdout, "sbom", p->sbom_url);
	cli_kv(stdout, "signature", signer(sig, sizeof(sig), p));
	cli_kv(stdout, "issuer", p->cosign_issuer);
	snprintf(idx, sizeof(idx), "%lld", (long long)p->tlog_index);
	cli_kv(stdout, "tlog index", p->tlog_index >= 0 ? idx : NULL);
	cli_kv(stdout, "error", p->error_message);
	snprintf(idx, sizeof(idx), "%d", p->attempt_count);
	cli_kv(stdout, "attempts", idx);
	cli_kv(stdout, "webhook", p->webhook_id);
	cli_kv(stdout, "built", dk_clock_iso(when, p->built_at));
	cli_kv(stdout, "verified", dk_clock_iso(when, p->verified_at));
	cli_kv(stdout, "published", dk_clock_iso(when, p->published_at));
	cli_kv(stdout, "retired", dk_clock_iso(when, p->retired_at));
	cli_kv(stdout, "purged", dk_clock_iso(when, p->purged_at));
	cli_kv(stdout, "created", dk_clock_iso(when, p->created_at));
}

int
cmd_publication_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_publication *p = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one publication ID");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_publication_get(c->store, &p, c->account->id, argv[optind])) < 0)
		return rc;
	if (c->json)
		cli_print_json(dk_publication_to_json(p));
	else
		print_publication(p);
	dk_publication_free(p);
	return 0;
}
