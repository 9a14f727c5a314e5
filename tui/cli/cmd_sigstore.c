/* `diskops verify-blob` and `diskops keygen`: the core sigstore module, headless. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/error.h"
#include "diskops/sigstore.h"

enum {
	OPT_BUNDLE = CLI_OPT__COMMAND, OPT_IDENTITY, OPT_IDENTITY_RE, OPT_ISSUER, OPT_ISSUER_RE,
	OPT_KEY, OPT_ROOT, OPT_TLOG, OPT_OUT
};

typedef struct {
	dk_sigstore_options o;
	const char *bundle;
	const char *root;
	char *keys;              /* every --key file, concatenated */
	const char *out;
} verify_args;

static int
read_all(char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, r;
	char *buf;

	*out = NULL;
	if (!f)
		return dk_error_set(DK_EIO, "%s: cannot open", path);
	buf = malloc(cap + 1);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *p = realloc(buf, cap * 2 + 1);

			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return dk_error_set(DK_ENOMEM, "out of memory");
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static int
verify_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	verify_args *a = ctx;
	char *text, *joined;
	int rc;

	(void)c;
	switch (opt) {
	case OPT_BUNDLE: a->bundle = arg; break;
	case OPT_IDENTITY: a->o.identity = arg; break;
	case OPT_IDENTITY_RE: a->o.identity_regexp = arg; break;
	case OPT_ISSUER: a->o.issuer = arg; break;
	case OPT_ISSUER_RE: a->o.issuer_regexp = arg; break;
	case OPT_ROOT: a->root = arg; break;
	case OPT_TLOG: return dk_sigstore_tlog_parse(&a->o.tlog, arg);
	case OPT_OUT: a->out = arg; break;
	case OPT_KEY:
		if ((rc = read_all(&text, NULL, arg)) < 0)
			return rc;
		if (asprintf(&joined, "%s%s", a->keys ? a->keys : "", text) < 0) {
			free(text);
			return dk_error_set(DK_ENOMEM, "out of memory");
		}
		free(text);
		free(a->keys);
		a->keys = joined;
		break;
	}
	return 0;
}

static void
print_result(struct cli *c, const char *file, const dk_sigstore_result *r)
{
	if (c->json) {
		json_t *j = json_pack("{s:s, s:b, s:s}", "file", file, "verified", r->verified,
			"signature_kind", dk_sigstore_kind_name(r->kind));

		json_object_set_new(j, "identity", r->identity ? json_string(r->identity) : json_null());
		json_object_set_new(j, "issuer", r->issuer ? json_string(r->issuer) : json_null());
		json_object_set_new(j, "key_id", r->key_id ? json_string(r->key_id) : json_null());
		json_object_set_new(j, "tlog_index", r->log_index >= 0 ? json_integer(r->log_index) : json_null());
		json_object_set_new(j, "integrated_time",
			r->integrated_time ? json_integer(r->integrated_time) : json_null());
		json_object_set_new(j, "signed_time", r->signed_time ? json_integer(r->signed_time) : json_null());
		json_object_set_new(j, "reason", r->reason ? json_string(r->reason) : json_null());
		cli_print_json(j);
		return;
	}
	if (!r->verified)
		return;
	printf("verified: %s\n", file);
	cli_kv(stdout, "signature", dk_sigstore_kind_name(r->kind));
	if (r->identity)
		cli_kv(stdout, "identity", r->identity);
	if (r->issuer)
		cli_kv(stdout, "issuer", r->issuer);
	if (r->key_id)
		cli_kv(stdout, "key", r->key_id);
	if (r->log_index >= 0) {
		char idx[32];

		snprintf(idx, sizeof(idx), "%lld", (long long)r->log_index);
		cli_kv(stdout, "tlog index", idx);
	}
}

int
cmd_verify_blob(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, OPT_BUNDLE },
		{ "certificate-identity", required_argument, NULL, OPT_IDENTITY },
		{ "certificate-identity-regexp", required_argument, NULL, OPT_IDENTITY_RE },
		{ "certificate-oidc-issuer", required_argument, NULL, OPT_ISSUER },
		{ "certificate-oidc-issuer-regexp", required_argument, NULL, OPT_ISSUER_RE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "trusted-root", required_argument, NULL, OPT_ROOT },
		{ "tlog", required_argument, NULL, OPT_TLOG },
		CLI_COMMON_OPTIONS
	};
	verify_args a = { .o = DK_SIGSTORE_OPTIONS_INIT };
	dk_sigstore_root *root = NULL;
	dk_sigstore_verifier *v = NULL;
	dk_sigstore_result *r = NULL;
	dk_sigstore_artifact art = { 0 };
	char *bundle = NULL, *data = NULL;
	size_t blen = 0, dlen = 0;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, verify_option, &a)) != 0)
		goto done;
	if (optind + 1 != argc) {
		rc = cli_usage_error(c, "needs exactly one FILE (or sha256:<hex>)");
		goto done;
	}
	if (!a.bundle) {
		rc = cli_usage_error(c, "--bundle is required");
		goto done;
	}
	if (!a.keys && (!(a.o.identity || a.o.identity_regexp) || !(a.o.issuer || a.o.issuer_regexp))) {
		rc = cli_usage_error(c, "give --key, or a certificate identity and an OIDC issuer");
		goto done;
	}
	a.o.trusted_keys = a.keys;
	if (a.root && (rc = dk_sigstore_root_load(&root, a.root)) < 0)
		goto done;
	a.o.root = root;
	if ((rc = dk_sigstore_verifier_new(&v, &a.o)) < 0 || (rc = read_all(&bundle, &blen, a.bundle)) < 0)
		goto done;
	if (strncmp(argv[optind], "sha256:", 7) == 0) {
		art.digest = argv[optind];
	} else {
		if ((rc = read_all(&data, &dlen, argv[optind])) < 0)
			goto done;
		art.data = (unsigned char *)data;
		art.len = dlen;
	}
	rc = dk_sigstore_verify_bundle(&r, v, bundle, blen, &art);
	if (r)
		print_result(c, argv[optind], r);
done:
	dk_sigstore_result_free(r);
	dk_sigstore_verifier_free(v);
	dk_sigstore_root_free(root);
	free(a.keys);
	free(bundle);
	free(data);
	return rc;
}

static int
keygen_option(struct cli *c, int opt, const char *arg, void *ctx)
{
	(void)c;
	if (opt == OPT_OUT)
		*(const char **)ctx = arg;
	return 0;
}

int
cmd_keygen(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		CLI_COMMON_OPTIONS
	};
	const char *out = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, keygen_option, &out)) != 0)
		return rc;
	if (!out || optind < argc)
		return cli_usage_error(c, "needs --out KEY");
	if ((rc = dk_sigstore_keygen(out)) < 0)
		return rc;
	if (c->json) {
		char *pub = NULL;

		if (asprintf(&pub, "%s.pub", out) < 0)
			return dk_error_set(DK_ENOMEM, "out of memory");
		cli_print_json(json_pack("{s:s, s:s}", "private_key", out, "public_key", pub));
		free(pub);
	} else {
		printf("wrote %s (private, mode 0600) and %s.pub\n", out, out);
	}
	return 0;
}
