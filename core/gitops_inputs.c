/*
 * The `on: workflow_dispatch: inputs:` block of a workflow file: what a dispatch can set.
 * Not a YAML parser: block mappings by indentation and plain, quoted or block scalars,
 * which is how workflows (and our template) write that block. Anything else under an
 * input (options lists, flow mappings) is skipped, never misread as an input.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/gitops.h"

#define MAX_INPUTS 64

struct line {
	int indent;             /* -1: blank or comment only */
	char *key;              /* NULL for a list item or a bare scalar */
	char *value;            /* after the key's colon, comment stripped, trimmed */
};

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Cuts a " #" comment that is outside quotes. */
static void
strip_comment(char *s)
{
	char quote = 0;

	for (char *p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			if (p == s || p[-1] == ' ' || p[-1] == ':')
				quote = *p;
		} else if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

/* The scalar's text: quotes removed, '' and the common backslash escapes undone. */
static char *
scalar(const char *v)
{
	size_t n = strlen(v);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
		for (size_t i = 1; i < n - 1; i++) {
			*o++ = v[i];
			if (v[i] == '\'' && v[i + 1] == '\'')
				i++;
		}
	} else if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		for (size_t i = 1; i < n - 1; i++) {
			if (v[i] == '\\' && i + 1 < n - 1) {
				i++;
				*o++ = v[i] == 'n' ? '\n' : v[i] == 't' ? '\t' : v[i];
			} else {
				*o++ = v[i];
			}
		}
	} else {
		memcpy(out, v, n);
		o = out + n;
	}
	*o = '\0';
	return out;
}

static void
parse_line(struct line *l, char *text)
{
	char *p = text, *colon = NULL, quote = 0;

	l->key = l->value = NULL;
	l->indent = 0;
	while (*p == ' ') {
		p++;
		l->indent++;
	}
	strip_comment(p);
	p = trim(p);
	if (!*p || strncmp(p, "---", 3) == 0) {
		l->indent = -1;
		return;
	}
	if (*p == '-') {
		l->value = p;
		return;
	}
	/* key: value, the key possibly quoted ("on": ...) */
	for (char *q = p; *q; q++) {
		if (quote) {
			if (*q == quote)
				quote = 0;
		} else if ((*q == '"' || *q == '\'') && q == p) {
			quote = *q;
		} else if (*q == ':' && (q[1] == '\0' || q[1] == ' ' || q[1] == '\t')) {
			colon = q;
			break;
		}
	}
	if (!colon) {
		l->value = p;
		return;
	}
	*colon = '\0';
	l->key = trim(p);
	if (strlen(l->key) >= 2 && (l->key[0] == '"' || l->key[0] == '\'') &&
	    l->key[strlen(l->key) - 1] == l->key[0]) {
		l->key[strlen(l->key) - 1] = '\0';
		l->key++;
	}
	l->value = trim(colon + 1);
}

/* The index of the line after the block of lines indented deeper than `indent`. */
static size_t
block_end(const struct line *lines, size_t n, size_t from, int indent)
{
	size_t i = from;

	while (i < n && (lines[i].indent < 0 || lines[i].indent > indent))
		i++;
	return i;
}

/* A value that is `|` or `>`: the deeper lines after it, joined (folded with spaces). */
static char *
block_scalar(char **raw, const struct line *lines, size_t n, size_t at, int indent)
{
	size_t end = block_end(lines, n, at + 1, indent), len = 0;
	char *out;

	for (size_t i = at + 1; i < end; i++)
		len += strlen(raw[i]) + 1;
	if (!(out = calloc(1, len + 1)))
		return NULL;
	for (size_t i = at + 1; i < end; i++) {
		char *t = trim(raw[i]);

		if (!*t)
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, t);
	}
	return out;
}

static int
key_is(const struct line *l, const char *key)
{
	return l->indent >= 0 && l->key && strcmp(l->key, key) == 0;
}

/* Finds `key` among the direct children of lines[from, to) (the first line's indent). */
static size_t
child(const struct line *lines, size_t from, size_t to, const char *key)
{
	int indent = -1;

	for (size_t i = from; i < to; i++) {
		if (lines[i].indent < 0)
			continue;
		if (indent < 0)
			indent = lines[i].indent;
		if (lines[i].indent == indent && key_is(&lines[i], key))
			return i;
	}
	return to;
}

