/* Tags list, following Link pagination. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/error.h"
#include "oci_internal.h"

#define TAGS_PAGE_MAX (4u * 1024 * 1024)

void
dk_oci_strings_free(dk_oci_strings *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	free(s);
}

/* `<url>; rel="next"` -> url; caller frees. */
static char *
link_next(const char *link)
{
	const char *lt = strchr(link, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (!lt || !gt || !strstr(gt, "rel=\"next\""))
		return NULL;
	return strndup(lt + 1, (size_t)(gt - lt - 1));
}

int
dk_oci_tags_list(dk_oci_strings **out, dk_oci_client *c, const char *repo)
{
	dk_oci_strings *s = NULL;
	oci_resp resp = { 0 };
	oci_req req = { 0 };
	char *url = NULL, *scope = NULL, *next;
	json_t *doc = NULL, *tag;
	size_t i;
	int rc = DK_ENOMEM, pages = 0;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))) || !(url = oci_url(c, "/v2/%s/tags/list", repo)) ||
	    asprintf(&scope, "repository:%s:pull", repo) < 0)
		goto done;
	req.method = "GET";
	req.scopes[0] = scope;
	req.body_cap = TAGS_PAGE_MAX;
	req.what = repo;
	while (url) {
		/* A registry that keeps pointing at more pages is broken, not big. */
		if (++pages > 1000) {
			rc = dk_error_set(DK_EIO, "registry %s: tags of %s: more than 1000 pages", c->registry, repo);
			goto done;
		}
		req.url = url;
		if ((rc = oci_request(c, &req, &resp, NULL)) < 0)
			goto done;
		if (resp.status != 200) {
			rc = oci_status_error(c, &resp, repo);
			goto done;
		}
		json_decref(doc);
		doc = resp.body ? json_loadb((char *)resp.body, resp.body_len, 0, NULL) : NULL;
		if (!json_is_object(doc)) {
			rc = dk_error_set(DK_EIO, "registry %s: tags of %s: answer is not JSON", c->registry, repo);
			goto done;
		}
		json_array_foreach(json_object_get(doc, "tags"), i, tag) {
			char **items;

			if (!json_string_value(tag))
				continue;
			if (!(items = realloc(s->items, (s->n + 1) * sizeof(*items))))
				goto nomem;
			s->items = items;
			if (!(s->items[s->n] = strdup(json_string_value(tag))))
				goto nomem;
			s->n++;
		}
		next = resp.link ? link_next(resp.link) : NULL;
		free(url);
		url = next ? oci_absolute(c, next) : NULL;
		free(next);
	}
	*out = s;
	s = NULL;
	rc = 0;
	goto done;
nomem:
	rc = DK_ENOMEM;
done:
	if (rc == DK_ENOMEM)
		dk_error_set(DK_ENOMEM, "out of memory");
	oci_resp_reset(&resp);
	json_decref(doc);
	dk_oci_strings_free(s);
	free(url);
	free(scope);
	return rc;
}
