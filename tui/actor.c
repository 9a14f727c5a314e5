#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "actor.h"

const char *
tui_actor(void)
{
	static char actor[256];
	const char *user = getenv("USER");
	const char *ssh = getenv("SSH_CONNECTION");
	struct passwd *pw;

	if (!user || !*user)
		user = (pw = getpwuid(getuid())) ? pw->pw_name : "unknown";
	if (ssh && *ssh) {
		char addr[64] = "";

		sscanf(ssh, "%63s", addr);
		snprintf(actor, sizeof(actor), "%s@%s", user, addr);
	} else {
		snprintf(actor, sizeof(actor), "%s", user);
	}
	return actor;
}
