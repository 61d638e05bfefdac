/* Ring buffer / perf buffer behind one reader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include <bpf/libbpf.h>

#include "buffer.h"

/* 1 MiB per CPU: the perf path is for old kernels, where bursts are no smaller */
#define PK_PERF_PAGES 256

struct pk_buffer {
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	pk_event_fn fn;
	void *ctx;
	uint64_t lost;
	int count;
	/* perf samples sit at 4-byte offsets; records are read as 8-byte aligned structs */
	uint64_t scratch[512];
};

static int rb_cb(void *ctx, void *data, size_t len)
{
	struct pk_buffer *b = ctx;

	b->fn(b->ctx, data, len);
	b->count++;
	return 0;
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

struct pk_buffer *pk_buffer__new(int map_fd, bool ringbuf, size_t perf_pages, pk_event_fn fn,
				 void *ctx)
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
		b->rb = ring_buffer__new(map_fd, rb_cb, b, NULL);
		err = libbpf_get_error(b->rb);
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
		attr.wakeup_watermark = (perf_pages ? perf_pages : PK_PERF_PAGES) * page / 4;
		b->pb = perf_buffer__new_raw(map_fd, perf_pages ? perf_pages : PK_PERF_PAGES, &attr, pb_cb, b,
					     NULL);
		err = libbpf_get_error(b->pb);
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
		err = ring_buffer__poll(b->rb, timeout_ms);
		if (err >= 0)
			err = ring_buffer__consume(b->rb);
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
	ring_buffer__free(b->rb);
	perf_buffer__free(b->pb);
	free(b);
}
