#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "keys.h"
#include "diskops/error.h"

const struct action_info action_info[ACT__COUNT] = {
	[ACT_NONE] = { "none", "", 0, 0, "", "" },
#define X(id, name, keys, views, flags, group, help) \
	[ACT_##id] = { name, keys, views, flags, group, help },
	CONSOLE_ACTIONS(X)
#undef X
};

static const struct {
	const char *name;
	int key;
} named_keys[] = {
	{ "Enter", '\n' }, { "Esc", 27 }, { "Tab", '\t' }, { "BTab", KEY_BTAB },
	{ "Space", ' ' }, { "Up", KEY_UP }, { "Down", KEY_DOWN }, { "Left", KEY_LEFT },
	{ "Right", KEY_RIGHT }, { "PgUp", KEY_PPAGE }, { "PgDn", KEY_NPAGE },
	{ "Home", KEY_HOME }, { "End", KEY_END }, { "Backspace", KEY_BACKSPACE },
	{ "Del", KEY_DC }, { "Ins", KEY_IC },
};
#define N_NAMED (sizeof(named_keys) / sizeof(named_keys[0]))

int
keymap_key_parse(const char *name)
{
	int n;
	char end;

	for (size_t i = 0; i < N_NAMED; i++) {
		if (strcasecmp(named_keys[i].name, name) == 0)
			return named_keys[i].key;
	}
	if (name[0] && !name[1] && isgraph((unsigned char)name[0]))
		return (unsigned char)name[0];
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && isalpha((unsigned char)name[2]) &&
	    !name[3])
		return tolower((unsigned char)name[2]) & 0x1f;
	if ((name[0] == 'F' || name[0] == 'f') && sscanf(name + 1, "%d%c", &n, &end) == 1 &&
	    n >= 1 && n <= 12)
		return KEY_F(n);
	return -1;
}

const char *
keymap_key_name(int key, char *buf, size_t len)
{
	for (size_t i = 0; i < N_NAMED; i++) {
		if (named_keys[i].key == key) {
			snprintf(buf, len, "%s", named_keys[i].name);
			return buf;
		}
	}
	if (key > ' ' && key < 127)
		snprintf(buf, len, "%c", key);
	else if (key >= 1 && key <= 26)
		snprintf(buf, len, "C-%c", 'a' + key - 1);
	else if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(buf, len, "F%d", key - KEY_F(0));
	else
		snprintf(buf, len, "#%d", key);
	return buf;
}

enum action
action_by_name(const char *name)
{
	if (strcmp(name, "q") == 0)
		return ACT_QUIT;
	for (int a = 1; a < ACT__COUNT; a++) {
		if (strcmp(action_info[a].name, name) == 0)
			return (enum action)a;
	}
	return ACT_NONE;
}

/* The key leaves every action that could see it in the same view as `a`. */
static void
steal_key(struct keymap *km, enum action a, int key)
{
	for (int b = 1; b < ACT__COUNT; b++) {
		if (b == (int)a || !(action_info[b].views & action_info[a].views))
			continue;
		for (int i = 0; i < km->n[b]; i++) {
			if (km->keys[b][i] != key)
				continue;
			memmove(&km->keys[b][i], &km->keys[b][i + 1],
				(size_t)(km->n[b] - i - 1) * sizeof(int));
			km->n[b]--;
			i--;
		}
	}
}

/* Splits "j Down, C-n" and binds each; keys are checked before anything changes. */
static int
bind_keys(struct keymap *km, enum action a, const char *spec)
{
	int keys[KEYS_PER_ACTION], n = 0, key;
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "none") == 0)
			continue;
		if ((key = keymap_key_parse(tok)) < 0)
			return dk_error_set(DK_EINVALID, "[keys] %s: unknown key \"%s\"",
					    action_info[a].name, tok);
		if (n == KEYS_PER_ACTION)
			return dk_error_set(DK_EINVALID, "[keys] %s: at most %d keys",
					    action_info[a].name, KEYS_PER_ACTION);
		keys[n++] = key;
	}
	km->n[a] = 0;
	for (int i = 0; i < n; i++) {
		steal_key(km, a, keys[i]);
		km->keys[a][km->n[a]++] = keys[i];
	}
	return 0;
}

void
keymap_defaults(struct keymap *km)
{
	memset(km, 0, sizeof(*km));
	for (int a = 1; a < ACT__COUNT; a++)
		bind_keys(km, (enum action)a, action_info[a].keys);
}

int
keymap_apply(struct keymap *km, const dk_config_pair *pairs, size_t n)
{
	enum action a;
	int rc;

	for (size_t i = 0; i < n; i++) {
		a = action_by_name(pairs[i].name);
		if (a == ACT_NONE || strcmp(pairs[i].name, "q") == 0)
			return dk_error_set(DK_EINVALID, "[keys]: unknown action \"%s\"", pairs[i].name);
		if ((rc = bind_keys(km, a, pairs[i].value)) < 0)
			return rc;
	}
	return 0;
}

enum action
keymap_lookup(const struct keymap *km, unsigned view_bit, int key)
{
	for (int a = 1; a < ACT__COUNT; a++) {
		if (!(action_info[a].views & view_bit))
			continue;
		for (int i = 0; i < km->n[a]; i++) {
			if (km->keys[a][i] == key)
				return (enum action)a;
		}
	}
	return ACT_NONE;
}

const char *
keymap_describe(const struct keymap *km, enum action a, char *buf, size_t len)
{
	char name[16];
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < km->n[a] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 keymap_key_name(km->keys[a][i], name, sizeof(name)));
	return buf;
}
