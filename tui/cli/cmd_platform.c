#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/model_json.h"
#include "diskops/platform.h"
#include "diskops/pubkey.h"
#include "diskops/valid.h"

enum {
	OPT_NAME = CLI_OPT__COMMAND,
	OPT_ARCH,
	OPT_RETENTION,
	OPT_IDENTITY,
	OPT_ISSUER,
	OPT_TRUSTED_KEY,
	OPT_CLEAR_KEYS,
	OPT_TLOG,
	OPT_BUILD_REPO,
	OPT_WORKFLOW,
};

#define PLATFORM_SETTINGS \
	{ "arch", required_argument, NULL, OPT_ARCH }, \
	{ "retention", required_argument, NULL, OPT_RETENTION }, \
	{ "identity-regexp", required_argument, NULL, OPT_IDENTITY }, \
	{ "issuer-regexp", required_argument, NULL, OPT_ISSUER }, \
	{ "trusted-key", required_argument, NULL, OPT_TRUSTED_KEY }, \
	{ "clear-trusted-keys", no_argument, NULL, OPT_CLEAR_KEYS }, \
	{ "tlog", required_argument, NULL, OPT_TLOG }, \
	{ "build-repo", required_argument, NULL, OPT_BUILD_REPO }, \
	{ "workflow-file", required_argument, NULL, OPT_WORKFLOW }

struct settings {
	dk_platform_spec spec;
	char *keys;             /* concatenated PEM of every --trusted-key */
	bool clear_keys;
};

static int
add_key_file(struct settings *s, const char *path)
{
	char *pem, *joined;
	size_t have = s->keys ? strlen(s->keys) : 0;
	int rc;

	if ((rc = dk_pubkey_read_file(&pem, path)) < 0)
		return rc;
	joined = realloc(s->keys, have + strlen(pem) + 2);
	if (!joined) {
		free(pem);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	memcpy(joined + have, pem, strlen(pem) + 1);
	if (joined[strlen(joined) - 1] != '\n')
		strcat(joined, "\n");
	s->keys = joined;
	free(pem);
	return 0;
}

static int
setting(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct settings *s = ctx;
	dk_platform_spec *p = &s->spec;
	int rc;

	(void)c;
	switch (opt) {
	case OPT_NAME: p->set |= DK_PLATFORM_NAME; p->name = arg; break;
	case OPT_ARCH: p->set |= DK_PLATFORM_ARCH; p->arch = arg; break;
	case OPT_RETENTION:
		/* Any integer parses, so the range message is the retention rule's own. */
		if ((rc = dk_parse_int(&p->retention_count, "retention", arg, -1000000, 1000000)) < 0)
			return rc;
		p->set |= DK_PLATFORM_RETENTION;
		break;
	case OPT_IDENTITY: p->set |= DK_PLATFORM_IDENTITY_RE; p->identity_regexp = arg; break;
	case OPT_ISSUER: p->set |= DK_PLATFORM_ISSUER_RE; p->issuer_regexp = arg; break;
	case OPT_TRUSTED_KEY:
		if ((rc = add_key_file(s, arg)) < 0)
			return rc;
		p->set |= DK_PLATFORM_TRUSTED_KEYS;
		break;
	case OPT_CLEAR_KEYS: s->clear_keys = true; p->set |= DK_PLATFORM_TRUSTED_KEYS; break;
	case OPT_TLOG: p->set |= DK_PLATFORM_TLOG; p->tlog_policy = arg; break;
	case OPT_BUILD_REPO: p->set |= DK_PLATFORM_BUILD_REPO; p->build_repo = arg; break;
	case OPT_WORKFLOW: p->set |= DK_PLATFORM_WORKFLOW; p->workflow_file = arg; break;
	}
	return 0;
}

static int
finish_settings(struct cli *c, struct settings *s)
{
	if (s->clear_keys && s->keys)
		return cli_usage_error(c, "--clear-trusted-keys and --trusted-key exclude each other");
	s->spec.trusted_keys = s->clear_keys ? "" : s->keys;
	return 0;
}

static void
print_platform(const dk_platform *p)
{
	char when[32], buf[96];
	dk_pubkey_info *keys = NULL;
	size_t nkeys = 0;

	cli_kv(stdout, "name", p->name);
	cli_kv(stdout, "id", p->id);
	cli_kv(stdout, "arch", p->arch);
	cli_kv(stdout, "status", p->publication_status);
	if (p->publication_error)
		cli_kv(stdout, "last error", p->publication_error);
	cli_kv(stdout, "default publication", p->default_publication_id);
	cli_kv(stdout, "default git sha", p->default_git_sha);
	cli_kv(stdout, "default image", p->disk_image_oci_ref);
	snprintf(buf, sizeof(buf), "%d published images", p->retention_count);
	cli_kv(stdout, "retention", buf);
	cli_kv(stdout, "trust", dk_platform_trust(p));
	cli_kv(stdout, "identity regexp", p->cosign_identity_regexp);
	cli_kv(stdout, "issuer regexp", p->cosign_issuer_regexp);
	if (p->trusted_keys && dk_pubkey_parse_all(&keys, &nkeys, p->trusted_keys, "keys") == 0) {
		for (size_t i = 0; i < nkeys; i++) {
			snprintf(buf, sizeof(buf), "%s %s", keys[i].type, keys[i].fingerprint);
			cli_kv(stdout, i == 0 ? "trusted keys" : "", buf);
		}
		free(keys);
	} else {
		cli_kv(stdout, "trusted keys", NULL);
	}
	cli_kv(stdout, "tlog", p->tlog_policy);
	cli_kv(stdout, "build repo", p->build_repo);
	cli_kv(stdout, "workflow file", p->workflow_file);
	cli_kv(stdout, "created", dk_clock_iso(when, p->created_at));
	cli_kv(stdout, "updated", dk_clock_iso(when, p->updated_at));
}

static void
show_result(struct cli *c, const dk_platform *p, const char *done)
{
	if (c->json) {
		cli_print_json(dk_platform_to_json(p));
		return;
	}
	if (done)
		printf("platform %s %s\n\n", p->name, done);
	print_platform(p);
}

/* create and set share their flags and their output; they differ in the NAME rules. */
static int
platform_change(struct cli *c, int argc, char **argv, bool create)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, OPT_NAME }, PLATFORM_SETTINGS, CLI_COMMON_OPTIONS
	};
	struct settings s = { 0 };
	dk_platform *p = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, setting, &s)) != 0 ||
	    (rc = finish_settings(c, &s)) < 0)
		goto done;
	if (create && argc - optind == 1 && !(s.spec.set & DK_PLATFORM_NAME)) {
		s.spec.set |= DK_PLATFORM_NAME;
		s.spec.name = argv[optind];
	} else if (create && (argc - optind != 0 || !(s.spec.set & DK_PLATFORM_NAME))) {
		rc = cli_usage_error(c, "give exactly one platform NAME");
		goto done;
	} else if (!create && argc - optind != 1) {
		rc = cli_usage_error(c, "give exactly one platform NAME or ID");
		goto done;
	}
	if (create && !(s.spec.set & DK_PLATFORM_ARCH)) {
		rc = cli_usage_error(c, "--arch amd64|arm64 is required");
		goto done;
	}
	if (!create && s.spec.set == 0) {
		rc = cli_usage_error(c, "nothing to change: give at least one setting");
		goto done;
	}
	if ((rc = cli_account(c)) < 0)
		goto done;
	rc = create ? dk_platform_create(c->store, &p, c->account->id, &s.spec, cli_actor())
		    : dk_platform_update(c->store, &p, c->account->id, argv[optind], &s.spec,
					 cli_actor());
	if (rc == 0)
		show_result(c, p, create ? "created" : "updated");
