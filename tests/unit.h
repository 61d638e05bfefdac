/* Minimal unit-test helpers. Each check prints one line tests/run.sh counts:
 *   PASS name | FAIL name: why | SKIP name: why
 * A test program that exits non-zero without printing FAIL is counted as a crash. */
#ifndef PK_UNIT_H
#define PK_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define PASS(name) printf("PASS %s\n", name)
#define SKIP(name, why) printf("SKIP %s: %s\n", name, why)
#define FAIL(name, ...)                                                        \
	do {                                                                   \
		printf("FAIL %s: ", name);                                     \
		printf(__VA_ARGS__);                                           \
		printf(" (%s:%d)\n", __FILE__, __LINE__);                      \
		unit_failed = 1;                                               \
	} while (0)

/* CHECK inside a test body: on failure print and return from the test function */
#define CHECK(name, cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			FAIL(name, __VA_ARGS__);                               \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(name, got, want)                                             \
	CHECK(name, strcmp((got), (want)) == 0, "got '%s', want '%s'", (got), (want))
#define CHECK_INT(name, got, want)                                             \
	CHECK(name, (long long)(got) == (long long)(want), "got %lld, want %lld",  \
	      (long long)(got), (long long)(want))

#define UNIT_EXIT() (fflush(stdout), unit_failed ? 1 : 0)

#endif
