#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_gitea.h"
#include "diskops/bootstrap.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/model_json.h"
#include "diskops/valid.h"
#include "diskops/webhook.h"

enum { OPT_LABEL = CLI_OPT__COMMAND, OPT_WEBHOOK, OPT_LIMIT, OPT_SET_GITEA, OPT_API_BASE };

#define CREATE_NOTE "Save this secret + URL now — the secret is not recoverable. " \
		    "To get a new one, rotate."
#define ROTATE_NOTE "Save this secret now — old secret is revoked. Update CI immediately."

struct args {
	const char *label;
	const char *webhook;
	const char *gitea_repo;         /* --set-gitea-secrets OWNER/REPO */
	const char *api_base;
	int limit;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	case OPT_LABEL: a->label = arg; break;
	case OPT_WEBHOOK: a->webhook = arg; break;
	case OPT_SET_GITEA: a->gitea_repo = arg; break;
	case OPT_API_BASE: a->api_base = arg; break;
	case OPT_LIMIT: return dk_parse_int(&a->limit, "limit", arg, 1, 1000);
	}
	return 0;
}

/* The one time a secret reaches a terminal; it is written straight to stdout. */
static void
show_secret(struct cli *c, const dk_webhook *w, const char *secret, const char *done,
	    const char *note, const dk_bootstrap_result *gitea, const char *base)
{
	char *url = dk_webhook_url(base ? base : c->cfg->public_url, w->id);

	if (c->json) {
		json_t *o = json_object();

		json_object_set_new(o, "disk_image_webhook", dk_webhook_to_json(w));
		json_object_set_new(o, "secret_plaintext", json_string(secret));
		json_object_set_new(o, "webhook_url", dk_json_str(url));
		json_object_set_new(o, "note", json_string(note));
		if (gitea) {
			json_t *set = json_object();

			for (size_t i = 0; i < gitea->nsteps; i++) {
				if (strncmp(gitea->steps[i].name, "secret ", 7) == 0)
					json_object_set_new(set, gitea->steps[i].name + 7,
							    json_string(gitea->steps[i].status));
			}
			json_object_set_new(o, "gitea_secrets_set", set);
		}
		cli_print_json(o);
	} else {
		printf("webhook %s %s\n\n", w->label, done);
		cli_kv(stdout, "id", w->id);
		cli_kv(stdout, "url", url);
		cli_kv(stdout, "secret", secret);
		for (size_t i = 0; gitea && i < gitea->nsteps; i++) {
			if (strncmp(gitea->steps[i].name, "secret ", 7) == 0)
				printf("gitea %s: %s\n", gitea->steps[i].name, gitea->steps[i].status);
		}
		printf("\n%s\n", note);
	}
	free(url);
}

int
cmd_webhook_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "set-gitea-secrets", required_argument, NULL, OPT_SET_GITEA },
		{ "api-base", required_argument, NULL, OPT_API_BASE },
		CLI_COMMON_OPTIONS
	};
	struct args a = { 0 };
	dk_bootstrap_result gitea = { 0 };
	dk_secret_box *box = NULL;
	dk_webhook *w = NULL;
	dk_gitea *g = NULL;
	char *secret = NULL, *owner = NULL, *repo = NULL, *url = NULL;
	const char *base;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (argc - optind == 1 && !a.label)
		a.label = argv[optind];
	else if (argc - optind != 0 || !a.label)
		return cli_usage_error(c, "give the webhook's --label");
	if (a.gitea_repo && dk_gitea_split_repo(&owner, &repo, a.gitea_repo) < 0)
		return cli_usage_error(c, "%s", dk_error_last()->message);
	base = a.api_base ? a.api_base : c->cfg->public_url;
	if ((rc = cli_account(c)) < 0 || (rc = cli_secret_box(c, &box)) < 0)
		goto done;
	/* Gitea first: a webhook whose secret could not be delivered is not created. */
	if (owner && ((rc = cli_gitea_open(c, &g)) < 0 ||
		      (rc = dk_bootstrap_check(&gitea, g, owner, repo)) < 0))
		goto done;
	if ((rc = dk_webhook_create(c->store, box, &w, &secret, c->account->id, a.label,
				    cli_actor())) < 0)
		goto done;
	if (owner) {
		if (!(url = dk_webhook_url(base, w->id))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		rc = dk_bootstrap_set_secrets(&gitea, g, owner, repo, url, secret, NULL, base);
	}
	show_secret(c, w, secret, "created", CREATE_NOTE, owner ? &gitea : NULL, base);
	if (rc < 0)
		dk_error_prefix("webhook %s created, but setting the Gitea secrets of %s/%s failed",
				w->label, owner, repo);
done:
	for (size_t i = 0; i < gitea.nsteps; i++) {
		free(gitea.steps[i].name);
		free(gitea.steps[i].status);
		free(gitea.steps[i].detail);
	}
	free(gitea.steps);
	free(gitea.login);
	free(owner);
	free(repo);
	free(url);
	dk_gitea_free(g);
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	dk_webhook_free(w);
	dk_secret_box_free(box);
	return rc;
}

