#include "http_internal.h"

int
http_rest(http_req *r, const char *path, http_resp *out)
{
	(void)r;
	(void)path;
	http_error(out, 404, "NOT_FOUND", "Not found");
	return 0;
}
