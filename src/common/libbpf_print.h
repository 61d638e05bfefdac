/* libbpf's messages, routed to probekit's print callback (pk.h), so one callback
 * decides what a person sees. Install once at start-up (libbpf's callback is
 * process-wide); nothing swaps it per attempt. */
#ifndef PK_LIBBPF_PRINT_H
#define PK_LIBBPF_PRINT_H

#include "common/pk.h"

/* libbpf_set_print() with our router. libbpf's warnings arrive as PK_INFO, its
 * info and debug as PK_DEBUG; those above max_level (what the print callback
 * shows: PK_DEBUG with -v, else PK_WARN) are dropped unformatted. Call again when
 * that changes; it stays installed. */
void pk_libbpf__route_print(enum pk_print_level max_level);

#endif
