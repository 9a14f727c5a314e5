#ifndef DISKOPS_TUI_ACTIONS_H
#define DISKOPS_TUI_ACTIONS_H

/*
 * Every console action, once: config name, default keys, the views it applies in, flags,
 * help group and help text. The action enum, the key dispatch, the `?` help screen, the
 * `:` command line and its completion, and config [keys] names are all generated from
 * this list (tig's REQ_INFO). Keys are names as in config.ini: j, G, Enter, Esc, Tab,
 * BTab, Space, Up, Down, PgUp, PgDn, Home, End, F1, C-l. "" = command line only.
 */

/* Views, as bits so one action can apply in several. */
enum {
	VB_OVERVIEW = 1 << 0,
	VB_PUBLICATIONS = 1 << 1,
	VB_PUBLICATION = 1 << 2,
	VB_EVENTS = 1 << 3,
	VB_ALERTS = 1 << 4,
	VB_HELP = 1 << 5,
	VB_RUNS = 1 << 6,
	VB_JOBS = 1 << 7,
	VB_LOG = 1 << 8,
	/* webhooks, deliveries, runners/workers, approvals (views/{webhooks,deliveries,workers,approvals}.c) */
	VB_WEBHOOKS = 1 << 10,
	VB_DELIVERIES = 1 << 11,
	VB_WORKERS = 1 << 12,
	VB_APPROVALS = 1 << 13
};
#define VB_OPS_LISTS (VB_WEBHOOKS | VB_DELIVERIES | VB_WORKERS | VB_APPROVALS)
#define VB_LISTS (VB_OVERVIEW | VB_PUBLICATIONS | VB_EVENTS | VB_ALERTS | VB_OPS_LISTS)
#define VB_CI (VB_RUNS | VB_JOBS | VB_LOG)
#define VB_ALL (VB_LISTS | VB_PUBLICATION | VB_HELP | VB_CI)

enum {
	AF_CHANGES = 1 << 0,    /* changes state: hidden from help and refused with --read-only */
	AF_ARG = 1 << 1         /* takes an argument on the command line */
};

