/* Library-wide conventions for probekit's user side. The library never prints:
 * int functions return 0 or a negative errno, pointer functions return NULL and
 * set errno, and diagnostics go through the print callback set here. */
#ifndef PK_H
#define PK_H

#include <stdarg.h>
#include <stddef.h>

enum pk_print_level {
	PK_WARN,
	PK_INFO,
	PK_DEBUG,
};

typedef int (*pk_print_fn_t)(enum pk_print_level level, const char *fmt, va_list ap);

/* returns the previous callback; NULL silences the library */
pk_print_fn_t pk_set_print(pk_print_fn_t fn);
void pk_pr(enum pk_print_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pk_warn(...) pk_pr(PK_WARN, __VA_ARGS__)
#define pk_info(...) pk_pr(PK_INFO, __VA_ARGS__)
#define pk_debug(...) pk_pr(PK_DEBUG, __VA_ARGS__)

/* small helpers shared by the library */
#define PK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* read a whole file into a malloc'd, NUL-terminated buffer; -errno on failure */
int pk_read_file(const char *path, char **data, size_t *len, size_t max_len);
/* write atomically: temp file in the same directory, then rename */
int pk_write_file_atomic(const char *path, const void *data, size_t len);
/* strlcpy-like; returns 0 or -ENAMETOOLONG when truncated */
int pk_strlcpy(char *dst, const char *src, size_t size);

#endif
