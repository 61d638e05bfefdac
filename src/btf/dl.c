/* dlopen of optional libraries, shared by libarchive_dl.c and decompress.c: see
 * dl.h for why these are not linked. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/dl.h"

static void load(struct pk_dl *dl)
{
	const char *path = dl->env ? getenv(dl->env) : NULL;
	void *h;

	if (!path || !*path)
		path = dl->soname;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(dl->why, sizeof(dl->why), "%s needs %s (Debian: %s): cannot load %s: %s",
			 dl->what, dl->lib, dl->package, path, dlerror());
		dl->state = -ELIBACC;
		return;
	}
	for (size_t i = 0; i < dl->nr_syms; i++) {
		void *sym = dlsym(h, dl->syms[i].name);

		if (!sym) {
			snprintf(dl->why, sizeof(dl->why), "%s has no %s: not %s", path,
				 dl->syms[i].name, dl->kind);
			dlclose(h);	/* the table is never read while state < 0 */
			dl->state = -ELIBACC;
			return;
		}
		memcpy((char *)dl->table + dl->syms[i].off, &sym, sizeof(sym));
	}
	dl->state = 1;
}

int pk_dl__load(struct pk_dl *dl, struct pk_error *err)
{
	int state;

	pthread_mutex_lock(&dl->lock);
	if (!dl->state)
		load(dl);
	state = dl->state;
	pthread_mutex_unlock(&dl->lock);
	if (state > 0)
		return 0;
	return pk_error__set(err, state, "%s", dl->why);
}
