#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "diskops/error.h"
#include "diskops/serve.h"
#include "diskops/valid.h"

enum {
	OPT_LISTEN = CLI_OPT__COMMAND,
	OPT_PUBLIC_URL,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_WORKERS,
	OPT_TIMEOUT,
	OPT_HTTP_THREADS,
	OPT_READY_FILE,
	OPT_NO_INGEST,
};

struct args {
	dk_serve_options opts;
	const char *ready_file;
	const char *listen, *public_url, *workers;
};

static int
option(struct cli *c, int opt, const char *arg, void *ctx)
{
	struct args *a = ctx;

	(void)c;
	switch (opt) {
	/* The configuration is loaded after the flags are read: these are applied then. */
	case OPT_LISTEN: a->listen = arg; break;
	case OPT_PUBLIC_URL: a->public_url = arg; break;
	case OPT_WORKERS: a->workers = arg; break;
	case OPT_TLS_CERT: a->opts.tls_cert = arg; break;
	case OPT_TLS_KEY: a->opts.tls_key = arg; break;
	case OPT_TIMEOUT:
		return dk_parse_int(&a->opts.connection_timeout, "connection-timeout", arg, 1, 3600);
	case OPT_HTTP_THREADS:
		return dk_parse_int(&a->opts.http_threads, "http-threads", arg, 1, 64);
	case OPT_READY_FILE: a->ready_file = arg; break;
	case OPT_NO_INGEST: a->opts.no_ingest = true; break;
	}
	return 0;
}

/* Written once listening, renamed into place so a reader never sees half of it. */
static int
write_ready_file(const char *path, const char *address)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return dk_error_set(DK_EIO, "%s: %m", tmp);
	fprintf(f, "%s\n", address);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return dk_error_set(DK_EIO, "%s: %m", path);
	return 0;
}

int
cmd_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "public-url", required_argument, NULL, OPT_PUBLIC_URL },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "connection-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "http-threads", required_argument, NULL, OPT_HTTP_THREADS },
		{ "ready-file", required_argument, NULL, OPT_READY_FILE },
		{ "no-ingest", no_argument, NULL, OPT_NO_INGEST },
		CLI_COMMON_OPTIONS
	};
	struct args a = { .opts = DK_SERVE_OPTIONS_INIT };
	dk_serve *s = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, option, &a)) != 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(c, "unexpected argument \"%s\"", argv[optind]);
	if ((a.listen && (rc = dk_config_set(c->cfg, "serve.listen", a.listen)) < 0) ||
	    (a.public_url && (rc = dk_config_set(c->cfg, "serve.public_url", a.public_url)) < 0) ||
	    (a.workers && (rc = dk_config_set(c->cfg, "serve.workers", a.workers)) < 0))
		return cli_usage_error(c, "%s", dk_error_last()->message);
	if (!a.opts.tls_cert != !a.opts.tls_key)
		return cli_usage_error(c, "--tls-cert and --tls-key go together");
	if ((rc = dk_serve_start(&s, c->cfg, &a.opts)) < 0)
		return rc;
	printf("diskops serve listening on %s://%s (public URL %s)\n",
	       a.opts.tls_cert ? "https" : "http", dk_serve_address(s), c->cfg->public_url);
	fflush(stdout);
	if (a.ready_file && (rc = write_ready_file(a.ready_file, dk_serve_address(s))) < 0)
		goto done;
	rc = dk_serve_wait(s);
done:
	dk_serve_free(s);
	return rc;
}
