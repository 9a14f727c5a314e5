/* The spec check: Gitea's own swagger.v1.json decides which calls exist at all. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"

int
swagger_load(const char *path)
{
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);

	if (!doc) {
		fprintf(stderr, "gitea-emulator: cannot load %s: %s (line %d)\n", path, err.text,
			err.line);
		return -1;
	}
	emu.swagger_paths = json_incref(json_object_get(doc, "paths"));
	json_decref(doc);
	if (!json_is_object(emu.swagger_paths)) {
		fprintf(stderr, "gitea-emulator: %s has no \"paths\" object\n", path);
		return -1;
	}
	return 0;
}

static void
lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

bool
swagger_has(const char *method, const char *tmpl)
{
	char m[16];
	json_t *item = json_object_get(emu.swagger_paths, tmpl);

	lower(m, method, sizeof(m));
	return item && json_object_get(item, m);
}

/*
 * Matches segment by segment; "{x}" takes one segment, except a final {filepath}, which
 * (as Gitea's "*" routes) takes the rest. When several templates match, the one with the
 * most literal segments wins (".../runners/registration-token" over ".../runners/{id}").
 * Returns the number of literal segments matched, or -1.
 */
static int
match_one(const char *tmpl, const char *path, char **params, int *nparams)
{
	const char *t = tmpl, *p = path;
	int literal = 0, n = 0;

	while (*t && *p) {
		const char *te, *pe;

		if (*t != '/' || *p != '/')
			goto fail;
		t++, p++;
		te = strchr(t, '/');
		pe = strchr(p, '/');
		if (!te)
			te = t + strlen(t);
		if (!pe)
			pe = p + strlen(p);
		if (*t == '{') {
			bool rest = strncmp(t, "{filepath}", 10) == 0 && *te == '\0';

			if (pe == p && !rest)
				goto fail;
			if (rest)
				pe = p + strlen(p);
			if (n < MAX_PARAMS && params)
				params[n] = strndup(p, (size_t)(pe - p));
			n++;
		} else {
			if ((size_t)(te - t) != (size_t)(pe - p) || strncmp(t, p, (size_t)(te - t)) != 0)
				goto fail;
			literal++;
		}
		t = te;
		p = pe;
	}
	if (*t || *p)
		goto fail;
	*nparams = n;
	return literal;
fail:
	for (int i = 0; params && i < n && i < MAX_PARAMS; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return -1;
}

const char *
swagger_match(const char *method, const char *path, char **params, int *nparams)
{
	const char *key, *best = NULL;
	json_t *item;
	char m[16];
	int best_score = -1, n;

	lower(m, method, sizeof(m));
	json_object_foreach(emu.swagger_paths, key, item) {
		int score;

		if (!json_object_get(item, m))
			continue;
		score = match_one(key, path, NULL, &n);
		if (score > best_score) {
			best_score = score;
			best = key;
		}
	}
	if (best)
		match_one(best, path, params, nparams);
	return best;
}
