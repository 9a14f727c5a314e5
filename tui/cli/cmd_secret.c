/* diskops secret set, runners list: repo Actions secrets and runners on Gitea. */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli_gitea.h"
#include "diskops/error.h"

struct repo_flags {
	const char *repo, *platform;
};

static int
repo_flag(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct repo_flags *f = ctx;

	(void)c;
	if (opt == CLI_GITEA_OPT_REPO)
		f->repo = arg;
	else if (opt == CLI_GITEA_OPT_PLATFORM)
		f->platform = arg;
	return 0;
}

/*
 * The value comes from stdin, never from argv (which other users see in ps and which
 * lands in shell history). One trailing newline is dropped, as `echo v |` adds it. On a
 * terminal the value is read without echo.
 */
static int
read_value(char **out, const char *name)
{
	struct termios old, quiet;
	bool tty = isatty(0);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	*out = NULL;
	if (!buf)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if (tty) {
		fprintf(stderr, "value of %s (not shown; Enter to finish): ", name);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	for (;;) {
		if (len + 1 == cap) {
			char *grown = cap > 65536 * 2 ? NULL : realloc(buf, cap * 2);

			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
		n = read(0, buf + len, tty ? 1 : cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (tty && buf[len - 1] == '\n')
			break;
	}
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len == 0) {
		free(buf);
		return dk_error_set(DK_EINVALID, "no value for %s on stdin (give it as "
				    "`printf %%s VALUE | diskops secret set ...`)", name);
	}
	*out = buf;
	return 0;
}

int
cmd_secret_set(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_GITEA_OPTIONS, CLI_COMMON_OPTIONS };
	struct repo_flags f = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitea *g = NULL;
	char *value = NULL;
	bool created = false;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, repo_flag, &f)) != 0)
		goto done;
	if (argc - optind != 1) {
		rc = cli_usage_error(c, argc - optind > 1
				     ? "give only the secret NAME; the value comes from stdin, "
				       "never from the command line"
				     : "give the secret NAME");
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0 ||
	    (rc = read_value(&value, argv[optind])) < 0 ||
	    (rc = dk_gitea_secret_set(g, &created, repo.owner, repo.name, argv[optind], value,
				      NULL)) < 0)
		goto done;
	if (c->json) {
		json_t *j = json_pack("{s:s, s:b}", "name", argv[optind], "created", created);

		json_object_set_new(j, "repo", json_sprintf("%s/%s", repo.owner, repo.name));
		cli_print_json(j);
	} else {
		printf("secret %s %s in %s/%s\n", argv[optind], created ? "created" : "updated",
		       repo.owner, repo.name);
	}
	rc = 0;
done:
	if (value) {
		memset(value, 0, strlen(value));
		free(value);
	}
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}

int
cmd_runners_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_GITEA_OPTIONS, CLI_COMMON_OPTIONS };
	static const char *const headers[] = { "ID", "NAME", "STATUS", "BUSY", "LABELS" };
	struct repo_flags f = { 0 };
	struct cli_repo repo = { 0 };
	dk_gitea_runner_list *l = NULL;
	dk_gitea *g = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, repo_flag, &f)) != 0)
		goto done;
	if (optind < argc) {
		rc = cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
		goto done;
	}
	if ((rc = cli_gitea_repo(c, &repo, f.repo, f.platform)) < 0 ||
	    (rc = cli_gitea_open(c, &g)) < 0 ||
	    (rc = dk_gitea_runner_list_get(g, &l, repo.owner, repo.name)) < 0)
		goto done;
	if (c->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < l->count; i++) {
			const dk_gitea_runner *r = &l->items[i];
			json_t *labels = json_array();

			for (size_t k = 0; k < r->nlabels; k++)
				json_array_append_new(labels, json_string(r->labels[k]));
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:b, s:b, s:b, s:o}",
							     "id", (json_int_t)r->id, "name", r->name,
							     "status", r->status, "busy", r->busy,
							     "disabled", r->disabled,
							     "ephemeral", r->ephemeral,
							     "labels", labels));
		}
		cli_print_json(arr);
	} else if (l->count == 0) {
		fprintf(stderr, "no runners for %s/%s: queued jobs will wait; register one with "
			"act_runner (a registration token comes from `diskops bootstrap`)\n",
			repo.owner, repo.name);
	} else {
		struct table *t = table_new(5, headers);

		for (size_t i = 0; i < l->count; i++) {
			const dk_gitea_runner *r = &l->items[i];
			char id[24], labels[512] = "";
			const char *row[5];

			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			for (size_t k = 0; k < r->nlabels; k++) {
				size_t n = strlen(labels);

				snprintf(labels + n, sizeof(labels) - n, "%s%s", k ? "," : "",
					 r->labels[k]);
			}
			row[0] = id;
			row[1] = r->name;
			row[2] = r->disabled ? "disabled" : r->status;
			row[3] = r->busy ? "busy" : "idle";
			row[4] = labels;
			table_add(t, row);
		}
		table_print(t, stdout);
		table_free(t);
	}
	rc = 0;
done:
	dk_gitea_runner_list_free(l);
	dk_gitea_free(g);
	cli_repo_clear(&repo);
	return rc;
}
