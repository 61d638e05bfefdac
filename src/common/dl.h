/* Optional libraries loaded with dlopen on first use, once per process: what the
 * node agent must not link (libarchive for packages; liblzma, libbz2, liblz4 for
 * kernel images) but `btf extract` needs. One loader, one error message shape:
 * "<what> needs <lib> (Debian: <package>): cannot load <soname>: <dlerror>". */
#ifndef PK_DL_H
#define PK_DL_H

#include <pthread.h>
#include <stddef.h>

#include "common/pk.h"

struct pk_dl_sym {
	const char *name;	/* symbol */
	size_t off;		/* offset of its function pointer in the table */
};
#define PK_DL_SYM(type, field, sym) { #sym, offsetof(type, field) }

/* A library and the table of function pointers it fills: exactly one static per
 * library (and so one lock per table; xz and lzma share liblzma's), defined with
 * PK_DL_INIT; call pk_dl__load() before using the table. */
struct pk_dl {
	const char *lib;	/* "libarchive" */
	const char *package;	/* Debian package: "libarchive13" */
	const char *soname;	/* "libarchive.so.13" */
	const char *env;	/* variable naming another path to load (tests), or NULL */
	const char *kind;	/* what a library with all the symbols is: "libarchive 3" */
	const struct pk_dl_sym *syms;
	size_t nr_syms;
	void *table;		/* filled by this entry only */
	/* state, private */
	pthread_mutex_t lock;
	int state;		/* 0 not tried, 1 loaded, negative errno: failed */
	struct pk_error err;	/* why it failed, without the caller's <what> */
};
#define PK_DL_INIT .lock = PTHREAD_MUTEX_INITIALIZER

/* 0 when the library and every symbol are loaded (the handle stays open for the
 * life of the process); -ELIBACC with err set, the same every later call. what
 * says what needed it ("reading packages", "decompressing xz"): it opens err. */
int pk_dl__load(struct pk_dl *dl, const char *what, struct pk_error *err);

#endif
