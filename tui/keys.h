#ifndef DISKOPS_TUI_KEYS_H
#define DISKOPS_TUI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "actions.h"
#include "diskops/config.h"

struct action_info {
	const char *name;
	const char *keys;       /* default keys */
	unsigned views;         /* VB_* */
	unsigned flags;         /* AF_* */
	const char *group;
	const char *help;
};

extern const struct action_info action_info[ACT__COUNT];

#define KEYS_PER_ACTION 6

/* Which keys run which action; a key means one action per view. */
struct keymap {
	int keys[ACT__COUNT][KEYS_PER_ACTION];
	int n[ACT__COUNT];
};

void keymap_defaults(struct keymap *km);
/*
 * Applies config [keys] lines "action = KEY KEY…": the keys replace the action's
 * bindings and are taken from any other action of an overlapping view; an empty value
 * or "none" unbinds. DK_EINVALID naming the action or key on a bad line.
 */
int keymap_apply(struct keymap *km, const dk_config_pair *pairs, size_t n);
enum action keymap_lookup(const struct keymap *km, unsigned view_bit, int key);
/* "j, Down" into buf; "" when unbound. */
const char *keymap_describe(const struct keymap *km, enum action a, char *buf, size_t len);

/* A key name ("G", "C-l", "PgDn") to its curses code; -1 when unknown. */
int keymap_key_parse(const char *name);
/* The name of a key code, into buf (at least 16 bytes). */
const char *keymap_key_name(int key, char *buf, size_t len);

/* By config name; ACT_NONE when unknown. "q" is :q. */
enum action action_by_name(const char *name);

#endif
