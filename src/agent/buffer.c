/* The event reader: the BPF ring buffer (our own consumer over its mmap layout)
 * or the perf buffer (libbpf's), behind one poll-and-drain call. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe.h"

#include "agent/buffer.h"

/*
 * The ring buffer is read by our own consumer over the kernel's mmap layout
 * (one read-write page holding consumer_pos; then, read-only, a page holding
 * producer_pos and the data pages mapped twice so no record wraps), not by
 * libbpf's ring_buffer__consume, for one reason: libbpf publishes consumer_pos
 * after every record, and the producer reads that cache line on every reserve,
 * so a reader draining on the other CPU bounces it once per event. We publish
 * it once per batch (or per quarter of the buffer, so a small buffer still
 * frees space while a long batch is read).
 */
struct pk_ring {
	int fd;
	size_t page, size;		/* size: data bytes (max_entries, a power of 2) */
	unsigned long *cons;		/* consumer_pos, ours to write */
	const unsigned long *prod;	/* producer_pos */
	const uint8_t *data;		/* size bytes, mapped twice */
	size_t publish;			/* publish consumer_pos after this many bytes */
};

struct pk_buffer {
	struct pk_ring *rb;
	struct perf_buffer *pb;
	pk_event_fn fn;
	void *ctx;
	uint64_t lost;
	int count;
	/* perf samples sit at 4-byte offsets; records are read as 8-byte aligned structs */
	uint64_t scratch[512];
};

static void ring_free(struct pk_ring *r)
{
	if (!r)
		return;
	if (r->cons)
		munmap(r->cons, r->page);
	if (r->prod)
		munmap((void *)r->prod, r->page + 2 * r->size);
	free(r);
}

static struct pk_ring *ring_new(int map_fd, int *err)
{
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info);
	struct pk_ring *r;
	void *p;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &ilen)) {
		*err = -errno;
		return NULL;
	}
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1))) {
		*err = -EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	r->fd = map_fd;
	r->page = sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	r->publish = r->size / 4 < PK_WAKEUP_BYTES_DEFAULT ? r->size / 4 : PK_WAKEUP_BYTES_DEFAULT;
	p = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED) {
		*err = -errno;
		ring_free(r);
		return NULL;
	}
	r->cons = p;
	p = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED, map_fd, r->page);
	if (p == MAP_FAILED) {
		*err = -errno;
		ring_free(r);
		return NULL;
	}
	r->prod = p;
	r->data = (const uint8_t *)p + r->page;
	return r;
}

/* Hand every committed record to the callback. Stops at a record still being
 * written (its producer commits it soon; the next poll gets it). */
static int ring_consume(struct pk_buffer *b)
{
	struct pk_ring *r = b->rb;
	unsigned long cons = *r->cons, published = cons, start = cons;
	unsigned long prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(r->data + (cons & (r->size - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint32_t n = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		if (n > r->size - BPF_RINGBUF_HDR_SZ)
			return -EBADMSG;	/* not a record: never read past the map */
		cons += (n + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			b->fn(b->ctx, (const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, n);
			b->count++;
		}
		if (cons - published >= r->publish) {
			__atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
			published = cons;
		}
		/* more came while we read: take it in this batch, but at most one
		 * buffer's worth, so the caller's loop (signals, status) still runs
		 * under a flood that keeps pace with us */
		if (cons >= prod && cons - start < r->size)
			prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
	}
	if (cons != published)
		__atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
	return 0;
}

static int ring_poll(struct pk_buffer *b, int timeout_ms)
{
	struct pollfd pfd = { .fd = b->rb->fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	return ring_consume(b);
}

struct perf_sample_raw {
	struct perf_event_header header;
	uint32_t size;
	char data[];
};

struct perf_lost {
	struct perf_event_header header;
	uint64_t id;
	uint64_t lost;
};

static enum bpf_perf_event_ret pb_cb(void *ctx, int cpu, struct perf_event_header *ev)
{
	struct pk_buffer *b = ctx;

	if (ev->type == PERF_RECORD_SAMPLE) {
		struct perf_sample_raw *s = (void *)ev;

		if (ev->size >= sizeof(*s) && s->size <= ev->size - sizeof(*s) &&
		    s->size <= sizeof(b->scratch)) {
			memcpy(b->scratch, s->data, s->size);
			b->fn(b->ctx, b->scratch, s->size);
			b->count++;
		}
	} else if (ev->type == PERF_RECORD_LOST) {
		b->lost += ((struct perf_lost *)ev)->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

struct pk_buffer *pk_buffer__new(int map_fd, bool ringbuf, pk_event_fn fn, void *ctx)
{
	struct pk_buffer *b = calloc(1, sizeof(*b));
	int err;

	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->fn = fn;
	b->ctx = ctx;
	if (ringbuf) {
		err = 0;
		b->rb = ring_new(map_fd, &err);
	} else {
		struct perf_event_attr attr;
		long page = sysconf(_SC_PAGESIZE);

		memset(&attr, 0, sizeof(attr));
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_BPF_OUTPUT;
		attr.sample_type = PERF_SAMPLE_RAW;
		attr.sample_period = 1;
		/* wake the reader when a quarter of the buffer is used, not per event */
		attr.watermark = 1;
		attr.wakeup_watermark = PK_PERF_PAGES * page / 4;
		/* libbpf 1.x: NULL with errno set */
		b->pb = perf_buffer__new_raw(map_fd, PK_PERF_PAGES, &attr, pb_cb, b, NULL);
		err = b->pb ? 0 : -errno;
	}
	if (err) {
		b->rb = NULL;
		b->pb = NULL;
		pk_buffer__free(b);
		errno = -err;
		return NULL;
	}
	return b;
}

int pk_buffer__poll(struct pk_buffer *b, int timeout_ms)
{
	int err;

	b->count = 0;
	if (b->rb) {
		err = ring_poll(b, timeout_ms);
	} else {
		err = perf_buffer__poll(b->pb, timeout_ms);
		if (err >= 0)
			err = perf_buffer__consume(b->pb);
	}
	if (err < 0)
		return err;
	return b->count;
}

uint64_t pk_buffer__lost(const struct pk_buffer *b)
{
	return b->lost;
}

void pk_buffer__free(struct pk_buffer *b)
{
	if (!b)
		return;
	ring_free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}
