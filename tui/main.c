#include "cli/cli.h"

int
main(int argc, char **argv)
{
	return dk_cli_main(argc, argv);
}
