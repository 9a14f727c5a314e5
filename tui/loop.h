#ifndef DISKOPS_TUI_LOOP_H
#define DISKOPS_TUI_LOOP_H

/*
 * The console's one event loop: a poll() over the terminal and a self-pipe, with
 * repeating timers. Each turn the timeout is the time to the next due timer, so an idle
 * console blocks in poll() and writes nothing. The self-pipe is how anything outside
 * the loop gets its attention: signal handlers (loop_wake is async-signal-safe) and,
 * later, worker threads handing over snapshots with loop_post.
 */

struct loop;

typedef void (*loop_fn)(void *arg);

int loop_new(struct loop **out);
void loop_free(struct loop *l);

/* Calls fn every interval_ms on the loop thread; at most LOOP_MAX_TIMERS. */
#define LOOP_MAX_TIMERS 8
int loop_timer(struct loop *l, int interval_ms, loop_fn fn, void *arg);

/* Any thread: runs fn(arg) on the loop thread at its next turn, in order. */
int loop_post(struct loop *l, loop_fn fn, void *arg);

/* Async-signal-safe: makes the loop take a turn. */
void loop_wake(struct loop *l);
/* The write end of the self-pipe, for signal handlers that only know an fd. */
int loop_wake_fd(const struct loop *l);

struct loop_handlers {
	loop_fn on_input;       /* the terminal fd is readable */
	loop_fn on_wake;        /* the self-pipe was written (signals) */
	loop_fn before_wait;    /* last thing before blocking: paint what changed */
	void *arg;
};

/* Runs until loop_stop; returns 0, or DK_EIO when poll fails. */
int loop_run(struct loop *l, int input_fd, const struct loop_handlers *h);
void loop_stop(struct loop *l);

#endif
