#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "diskops/error.h"
#include "diskops/secret.h"

int
cli_confirm(struct cli *c, const char *fmt, ...)
{
	char question[512], answer[16] = "";
	va_list ap;

	if (c->yes)
		return 0;
	va_start(ap, fmt);
	vsnprintf(question, sizeof(question), fmt, ap);
	va_end(ap);
	if (!isatty(0) || !isatty(2))
		return cli_usage_error(c, "%s: no terminal to ask on; add --yes to confirm", question);
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
		return dk_error_set(DK_EUSAGE, "cancelled");
	return 0;
}

int
cli_secret_box(struct cli *c, struct dk_secret_box **out)
{
	int rc;

	if ((rc = cli_store(c)) < 0)
		return rc;
	return dk_secret_box_open(out, c->cfg->state_dir);
}
