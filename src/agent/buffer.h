/* One reader API over the BPF ring buffer and the perf buffer (libbpf-tools'
 * compat.h idea): the probe writes to whichever the loader picked. The reader
 * drains on a short timer because the probe wakes it only past a threshold. */
#ifndef PK_BUFFER_H
#define PK_BUFFER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct pk_buffer;
typedef void (*pk_event_fn)(void *ctx, const void *data, size_t len);

/* a reader of map_fd: the ring buffer map, or the perf event array (then
 * PK_PERF_PAGES per CPU); NULL with errno set on failure */
struct pk_buffer *pk_buffer__new(int map_fd, bool ringbuf, pk_event_fn fn, void *ctx);
/* wait up to timeout_ms for a wake-up, then drain everything; returns the number
 * of records handled or a negative errno (-EINTR when a signal came) */
int pk_buffer__poll(struct pk_buffer *b, int timeout_ms);
/* records the perf buffer lost in the kernel (PERF_RECORD_LOST); 0 for ringbuf */
uint64_t pk_buffer__lost(const struct pk_buffer *b);
void pk_buffer__free(struct pk_buffer *b);

#endif
