#ifndef DISKOPS_CLOCK_H
#define DISKOPS_CLOCK_H

#include <stdint.h>

/*
 * The one place core reads the time (UTC unix seconds), so tests can move it:
 * grace periods, expiries and alert thresholds are tested without sleeping.
 */
int64_t dk_clock_now(void);

/* Freeze the clock at t (t > 0), or return to the real clock (t == 0). */
void dk_clock_set(int64_t t);
/* Move a frozen clock forward by seconds. */
void dk_clock_advance(int64_t seconds);

/* "2026-11-23T10:00:00Z" into buf (at least 21 bytes); "" for t <= 0. */
const char *dk_clock_iso(char *buf, int64_t t);
/* "3m", "2h", "5d", "just now" relative to now; buf at least 24 bytes; "-" for t <= 0. */
const char *dk_clock_age(char *buf, int64_t t);
/* Parses "30s", "15m", "12h", "7d", "2w" (or plain seconds) into seconds. */
int dk_clock_parse_duration(int64_t *out, const char *text);

#endif