done:
	dk_platform_free(p);
	free(s.keys);
	return rc;
}

int
cmd_platform_create(struct cli *c, int argc, char **argv)
{
	return platform_change(c, argc, argv, true);
}

int
cmd_platform_set(struct cli *c, int argc, char **argv)
{
	return platform_change(c, argc, argv, false);
}

int
cmd_platform_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_platform *p = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one platform NAME or ID");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_platform_find(c->store, &p, c->account->id, argv[optind])) < 0)
		return rc;
	show_result(c, p, NULL);
	dk_platform_free(p);
	return 0;
}

int
cmd_platform_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	static const char *const headers[] = {
		"NAME", "ARCH", "STATUS", "DEFAULT", "PUBLISHED", "RETAIN", "TRUST", "TLOG"
	};
	dk_platform_list *l = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_platform_list(c->store, &l, c->account->id)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_platform_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no platforms in account %s; create one with `diskops platform "
			"create NAME --arch amd64`\n", c->account->name);
	} else {
		struct table *t = table_new(8, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_platform *p = &l->items[i];
			char sha[13], age[24], keep[12];
			const char *row[8];

			snprintf(keep, sizeof(keep), "%d", p->retention_count);
			row[0] = p->name;
			row[1] = p->arch;
			row[2] = p->publication_status;
			row[3] = cli_short(sha, p->default_git_sha, 12);
			row[4] = dk_clock_age(age, p->default_published_at);
			row[5] = keep;
			row[6] = dk_platform_trust(p);
			row[7] = p->tlog_policy;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_platform_list_free(l);
	return 0;
}
