/* index.html: the person's view of the repository index. A plain table readable
 * without JavaScript; a small inline script adds a filter box (and ?q=TEXT).
 * Self-contained (no external CSS/JS/fonts), every string escaped, deterministic. */
#ifndef PK_REPO_HTML_H
#define PK_REPO_HTML_H

#include <stddef.h>

#include "common/pk.h"
#include "repo/index.h"

/* render ix (sorted first) into a malloc'd *buf of *len bytes (NUL-terminated) */
int pk_index__write_html(struct pk_index *ix, const char *title, char **buf, size_t *len,
			 struct pk_error *err);

#endif
