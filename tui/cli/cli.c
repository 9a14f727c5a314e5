#include <stdio.h>

#include "cli/cli.h"

int
dk_cli_main(int argc, char **argv)
{
	(void)argc; (void)argv;
	printf("diskops %s\n", DK_VERSION);
	return 0;
}
