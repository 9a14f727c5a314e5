#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <curses.h>

#include "engine.h"

void
prompt_start(struct console *c, char kind)
{
	memset(&c->prompt, 0, sizeof(c->prompt));
	c->prompt.active = true;
	c->prompt.kind = kind;
}

/* Candidates for the word being typed: command names, or the command's argument. */
static size_t
candidates(struct console *c, const char *cmd, const char *word, const char **out, size_t max)
{
	const struct console_snapshot *s = c->snap;
	size_t n = 0, len = strlen(word);

#define OFFER(name) do { \
		if (n < max && strncmp((name), word, len) == 0) \
			out[n++] = (name); \
	} while (0)
	if (!cmd) {
		for (int a = 1; a < ACT__COUNT; a++) {
			if (!(action_info[a].views & c->view->ops->bit))
				continue;
			if ((action_info[a].flags & AF_CHANGES) && c->opts.read_only)
				continue;
			OFFER(action_info[a].name);
		}
	} else if (strcmp(cmd, "platform") == 0) {
		for (size_t i = 0; i < s->platforms->count; i++)
			OFFER(s->platforms->items[i].name);
	} else if (strcmp(cmd, "account") == 0) {
		for (size_t i = 0; i < s->accounts->count; i++)
			OFFER(s->accounts->items[i].name);
	}
#undef OFFER
	return n;
}

static void
complete(struct console *c)
{
	struct prompt *p = &c->prompt;
	const char *cands[64], *word;
	char cmd[64] = "", line[256], list[256] = "";
	size_t n, common, used = 0;
	char *space = strchr(p->in.text, ' ');

	if (space) {
		snprintf(cmd, sizeof(cmd), "%.*s", (int)(space - p->in.text), p->in.text);
		for (word = space; *word == ' '; word++)
			;
	} else {
		word = p->in.text;
	}
	n = candidates(c, space ? cmd : NULL, word, cands, 64);
	if (n == 0) {
		console_message(c, ST_WARN, "no completion for \"%s\"", word);
		return;
	}
	/* Extend to what every candidate shares; one candidate completes the word. */
	common = strlen(cands[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;

		while (k < common && cands[i][k] == cands[0][k])
			k++;
		common = k;
	}
	snprintf(line, sizeof(line), "%s%s%.*s%s", space ? cmd : "", space ? " " : "",
		 (int)common, cands[0],
		 n == 1 && !space && (action_info[action_by_name(cands[0])].flags & AF_ARG) ? " " : "");
	text_input_set(&p->in, line);
	if (n == 1) {
		c->message[0] = '\0';
		return;
	}
	for (size_t i = 0; i < n && used < sizeof(list) - 1; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? "  " : "", cands[i]);
	console_message(c, ST_NORMAL, "%s", list);
}

static int
run_command(struct console *c, char *line)
{
	char *cmd = line, *arg, *end;
	enum action a;

	while (isspace((unsigned char)*cmd))
		cmd++;
	end = cmd + strlen(cmd);
	while (end > cmd && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (!*cmd)
		return R_REDRAW;
	arg = cmd + strcspn(cmd, " \t");
	if (*arg) {
		*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
	}
	if ((a = action_by_name(cmd)) == ACT_NONE) {
		console_message(c, ST_WARN, "unknown command \"%s\" (Tab completes, :help lists)", cmd);
		return R_REDRAW;
	}
	return console_dispatch(c, a, arg);
}

int
prompt_key(struct console *c, int key)
{
	struct prompt *p = &c->prompt;
	char line[sizeof(p->in.text)];

	switch (key) {
	case 27:
		p->active = false;
		return R_REDRAW;
	case '\n':
		p->active = false;
		snprintf(line, sizeof(line), "%s", p->in.text);
		if (p->kind == ':')
			return run_command(c, line);
		/* An empty search repeats the last one, as in less and vi. */
		if (line[0])
			snprintf(c->view->search, sizeof(c->view->search), "%s", line);
		/* Through the view first: the log view searches its file, not rows. */
		return console_dispatch(c, ACT_SEARCH_NEXT, NULL);
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* Backspace on an empty line leaves it, as in vi and less. */
		if (p->in.len == 0) {
			p->active = false;
			return R_REDRAW;
		}
		break;
	case '\t':
		if (p->kind == ':')
			complete(c);
		return R_REDRAW;
	}
	text_input_key(&p->in, key);
	return R_REDRAW;
}
