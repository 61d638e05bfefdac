/* Debian's version ordering (deb-version(7)): what a Depends constraint such as
 * "linux-kbuild-6.1 (>= 6.1.153)" is checked with, and the order kernels are listed
 * in. Also orders RPM version-release strings well enough to sort them. */
#ifndef PK_KERNELS_VERSION_H
#define PK_KERNELS_VERSION_H

#include <stdbool.h>

/* <0, 0, >0 as a sorts before, equal to, after b: [epoch:]upstream[-revision],
 * '~' before anything (even the end), letters before non-letters, digit runs
 * numerically */
int pk_debver__cmp(const char *a, const char *b);

/* Whether version satisfies "OP VER" as written inside a Depends' parentheses
 * (op one of << <= = >= >>; "<" and ">" are the old spellings of <= and >=).
 * A constraint that does not parse is not satisfied. */
bool pk_debver__satisfies(const char *version, const char *op, const char *want);

#endif
