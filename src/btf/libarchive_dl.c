/* libarchive through dlopen: see libarchive_dl.h for why. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/libarchive_dl.h"

static struct pk_libarchive la;
static char la_why[256];
static int la_state;	/* 0 not tried, 1 loaded, -1 failed */
static pthread_mutex_t la_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	size_t off;
} la_syms[] = {
#define SYM(field, sym) { #sym, offsetof(struct pk_libarchive, field) }
	SYM(read_new, archive_read_new),
	SYM(read_free, archive_read_free),
	SYM(read_support_filter_all, archive_read_support_filter_all),
	SYM(read_support_format_all, archive_read_support_format_all),
	SYM(read_open_memory, archive_read_open_memory),
	SYM(read_open, archive_read_open),
	SYM(read_next_header, archive_read_next_header),
	SYM(read_data, archive_read_data),
	SYM(error_string, archive_error_string),
	SYM(set_error, archive_set_error),
	SYM(format, archive_format),
	SYM(entry_pathname, archive_entry_pathname),
	SYM(entry_size, archive_entry_size),
	SYM(entry_size_is_set, archive_entry_size_is_set),
	SYM(entry_filetype, archive_entry_filetype),
#undef SYM
};

static void load(void)
{
	const char *path = getenv("PROBEKIT_LIBARCHIVE");
	void *h;

	if (!path || !*path)
		path = PK_LIBARCHIVE_SONAME;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(la_why, sizeof(la_why),
			 "reading packages needs libarchive (Debian: libarchive13): cannot load %s: %s",
			 path, dlerror());
		la_state = -1;
		return;
	}
	for (size_t i = 0; i < sizeof(la_syms) / sizeof(la_syms[0]); i++) {
		void *sym = dlsym(h, la_syms[i].name);

		if (!sym) {
			snprintf(la_why, sizeof(la_why), "%s has no %s: not libarchive 3", path,
				 la_syms[i].name);
			dlclose(h);
			memset(&la, 0, sizeof(la));
			la_state = -1;
			return;
		}
		memcpy((char *)&la + la_syms[i].off, &sym, sizeof(sym));
	}
	la_state = 1;	/* the handle stays open for the life of the process */
}

const struct pk_libarchive *pk_libarchive(char *why, size_t why_len)
{
	pthread_mutex_lock(&la_lock);
	if (!la_state)
		load();
	pthread_mutex_unlock(&la_lock);
	if (la_state > 0)
		return &la;
	if (why && why_len)
		snprintf(why, why_len, "%s", la_why);
	return NULL;
}
