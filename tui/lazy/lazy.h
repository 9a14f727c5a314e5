#ifndef DK_LAZY_H
#define DK_LAZY_H

/* Delay-loaded libraries (lazylib.sh): the generated table and its resolver. */
struct dk_lazy_sym {
	const char *name;
	unsigned lib;           /* index into dk_lazy_libs */
};

extern const char *const dk_lazy_libs[];
extern const unsigned dk_lazy_n_libs;
extern const struct dk_lazy_sym dk_lazy_syms[];
extern void *dk_lazy_addr[];

/* Called by a trampoline's first call: loads the library, returns the function. */
void *dk_lazy_resolve(unsigned idx);

#endif
