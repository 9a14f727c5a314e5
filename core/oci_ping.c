#include <stdlib.h>

#include "diskops/error.h"
#include "oci_internal.h"

int
dk_oci_ping(dk_oci_client *c, long *http_status)
{
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	int rc;

	*http_status = 0;
	req.method = "GET";
	req.url = "/v2/";
	req.what = "the API base";
	if ((rc = oci_request(c, &req, &resp, NULL)) == 0)
		*http_status = resp.status;
	oci_resp_reset(&resp);
	return rc;
}
