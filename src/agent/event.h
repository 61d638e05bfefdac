/* Probe records (bpf/probe.h) turned into output: a record's kind and full size,
 * its JSON and text forms, and the kind names --events takes. Records come from
 * the kernel's buffer, so every decoder checks the length before it reads. */
#ifndef PK_EVENT_H
#define PK_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct pk_json;

/* kind of a record, or -EINVAL when it is too short for its kind / unknown */
int pk_event__kind(const void *data, size_t len);
const char *pk_kind__str(int kind);		/* "exec", ... or "?" */
/* the record at its full size: data itself, or (an open record that carries only
 * the used bytes of its path) a zero-padded copy in tmp; *len is updated */
const void *pk_event__full(const void *data, size_t *len, struct pk_open_event *tmp);
int pk_kind__parse(const char *name);		/* kind or -EINVAL */
/* "exec,exit" -> mask; -EINVAL with the bad name copied to bad (if not NULL) */
int pk_kinds__parse(const char *list, uint32_t *mask, char *bad, size_t bad_size);
/* mask -> "exec,fork" */
void pk_kinds__str(uint32_t mask, char *out, size_t size);

/* ts_offset_ns: added to the record's monotonic timestamp (-> wall clock ns) */
void pk_event__to_json(const void *data, size_t len, int64_t ts_offset_ns, struct pk_json *j);
/* one aligned line, no trailing newline; returns the length written */
int pk_event__to_text(const void *data, size_t len, int64_t ts_offset_ns, char *out, size_t size);
/* text header line matching pk_event__to_text's columns */
const char *pk_event__text_header(void);

/* address to text ("127.0.0.1", "::1") */
void pk_addr__str(int family, const uint8_t *addr, char *out, size_t size);

#endif
