/* libbpf's messages, routed to probekit's print callback (pk.h), so one callback
 * decides what a person sees. Install once at start-up (libbpf's callback is
 * process-wide); nothing swaps it per attempt. */
#ifndef PK_LIBBPF_PRINT_H
#define PK_LIBBPF_PRINT_H

/* libbpf_set_print() with pk_libbpf__print; returns nothing to restore: it stays */
void pk_libbpf__route_print(void);

#endif