static int
add_input(dk_gitops_input_list *l, char **raw, const struct line *lines, size_t n, size_t at)
{
	dk_gitops_input *in = &l->items[l->count];
	int indent = lines[at].indent, field = -1;
	size_t end = block_end(lines, n, at + 1, indent);

	if (l->count == MAX_INPUTS)
		return dk_error_set(DK_EINVALID, "the workflow declares more than %d inputs", MAX_INPUTS);
	memset(in, 0, sizeof(*in));
	l->count++;
	if (!(in->name = strdup(lines[at].key)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t i = at + 1; i < end; i++) {
		const struct line *f = &lines[i];
		char **slot = NULL, *v;

		if (f->indent < 0 || !f->key)
			continue;
		if (field < 0)
			field = f->indent;
		if (f->indent != field)
			continue;
		if (strcmp(f->key, "description") == 0)
			slot = &in->description;
		else if (strcmp(f->key, "default") == 0)
			slot = &in->default_value;
		else if (strcmp(f->key, "type") == 0)
			slot = &in->type;
		else if (strcmp(f->key, "required") == 0)
			in->required = strcmp(f->value, "true") == 0 || strcmp(f->value, "True") == 0;
		if (!slot)
			continue;
		if (strcmp(f->value, "|") == 0 || strcmp(f->value, ">") == 0 ||
		    strcmp(f->value, "|-") == 0 || strcmp(f->value, ">-") == 0)
			v = block_scalar(raw, lines, n, i, f->indent);
		else
			v = scalar(f->value);
		if (!v)
			return dk_error_set(DK_ENOMEM, "out of memory");
		free(*slot);
		*slot = v;
	}
	return 0;
}

int
dk_gitops_workflow_inputs(dk_gitops_input_list **out, const char *text)
{
	dk_gitops_input_list *l = NULL;
	struct line *lines = NULL;
	char *copy = NULL, **raw = NULL, *p;
	size_t n = 0, cap = 0, on, wd, inputs, end;
	int rc = 0;

	*out = NULL;
	if (!text)
		return dk_error_set(DK_EINVALID, "no workflow text");
	if (!(copy = strdup(text)) || !(l = calloc(1, sizeof(*l))) ||
	    !(l->items = calloc(MAX_INPUTS, sizeof(*l->items)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	/* Lines by hand: strtok would drop the empty ones block scalars keep. */
	for (char *s = copy; s; s = p) {
		p = strchr(s, '\n');
		if (p)
			*p++ = '\0';
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct line *nl = realloc(lines, nc * sizeof(*nl));
			char **nr = nl ? realloc(raw, nc * sizeof(*nr)) : NULL;

			if (nl)
				lines = nl;
			if (!nl || !nr) {
				rc = dk_error_set(DK_ENOMEM, "out of memory");
				goto done;
			}
			raw = nr;
			cap = nc;
		}
		raw[n] = strdup(s);
		if (!raw[n]) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		parse_line(&lines[n], s);
		n++;
	}
	/* `on:` at the top level; YAML 1.1 readers turn a bare on into true. */
	for (on = 0; on < n; on++) {
		if (lines[on].indent == 0 && (key_is(&lines[on], "on") || key_is(&lines[on], "true")))
			break;
	}
	if (on == n) {
		rc = dk_error_set(DK_EINVALID, "the workflow has no `on:` triggers");
		goto done;
	}
	if (*lines[on].value) {
		/* on: workflow_dispatch, on: [push, workflow_dispatch]: no inputs. */
		if (!strstr(lines[on].value, "workflow_dispatch"))
			rc = dk_error_set(DK_EINVALID, "the workflow has no workflow_dispatch trigger "
					  "(on: %s)", lines[on].value);
		goto done;
	}
	end = block_end(lines, n, on + 1, 0);
	if ((wd = child(lines, on + 1, end, "workflow_dispatch")) == end) {
		/* A list form: on: \n  - push\n  - workflow_dispatch */
		for (size_t i = on + 1; i < end; i++) {
			if (lines[i].indent >= 0 && !lines[i].key && lines[i].value &&
			    strstr(lines[i].value, "workflow_dispatch"))
				goto done;
		}
		rc = dk_error_set(DK_EINVALID, "the workflow has no workflow_dispatch trigger: "
				  "Gitea refuses to dispatch it");
		goto done;
	}
	end = block_end(lines, n, wd + 1, lines[wd].indent);
	if ((inputs = child(lines, wd + 1, end, "inputs")) == end)
		goto done;
	end = block_end(lines, n, inputs + 1, lines[inputs].indent);
	{
		int indent = -1;

		for (size_t i = inputs + 1; i < end; i++) {
			if (lines[i].indent < 0)
				continue;
			if (indent < 0)
				indent = lines[i].indent;
			if (lines[i].indent == indent && lines[i].key &&
			    (rc = add_input(l, raw, lines, n, i)) < 0)
				goto done;
		}
	}
done:
	for (size_t i = 0; raw && i < n; i++)
		free(raw[i]);
	free(raw);
	free(lines);
	free(copy);
	if (rc < 0)
		dk_gitops_input_list_free(l);
	else
		*out = l;
	return rc;
}

void
dk_gitops_input_list_free(dk_gitops_input_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->items && i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].description);
		free(l->items[i].default_value);
		free(l->items[i].type);
	}
	free(l->items);
	free(l);
}
