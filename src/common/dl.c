/* dlopen of optional libraries, shared by libarchive_dl.c and decompress.c: see
 * dl.h for why these are not linked. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dl.h"

static void load(struct pk_dl *dl)
{
	const char *path = dl->env ? getenv(dl->env) : NULL;
	void *h;

	if (!path || !*path)
		path = dl->soname;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		dl->state = pk_error__set(&dl->err, -ELIBACC, "needs %s (Debian: %s): cannot load %s: %s",
					  dl->lib, dl->package, path, dlerror());
		return;
	}
	for (size_t i = 0; i < dl->nr_syms; i++) {
		void *sym = dlsym(h, dl->syms[i].name);

		if (!sym) {
			dl->state = pk_error__set(&dl->err, -ELIBACC, "needs %s: %s has no %s",
						  dl->kind, path, dl->syms[i].name);
			dlclose(h);	/* the table is never read while state < 0 */
			return;
		}
		memcpy((char *)dl->table + dl->syms[i].off, &sym, sizeof(sym));
	}
	dl->state = 1;
}

int pk_dl__load(struct pk_dl *dl, const char *what, struct pk_error *err)
{
	int state;

	pthread_mutex_lock(&dl->lock);
	if (!dl->state)
		load(dl);
	state = dl->state;
	pthread_mutex_unlock(&dl->lock);
	if (state > 0)
		return 0;
	/* dl->err is written once, under the lock, before state < 0 is visible */
	return pk_error__set(err, state, "%s %s", what, dl->err.msg);
}