#define CONSOLE_ACTIONS(X) \
	X(QUIT, "quit", "Q", VB_ALL, 0, "General", "quit the console (also :q)") \
	X(CLOSE, "close", "q", VB_ALL, 0, "General", "close this view; quits from the overview") \
	X(BACK, "back", "Esc", VB_ALL, 0, "General", "go back to the previous view") \
	X(HELP, "help", "? F1", VB_ALL, 0, "General", "the keys of this view") \
	X(PROMPT, "prompt", ":", VB_ALL, 0, "General", "command line; Tab completes") \
	X(REFRESH, "refresh", "C-l", VB_ALL, 0, "General", "reload from the store and repaint") \
	X(NEXT_VIEW, "next-view", "Tab", VB_ALL, 0, "Views", "next view") \
	X(PREV_VIEW, "prev-view", "BTab", VB_ALL, 0, "Views", "previous view") \
	X(OVERVIEW, "overview", "1", VB_ALL, 0, "Views", "platforms with their default image") \
	X(PUBLICATIONS, "publications", "2", VB_ALL, 0, "Views", \
	  "publications of the selected platform") \
	X(EVENTS, "events", "3", VB_ALL, 0, "Views", "the audit trail, newest first") \
	X(ALERTS, "alerts", "4", VB_ALL, 0, "Views", "open and acknowledged alerts") \
	X(RUNS, "runs", "5", VB_ALL, 0, "Views", "workflow runs of the platforms' build repos") \
	X(WEBHOOKS, "webhooks", "6", VB_ALL, 0, "Views", "build webhooks: status, secret preview") \
	X(DELIVERIES, "deliveries", "7", VB_ALL, 0, "Views", \
	  "webhook delivery attempts with their outcome and reason") \
	X(WORKERS, "workers", "8", VB_ALL, 0, "Views", "CI workers and Gitea runners") \
	X(APPROVALS, "approvals", "9", VB_ALL, 0, "Views", "approvals: pending first") \
	X(MOVE_DOWN, "move-down", "j Down", VB_ALL, 0, "Moving", "next row") \
	X(MOVE_UP, "move-up", "k Up", VB_ALL, 0, "Moving", "previous row") \
	X(PAGE_DOWN, "page-down", "PgDn C-f Space", VB_ALL, 0, "Moving", "next page") \
	X(PAGE_UP, "page-up", "PgUp C-b", VB_ALL, 0, "Moving", "previous page") \
	X(FIRST, "first", "g Home", VB_ALL, 0, "Moving", "first row") \
	X(LAST, "last", "G End", VB_ALL, 0, "Moving", "last row") \
	X(ENTER, "enter", "Enter", VB_OVERVIEW | VB_PUBLICATIONS | VB_WEBHOOKS | VB_RUNS | VB_JOBS, \
	  0, "Selection", "open the selected row") \
	X(YANK, "yank", "y", VB_LISTS | VB_PUBLICATION, 0, "Selection", \
	  "copy the selected id, digest or ref (OSC 52)") \
	X(SEARCH, "search", "/", VB_ALL, 0, "Searching", "search this view") \
	X(SEARCH_NEXT, "search-next", "n", VB_ALL, 0, "Searching", "next match") \
	X(SEARCH_PREV, "search-prev", "N", VB_ALL, 0, "Searching", "previous match") \
	X(SHOW_ALL, "show-all", "a", VB_PUBLICATIONS, 0, "Publications", \
	  "show or hide retired and purged publications") \
	X(ROLLBACK, "rollback", "R", VB_PUBLICATIONS, AF_CHANGES, "Publications", \
	  "make the selected publication the platform default") \
	X(PROMOTE, "promote", "P", VB_PUBLICATIONS, AF_CHANGES, "Publications", \
	  "promote the selected publication: the same dialog, under the promote policy") \
	X(ACK, "ack", "a", VB_ALERTS, AF_CHANGES, "Alerts", \
	  "acknowledge the selected alert") \
	X(APPROVE, "approve", "A", VB_APPROVALS, AF_CHANGES, "Approvals", \
	  "approve the selected request (a second person: not the requester)") \
	X(REJECT, "reject", "X", VB_APPROVALS, AF_CHANGES, "Approvals", \
	  "reject the selected request, with a reason") \
	X(ROTATE_SECRET, "rotate-secret", "S", VB_WEBHOOKS, AF_CHANGES, "Webhooks", \
	  "new secret for the selected webhook, shown once; the old one stops working") \
	X(REVOKE, "revoke", "X", VB_WEBHOOKS, AF_CHANGES, "Webhooks", \
	  "revoke the selected webhook: its URL refuses builds from now on") \
	X(DISPATCH, "dispatch", "d", VB_RUNS, AF_CHANGES, "Runs", \
	  "start the build workflow of the selected run's platform, with its inputs") \
	X(FOLLOW, "follow", "F", VB_LOG, 0, "Log", \
	  "follow the log as it grows (scrolling up pauses, G resumes)") \
	X(FILTER, "filter", "f", VB_LOG, 0, "Log", "only the lines matching the last search") \
	X(WRAP, "wrap", "w", VB_LOG, 0, "Log", "wrap long lines") \
	X(TIMESTAMPS, "timestamps", "t", VB_LOG, 0, "Log", "show the time Gitea stamped on each line") \
	X(LOGS, "logs", "", VB_ALL, AF_ARG, "Commands", ":logs JOB  the log of a job") \
	X(PLATFORM, "platform", "", VB_ALL, AF_ARG, "Commands", \
	  ":platform NAME  publications of that platform") \
	X(ACCOUNT, "account", "", VB_ALL, AF_ARG, "Commands", ":account NAME  switch account") \
	X(SAVE_DISPLAY, "save-display", "", VB_ALL, AF_ARG, "Commands", \
	  ":save-display FILE  write the screen as text")

enum action {
	ACT_NONE = 0,
#define X(id, name, keys, views, flags, group, help) ACT_##id,
	CONSOLE_ACTIONS(X)
#undef X
	ACT__COUNT
};

#endif
