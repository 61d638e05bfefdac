/* Library-wide conventions for probekit's user side. The library never prints:
 * int functions return 0 or a negative errno, pointer functions return NULL and
 * set errno, and diagnostics go through the print callback set here. */
#ifndef PK_H
#define PK_H

#include <stdarg.h>
#include <stdbool.h>
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

/*
 * Errors, one convention everywhere: a function returns a negative errno (or NULL
 * with errno set), and when a person needs to know why, it also fills a caller's
 * struct pk_error. pk_error__set() is the one formatter; it returns the code so
 * that `return pk_error__set(e, -EINVAL, "...")` reads as one step. e may be NULL.
 */
#define PK_ERROR_MSG_LEN 1024
struct pk_error {
	int code;			/* negative errno; 0 when nothing failed */
	char msg[PK_ERROR_MSG_LEN];	/* one line for a person, "" when none */
};
int pk_error__set(struct pk_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* like pk_error__set, but keeps a reason already there (the innermost is the useful one) */
int pk_error__set_once(struct pk_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "msg" when set, else strerror(-code) */
const char *pk_error__str(const struct pk_error *e);
void pk_error__clear(struct pk_error *e);

/*
 * Options structs (libbpf's OPTS_* pattern): every options struct starts with
 * `size_t sz`, set by the PK_..._OPTS() declaring macro, so a caller built against
 * an older, shorter struct still works. PK_OPTS_VALID rejects a caller's struct
 * that is larger than ours with non-zero bytes we do not know; PK_OPTS_GET reads a
 * field, or the fallback when the caller's struct is too short to have it (or NULL).
 */
#define pk_offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
int pk_opts__valid(const void *opts, size_t known_sz, size_t user_sz);
#define PK_OPTS_VALID(opts, TYPE) (!(opts) || pk_opts__valid((opts), sizeof(TYPE), (opts)->sz))
#define PK_OPTS_HAS(opts, FIELD) \
	((opts) && (opts)->sz >= pk_offsetofend(__typeof__(*(opts)), FIELD))
#define PK_OPTS_GET(opts, FIELD, FALLBACK) \
	(PK_OPTS_HAS(opts, FIELD) ? (opts)->FIELD : (FALLBACK))

/* CLOCK_MONOTONIC in milliseconds: durations only */
double pk_now_ms(void);

/* read a whole file into a malloc'd, NUL-terminated buffer; -errno on failure */
int pk_file__read(const char *path, char **data, size_t *len, size_t max_len);
/* write atomically: temp file in the same directory, then rename */
int pk_file__write_atomic(const char *path, const void *data, size_t len);
/* a name that becomes one path component: not empty, not "." or "..", no '/',
 * printable ASCII without spaces */
bool pk_path__component_ok(const char *s);
/* mkdir -p of path's parent directories (and of path itself when last): 0 or -errno */
int pk_file__mkdirs(const char *path, bool last);
/* rm -rf of dir, in process: links are removed, never followed; what cannot be
 * removed stays (best effort: scratch directories) */
void pk_file__rm_tree(const char *dir);
/* the value of one hex digit (either case), or -1 */
int pk_hex__digit(unsigned char c);
/* strlcpy-like; returns 0 or -ENAMETOOLONG when truncated */
int pk_strlcpy(char *dst, const char *src, size_t size);

#endif
