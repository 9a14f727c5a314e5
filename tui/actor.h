#ifndef DISKOPS_TUI_ACTOR_H
#define DISKOPS_TUI_ACTOR_H

/*
 * Who is acting, for the audit trail: the Unix user, plus the client address from
 * SSH_CONNECTION when logged in remotely ("alice@10.0.0.7"). The CLI and the console
 * share it so an event reads the same whichever front end made the change.
 */
const char *tui_actor(void);

#endif
