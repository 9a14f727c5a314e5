#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "diskops/error.h"

struct timer {
	int interval_ms;
	int64_t due;            /* monotonic ms */
	loop_fn fn;
	void *arg;
};

struct posted {
	struct posted *next;
	loop_fn fn;
	void *arg;
};

struct loop {
	int pipe[2];
	struct timer timers[LOOP_MAX_TIMERS];
	int n_timers;
	pthread_mutex_t lock;   /* guards the posted queue only */
	struct posted *head, *tail;
	bool stop;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(l);
		return dk_error_set(DK_EIO, "self-pipe: %s", strerror(errno));
	}
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	struct posted *p, *next;

	if (!l)
		return;
	for (p = l->head; p; p = next) {
		next = p->next;
		free(p);
	}
	close(l->pipe[0]);
	close(l->pipe[1]);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int
loop_timer(struct loop *l, int interval_ms, loop_fn fn, void *arg)
{
	if (l->n_timers == LOOP_MAX_TIMERS || interval_ms <= 0)
		return dk_error_set(DK_EINVALID, "no room for another timer");
	l->timers[l->n_timers++] = (struct timer){ interval_ms, now_ms() + interval_ms, fn, arg };
	return 0;
}

int
loop_post(struct loop *l, loop_fn fn, void *arg)
{
	struct posted *p = calloc(1, sizeof(*p));

	if (!p)
		return dk_error_set(DK_ENOMEM, "out of memory");
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&l->lock);
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	pthread_mutex_unlock(&l->lock);
	loop_wake(l);
	return 0;
}

void
loop_wake(struct loop *l)
{
	int saved = errno;
	ssize_t n = write(l->pipe[1], "", 1);

	/* A full pipe already guarantees a wake-up. */
	(void)n;
	errno = saved;
}

int
loop_wake_fd(const struct loop *l)
{
	return l->pipe[1];
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}

static void
run_posted(struct loop *l)
{
	struct posted *p;

	pthread_mutex_lock(&l->lock);
	p = l->head;
	l->head = l->tail = NULL;
	pthread_mutex_unlock(&l->lock);
	while (p) {
		struct posted *next = p->next;

		p->fn(p->arg);
		free(p);
		p = next;
	}
}

/* Fires due timers; returns the ms until the next one (-1: none). */
static int
run_timers(struct loop *l)
{
	int64_t now = now_ms(), next = -1;

	for (int i = 0; i < l->n_timers; i++) {
		struct timer *t = &l->timers[i];

		if (t->due <= now) {
			t->fn(t->arg);
			/* Skip missed ticks (suspended process) rather than firing a burst. */
			t->due += t->interval_ms;
			if (t->due <= now)
				t->due = now + t->interval_ms;
		}
		if (next < 0 || t->due < next)
			next = t->due;
	}
	return next < 0 ? -1 : (int)(next > now ? next - now : 0);
}

int
loop_run(struct loop *l, int input_fd, const struct loop_handlers *h)
{
	struct pollfd fds[2];
	char drain[64];
	int timeout, n;

	l->stop = false;
	while (!l->stop) {
		timeout = run_timers(l);
		if (l->stop)
			break;
		h->before_wait(h->arg);
		fds[0] = (struct pollfd){ .fd = input_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = l->pipe[0], .events = POLLIN };
		n = poll(fds, 2, timeout);
		if (n < 0 && errno != EINTR)
			return dk_error_set(DK_EIO, "poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		if (fds[1].revents & POLLIN) {
			while (read(l->pipe[0], drain, sizeof(drain)) > 0)
				;
			run_posted(l);
			h->on_wake(h->arg);
		}
		/* A hung-up terminal stays "readable" forever (Linux reports POLLIN with the
		 * hang-up, and every read fails at once): take what was typed, then stop
		 * instead of spinning. SIGHUP usually comes first, but not when it is blocked,
		 * ignored or lost to a tracer. */
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			if (fds[0].revents & POLLIN)
				h->on_input(h->arg);
			return dk_error_set(DK_EIO, "the terminal went away");
		}
		if (fds[0].revents & POLLIN)
			h->on_input(h->arg);
	}
	return 0;
}
