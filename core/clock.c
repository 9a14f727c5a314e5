#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "diskops/clock.h"
#include "diskops/error.h"

static _Atomic int64_t fake_now;

int64_t
dk_clock_now(void)
{
	int64_t f = atomic_load(&fake_now);

	return f > 0 ? f : (int64_t)time(NULL);
}

void
dk_clock_set(int64_t t)
{
	atomic_store(&fake_now, t > 0 ? t : 0);
}

void
dk_clock_advance(int64_t seconds)
{
	atomic_fetch_add(&fake_now, seconds);
}

const char *
dk_clock_iso(char *buf, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	buf[0] = '\0';
	if (t > 0 && gmtime_r(&tt, &tm))
		strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

const char *
dk_clock_age(char *buf, int64_t t)
{
	int64_t d;

	if (t <= 0) {
		snprintf(buf, 24, "-");
		return buf;
	}
	d = dk_clock_now() - t;
	if (d < 0)
		d = 0;
	if (d < 10)
		snprintf(buf, 24, "just now");
	else if (d < 60)
		snprintf(buf, 24, "%llds", (long long)d);
	else if (d < 3600)
		snprintf(buf, 24, "%lldm", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, 24, "%lldh", (long long)(d / 3600));
	else
		snprintf(buf, 24, "%lldd", (long long)(d / 86400));
	return buf;
}

int
dk_clock_parse_duration(int64_t *out, const char *text)
{
	char *end;
	long long v;
	int64_t mult = 1;

	v = strtoll(text, &end, 10);
	if (end == text || v < 0)
		goto bad;
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: goto bad;
	}
	if (*end && end[1] != '\0')
		goto bad;
	if (v > INT64_MAX / mult)
		goto bad;
	*out = (int64_t)v * mult;
	return 0;
bad:
	return dk_error_set(DK_EINVALID, "duration \"%s\" is not a number with s, m, h, d or w", text);
}