int
cmd_webhook_rotate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_secret_box *box = NULL;
	dk_webhook *w = NULL;
	char *secret = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one webhook ID or LABEL");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_webhook_find(c->store, &w, c->account->id, argv[optind])) < 0 ||
	    (rc = cli_confirm(c, "Rotate the secret of webhook %s? The old secret stops working "
			      "at once", w->label)) < 0)
		goto done;
	dk_webhook_free(w);
	w = NULL;
	if ((rc = cli_secret_box(c, &box)) < 0 ||
	    (rc = dk_webhook_rotate(c->store, box, &w, &secret, c->account->id, argv[optind],
				    cli_actor())) < 0)
		goto done;
	show_secret(c, w, secret, "rotated", ROTATE_NOTE, NULL, NULL);
done:
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	dk_webhook_free(w);
	dk_secret_box_free(box);
	return rc;
}

int
cmd_webhook_revoke(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	dk_webhook *w = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one webhook ID or LABEL");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_webhook_find(c->store, &w, c->account->id, argv[optind])) < 0 ||
	    (rc = cli_confirm(c, "Revoke webhook %s? Its URL stops accepting builds", w->label)) < 0)
		goto done;
	dk_webhook_free(w);
	w = NULL;
	if ((rc = dk_webhook_revoke(c->store, &w, c->account->id, argv[optind], cli_actor())) < 0)
		goto done;
	if (c->json)
		cli_print_json(dk_webhook_to_json(w));
	else
		printf("Webhook revoked: %s (%s)\n", w->label, w->id);
done:
	dk_webhook_free(w);
	return rc;
}

int
cmd_webhook_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS };
	static const char *const headers[] = {
		"ID", "LABEL", "STATUS", "PREVIEW", "RECEIVED", "LAST RECEIVED"
	};
	dk_webhook_list *l = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, NULL, NULL)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0 || (rc = dk_store_webhook_list(c->store, &l, c->account->id)) < 0)
		return rc;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_webhook_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no webhooks in account %s; create one with `diskops webhook create "
			"--label ci`\n", c->account->name);
	} else {
		struct table *t = table_new(6, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_webhook *w = &l->items[i];
			char id[9], count[24], age[24], preview[16];
			const char *row[6];

			snprintf(count, sizeof(count), "%lld", (long long)w->received_count);
			snprintf(preview, sizeof(preview), "%s", w->secret_preview);
			row[0] = cli_short(id, w->id, 8);
			row[1] = w->label;
			row[2] = w->status;
			row[3] = preview;
			row[4] = count;
			row[5] = dk_clock_age(age, w->last_received_at);
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	dk_webhook_list_free(l);
	return 0;
}

int
cmd_webhook_deliveries(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "webhook", required_argument, NULL, OPT_WEBHOOK },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		CLI_COMMON_OPTIONS
	};
	static const char *const headers[] = {
		"TIME", "WEBHOOK", "FROM", "HTTP", "OUTCOME", "REASON", "PUBLICATION"
	};
	struct args a = { .limit = 50 };
	dk_delivery_filter f = { 0 };
	dk_delivery_list *l = NULL;
	dk_webhook *w = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((rc = cli_account(c)) < 0)
		return rc;
	if (a.webhook && (rc = dk_store_webhook_find(c->store, &w, c->account->id, a.webhook)) < 0)
		return rc;
	f.account_id = c->account->id;
	f.webhook_id = w ? w->id : NULL;
	f.limit = a.limit;
	if ((rc = dk_store_delivery_list(c->store, &l, &f)) < 0)
		goto done;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++)
			json_array_append_new(arr, dk_delivery_to_json(&l->items[i]));
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no deliveries yet\n");
	} else {
		struct table *t = table_new(7, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_delivery *d = &l->items[i];
			char when[32], hook[9], http[8], pub[9];
			const char *row[7];

			snprintf(http, sizeof(http), "%d", d->http_status);
			row[0] = dk_clock_iso(when, d->received_at);
			row[1] = cli_short(hook, d->webhook_id, 8);
			row[2] = d->remote_addr;
			row[3] = http;
			row[4] = d->outcome;
			row[5] = d->reason;
			row[6] = cli_short(pub, d->publication_id, 8);
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
done:
	dk_delivery_list_free(l);
	dk_webhook_free(w);
	return rc;
}
