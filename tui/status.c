/*
 * The status bar's text: account, platforms, open alerts, serve's heartbeat, Gitea and
 * registry reachability as recorded in the store, read-only. Long forms when they fit,
 * then short ones (✓ ✗ ?), then the platform count goes: the account, the alerts and
 * read-only always stay. No ticking ages: an idle console with serve beating every 30 s
 * writes nothing; serve turns "down since HH:MM" on the age tick's repaint after its
 * heartbeat goes stale, without a store change.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "diskops/clock.h"

enum { SEG_ACCOUNT, SEG_PLATFORMS, SEG_ALERTS, SEG_SERVE, SEG_GITEA, SEG_REGISTRY, SEG_RO, SEG__COUNT };

static void
service(char *out, size_t len, const struct console_snapshot *s, const char *name, bool brief,
	const char *never)
{
	const dk_service_status *st = dk_service_status_find(s->services, name);

	if (!st)
		snprintf(out, len, "%s %s", name, brief ? "?" : never);
	else if (!st->ok)
		snprintf(out, len, "%s %s", name, brief ? term_glyph(G_CROSS) : "unreachable");
	else if (brief)
		snprintf(out, len, "%s %s", name, term_glyph(G_CHECK));
	else if (st->detail && *st->detail && strcmp(name, "gitea") == 0)
		snprintf(out, len, "gitea %.40s", st->detail);
	else
		snprintf(out, len, "%s ok", name);
}

/* serve is up while its heartbeat is fresh; the row stays behind when it stops. */
static void
serve(char *out, size_t len, const struct console_snapshot *s, bool brief)
{
	const dk_service_status *st = dk_service_status_find(s->services, "serve");
	int64_t age = st ? dk_clock_now() - st->checked_at : 0;
	time_t beat = st ? (time_t)st->checked_at : 0;
	char when[24];
	struct tm tm;

	if (!st)
		snprintf(out, len, "serve %s", brief ? "?" : "never seen");
	else if (age <= DK_HEARTBEAT_STALE_SECONDS)
		snprintf(out, len, "serve %s", brief ? term_glyph(G_CHECK) : "up");
	else if (brief)
		snprintf(out, len, "serve %s", term_glyph(G_CROSS));
	else {
		time_t now = (time_t)dk_clock_now();
		struct tm today;

		/* The day too once the last beat is not from today. */
		localtime_r(&beat, &tm);
		localtime_r(&now, &today);
		strftime(when, sizeof(when), tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year
			 ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
		snprintf(out, len, "serve down since %s", when);
	}
}

static int
join(char *buf, size_t len, char seg[SEG__COUNT][96], bool skip_platforms)
{
	const char *sep = term_glyph(G_SEP);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < SEG__COUNT; i++) {
		if (!seg[i][0] || (skip_platforms && i == SEG_PLATFORMS))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? " " : "", used ? sep : "");
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? " " : "", seg[i]);
	}
	return text_width(buf);
}

void
status_bar_text(struct console *c, char *buf, size_t len, int width)
{
	const struct console_snapshot *s = c->snap;
	char seg[SEG__COUNT][96];

	if (s->pending) {
		snprintf(buf, len, "account %.80s %s reading the store%s", s->account->name,
			 term_glyph(G_SEP), term_glyph(G_ELLIPSIS));
		return;
	}
	for (int brief = 0; brief < 2; brief++) {
		snprintf(seg[SEG_ACCOUNT], sizeof(seg[0]), "account %.80s", s->account->name);
		snprintf(seg[SEG_PLATFORMS], sizeof(seg[0]), "%zu platform%s", s->platforms->count,
			 s->platforms->count == 1 ? "" : "s");
		snprintf(seg[SEG_ALERTS], sizeof(seg[0]), "%d open alert%s", s->open_alerts,
			 s->open_alerts == 1 ? "" : "s");
		serve(seg[SEG_SERVE], sizeof(seg[0]), s, brief);
		service(seg[SEG_GITEA], sizeof(seg[0]), s, "gitea", brief, "not polled");
		service(seg[SEG_REGISTRY], sizeof(seg[0]), s, "registry", brief, "not checked");
		snprintf(seg[SEG_RO], sizeof(seg[0]), "%s", c->opts.read_only ? "read-only" : "");
		if (join(buf, len, seg, false) <= width)
			return;
	}
	join(buf, len, seg, true);
}
