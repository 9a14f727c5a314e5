#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lazy.h"

#define MAX_LIBS 16

/* A library that cannot be loaded is as fatal as one missing at exec time. */
static void
die(const char *what, const char *name)
{
	fprintf(stderr, "diskops: cannot load %s (%s): %s\n", what, name, dlerror());
	_exit(127);
}

void *
dk_lazy_resolve(unsigned idx)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static void *handles[MAX_LIBS];
	const struct dk_lazy_sym *s = &dk_lazy_syms[idx];
	void *h, *fn;

	pthread_mutex_lock(&lock);
	if ((fn = dk_lazy_addr[idx]))
		goto done;
	if (s->lib >= MAX_LIBS || s->lib >= dk_lazy_n_libs)
		die(s->name, "library index");
	if (!(h = handles[s->lib])) {
		if (!(h = dlopen(dk_lazy_libs[s->lib], RTLD_LAZY | RTLD_LOCAL)))
			die(dk_lazy_libs[s->lib], s->name);
		handles[s->lib] = h;
	}
	if (!(fn = dlsym(h, s->name)))
		die(dk_lazy_libs[s->lib], s->name);
	/* Trampolines read the slot without the lock. */
	__atomic_store_n(&dk_lazy_addr[idx], fn, __ATOMIC_RELEASE);
done:
	pthread_mutex_unlock(&lock);
	return fn;
}
