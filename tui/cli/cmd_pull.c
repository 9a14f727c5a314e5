/*
 * `diskops verify` (an artifact against a platform's trust policy, nothing written) and
 * `diskops pull` (a published image's verified files into a directory). Both run the
 * check ingest runs (include/diskops/artifact.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "diskops/artifact.h"
#include "diskops/error.h"
#include "diskops/model_json.h"

enum { OPT_PLATFORM = CLI_OPT__COMMAND, OPT_OUT };

struct pull_args {
	const char *platform;
	const char *out;
};

static int
pull_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct pull_args *a = ctx;

	(void)c;
	if (opt == OPT_PLATFORM)
		a->platform = arg;
	else if (opt == OPT_OUT)
		a->out = arg;
	return 0;
}

static json_t *
files_json(const dk_artifact *a, char **paths)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < a->n_files; i++) {
		const dk_artifact_file *f = &a->files[i];
		json_t *j = json_pack("{s:o, s:o, s:s, s:I}", "title", dk_json_str(f->title),
				      "media_type", dk_json_str(f->media_type), "sha256",
				      f->digest + 7, "size", (json_int_t)f->size);

		if (paths)
			json_object_set_new(j, "path", json_string(paths[i]));
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *
artifact_json(const dk_artifact *a, char **paths)
{
	return json_pack("{s:b, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:O?}",
			 "verified", 1, "digest", a->digest, "layout", a->layout, "artifact_sha256",
			 a->artifact_sha256, "size_bytes", (json_int_t)a->size, "signature_kind",
			 dk_sigstore_kind_name(a->sig->kind), "signature_source",
			 a->signature_source, "identity", dk_json_str(a->sig->identity), "issuer",
			 dk_json_str(a->sig->issuer), "key_id", dk_json_str(a->sig->key_id),
			 "tlog_index", (json_int_t)a->sig->log_index, "files", files_json(a, paths),
			 "attestation_predicate", a->attestation_predicate);
}

static void
print_artifact(const dk_artifact *a)
{
	char size[16], idx[24];

	cli_kv(stdout, "manifest digest", a->digest);
	cli_kv(stdout, "layout", a->layout);
	cli_kv(stdout, "artifact sha256", a->artifact_sha256);
	cli_kv(stdout, "size", cli_human_size(size, a->size));
	cli_kv(stdout, "signature", dk_sigstore_kind_name(a->sig->kind));
	cli_kv(stdout, "found as", a->signature_source);
	cli_kv(stdout, "identity", a->sig->identity);
	cli_kv(stdout, "issuer", a->sig->issuer);
	cli_kv(stdout, "key id", a->sig->key_id);
	snprintf(idx, sizeof(idx), "%lld", (long long)a->sig->log_index);
	cli_kv(stdout, "tlog index", a->sig->log_index >= 0 ? idx : NULL);
	cli_kv(stdout, "attestation", a->attestation_predicate ? "verified" : NULL);
	for (size_t i = 0; i < a->n_files; i++) {
		char line[512];

		snprintf(line, sizeof(line), "%s  %s  %s", a->files[i].digest + 7,
			 cli_human_size(size, a->files[i].size),
			 a->files[i].title ? a->files[i].title : "(untitled)");
		cli_kv(stdout, "file", line);
	}
}

int
cmd_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		CLI_COMMON_OPTIONS
	};
	struct pull_args a = { 0 };
	dk_platform *plat = NULL;
	dk_artifact art = { 0 };
	char *reason = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, pull_option, &a)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one OCI reference");
	if (!a.platform)
		return cli_usage_error(c, "--platform is required (its trust policy decides)");
	if ((rc = cli_account(c)) < 0 ||
	    (rc = dk_store_platform_find(c->store, &plat, c->account->id, a.platform)) < 0)
		return rc;
	rc = dk_artifact_verify(&art, &reason, plat, argv[optind], NULL, c->cfg);
	if (rc == 0) {
		if (c->json) {
			json_t *j = artifact_json(&art, NULL);

			json_object_set_new(j, "oci_ref", json_string(argv[optind]));
			json_object_set_new(j, "platform", json_string(plat->name));
			cli_print_json(j);
		} else {
			printf("verified: %s for platform %s\n", argv[optind], plat->name);
			print_artifact(&art);
		}
	} else if (rc == 1) {
		if (c->json)
			cli_print_json(json_pack("{s:b, s:s, s:s, s:s}", "verified", 0, "oci_ref",
						 argv[optind], "platform", plat->name, "reason",
						 reason));
		rc = dk_error_set(DK_EVERIFY, "not verified: %s", reason);
	}
	dk_artifact_clear(&art);
	dk_platform_free(plat);
	free(reason);
	return rc;
}

/* A terminal gets a progress line per file, redrawn at most once per percent. */
static void
progress(void *payload, const char *name, int64_t done, int64_t total)
{
	int *last = payload;
	int pct = total > 0 ? (int)(done * 100 / total) : 100;

	if (pct == *last && done != total)
		return;
	*last = pct;
	fprintf(stderr, "\r%s: %3d%% (%lld of %lld bytes)%s", name, pct, (long long)done,
		(long long)total, done == total ? "\n" : "");
}

int
cmd_pull(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		CLI_COMMON_OPTIONS
	};
	struct pull_args a = { 0 };
	dk_pull_result *r = NULL;
	int last = -1, rc;

	if ((rc = cli_parse(c, argc, argv, opts, pull_option, &a)) != 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(c, "give exactly one platform or publication");
	if (!a.out)
		return cli_usage_error(c, "--out DIR is required");
	if (mkdir(a.out, 0755) < 0 && errno != EEXIST)
		return dk_error_set(DK_EIO, "cannot create %s: %s", a.out, strerror(errno));
	if ((rc = cli_account(c)) < 0)
		return rc;
	rc = dk_pull(&r, c->store, c->account->id, argv[optind], a.out, c->cfg,
		     isatty(2) ? progress : NULL, &last);
	if (rc < 0)
		return rc;
	if (c->json) {
		json_t *j = artifact_json(&r->artifact, r->paths);

		json_object_set_new(j, "publication_id", json_string(r->publication->id));
		json_object_set_new(j, "platform", json_string(r->publication->platform_name));
		json_object_set_new(j, "git_sha", json_string(r->publication->git_sha));
		json_object_set_new(j, "sha256sums", json_string(r->paths[r->n_paths - 1]));
		cli_print_json(j);
	} else {
		printf("pulled publication %s (%s, git %s), verified:\n", r->publication->id,
		       r->publication->platform_name, r->publication->git_sha);
		for (size_t i = 0; i < r->n_paths; i++)
			printf("  %s\n", r->paths[i]);
	}
	dk_pull_result_free(r);
	return 0;
}
