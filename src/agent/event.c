/* Records to JSON lines and aligned text. Records come from the kernel, so every
 * length is checked and every string is bounded before use. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "agent/event.h"
#include "common/json.h"
#include "common/pk.h"

static const char *const kind_names[PK_EV_MAX] = {
	[PK_EV_EXEC] = "exec",	   [PK_EV_FORK] = "fork",     [PK_EV_EXIT] = "exit",
	[PK_EV_CONNECT] = "connect", [PK_EV_ACCEPT] = "accept", [PK_EV_CLOSE] = "close",
	[PK_EV_OPEN] = "open",
};

static const size_t kind_sizes[PK_EV_MAX] = {
	[PK_EV_EXEC] = sizeof(struct pk_exec_event),
	[PK_EV_FORK] = sizeof(struct pk_fork_event),
	[PK_EV_EXIT] = sizeof(struct pk_exit_event),
	[PK_EV_CONNECT] = sizeof(struct pk_sock_event),
	[PK_EV_ACCEPT] = sizeof(struct pk_sock_event),
	[PK_EV_CLOSE] = sizeof(struct pk_sock_event),
	[PK_EV_OPEN] = sizeof(struct pk_open_event),
};

/* An open record carries only the used bytes of its path (NUL included): the
 * probe sends offsetof(path) + strlen + 1 bytes, not the whole 256-byte array. */
static size_t min_size(int kind)
{
	return kind == PK_EV_OPEN ? offsetof(struct pk_open_event, path) + 1 : kind_sizes[kind];
}

const void *pk_event__full(const void *data, size_t *len, struct pk_open_event *tmp)
{
	int kind = pk_event__kind(data, *len);

	if (kind != PK_EV_OPEN || *len >= sizeof(*tmp))
		return data;
	memset(tmp, 0, sizeof(*tmp));
	memcpy(tmp, data, *len);
	*len = sizeof(*tmp);
	return tmp;
}

const char *pk_kind__str(int kind)
{
	return kind > 0 && kind < PK_EV_MAX ? kind_names[kind] : "?";
}

int pk_kind__parse(const char *name)
{
	for (int k = 1; k < PK_EV_MAX; k++)
		if (!strcmp(name, kind_names[k]))
			return k;
	return -EINVAL;
}

int pk_kinds__parse(const char *list, uint32_t *mask, char *bad, size_t bad_size)
{
	char buf[256], *save = NULL, *tok;

	if (pk_strlcpy(buf, list, sizeof(buf)))
		return -EINVAL;
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (!strcmp(tok, "all")) {
			for (k = 1; k < PK_EV_MAX; k++)
				*mask |= PK_KIND_BIT(k);
			continue;
		}
		k = pk_kind__parse(tok);
		if (k < 0) {
			if (bad)
				pk_strlcpy(bad, tok, bad_size);
			return -EINVAL;
		}
		*mask |= PK_KIND_BIT(k);
	}
	if (!*mask) {
		if (bad)
			pk_strlcpy(bad, list, bad_size);
		return -EINVAL;
	}
	return 0;
}

void pk_kinds__str(uint32_t mask, char *out, size_t size)
{
	size_t off = 0;

	out[0] = 0;
	for (int k = 1; k < PK_EV_MAX; k++)
		if (mask & PK_KIND_BIT(k))
			off += snprintf(out + off, off < size ? size - off : 0, "%s%s", off ? "," : "",
					kind_names[k]);
}

int pk_event__kind(const void *data, size_t len)
{
	const struct pk_hdr *h = data;

	if (len < sizeof(*h) || h->kind == 0 || h->kind >= PK_EV_MAX || len < min_size(h->kind))
		return -EINVAL;
	return h->kind;
}

/* family is the kernel's sk_family: Linux's AF_* values, which <sys/socket.h>
 * gives us by the same names (ABI, identical on every Linux libc) */
void pk_addr__str(int family, const uint8_t *addr, char *out, size_t size)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, out, size))
		snprintf(out, size, "?");
}

static const char *family_str(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "?";
}

static void hdr_json(const struct pk_hdr *h, int64_t off, struct pk_json *j)
{
	pk_json__kv_int(j, "ts", (int64_t)h->ts_ns + off);
	pk_json__kv_str(j, "kind", pk_kind__str(h->kind));
	pk_json__kv_uint(j, "pid", h->pid);
	pk_json__kv_uint(j, "tid", h->tid);
	pk_json__kv_uint(j, "uid", h->uid);
	pk_json__kv_uint(j, "gid", h->gid);
	pk_json__key(j, "comm");
	pk_json__strn(j, h->comm, sizeof(h->comm));
	pk_json__kv_uint(j, "cgroup_id", h->cgroup_id);
}

void pk_event__to_json(const void *data, size_t len, int64_t off, struct pk_json *j)
{
	struct pk_open_event tmp;
	int kind;

	data = pk_event__full(data, &len, &tmp);
	kind = pk_event__kind(data, len);

	pk_json__obj_begin(j);
	if (kind < 0) {
		pk_json__kv_str(j, "kind", "invalid");
		pk_json__kv_uint(j, "size", len);
		pk_json__obj_end(j);
		return;
	}
	hdr_json(data, off, j);
	switch (kind) {
	case PK_EV_EXEC: {
		const struct pk_exec_event *e = data;
		uint32_t n = e->args_len < PK_ARGS_LEN ? e->args_len : PK_ARGS_LEN;

		pk_json__kv_uint(j, "ppid", e->ppid);
		pk_json__key(j, "filename");
		pk_json__strn(j, e->filename, sizeof(e->filename));
		pk_json__key(j, "args");
		pk_json__arr_begin(j);
		for (uint32_t i = 0; i < n;) {
			size_t l = strnlen(e->args + i, n - i);

			pk_json__strn(j, e->args + i, l);
			i += l + 1;
		}
		pk_json__arr_end(j);
		pk_json__kv_bool(j, "args_truncated", e->args_truncated);
		break;
	}
	case PK_EV_FORK: {
		const struct pk_fork_event *e = data;

		pk_json__kv_uint(j, "child_pid", e->child_pid);
		break;
	}
	case PK_EV_EXIT: {
		const struct pk_exit_event *e = data;

		pk_json__kv_uint(j, "ppid", e->ppid);
		pk_json__kv_uint(j, "exit_code", (e->exit_code >> 8) & 0xff);
		pk_json__kv_uint(j, "signal", e->exit_code & 0x7f);
		pk_json__kv_bool(j, "core_dumped", e->exit_code & 0x80);
		break;
	}
	case PK_EV_CONNECT:
	case PK_EV_ACCEPT:
	case PK_EV_CLOSE: {
		const struct pk_sock_event *e = data;
		char a[64];

		pk_json__kv_str(j, "family", family_str(e->family));
		pk_addr__str(e->family, e->saddr, a, sizeof(a));
		pk_json__kv_str(j, "saddr", a);
		pk_json__kv_uint(j, "sport", e->sport);
		pk_addr__str(e->family, e->daddr, a, sizeof(a));
		pk_json__kv_str(j, "daddr", a);
		pk_json__kv_uint(j, "dport", e->dport);
		if (kind == PK_EV_CONNECT) {
			pk_json__kv_int(j, "result", e->result);
			if (e->result < 0)
				pk_json__kv_str(j, "error", strerror(-e->result));
		} else if (kind == PK_EV_ACCEPT) {
			pk_json__kv_int(j, "fd", e->result);
		} else {
			pk_json__kv_uint(j, "duration_ns", e->duration_ns);
		}
		break;
	}
	case PK_EV_OPEN: {
		const struct pk_open_event *e = data;

		pk_json__key(j, "path");
		pk_json__strn(j, e->path, sizeof(e->path));
		pk_json__kv_uint(j, "flags", e->flags);
		pk_json__kv_uint(j, "mode", e->mode);
		pk_json__kv_int(j, "result", e->result);
		if (e->result < 0)
			pk_json__kv_str(j, "error", strerror(-e->result));
		break;
	}
	}
	pk_json__obj_end(j);
}

const char *pk_event__text_header(void)
{
	return "TIME         KIND    PID     COMM             DETAILS";
}

/* printable copy of a bounded kernel string */
static void clean(char *dst, size_t size, const char *src, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && src[i] && o + 1 < size; i++)
		dst[o++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[o] = 0;
}

int pk_event__to_text(const void *data, size_t len, int64_t off, char *out, size_t size)
{
	struct pk_open_event tmp;
	const struct pk_hdr *h;
	int kind;

	data = pk_event__full(data, &len, &tmp);
	kind = pk_event__kind(data, len);
	h = data;
	char when[16], comm[PK_COMM_LEN + 1], d[PK_PATH_LEN + PK_ARGS_LEN + 64];
	struct tm tm;
	time_t sec;

	if (kind < 0)
		return snprintf(out, size, "invalid record (%zu bytes)", len);
	sec = ((int64_t)h->ts_ns + off) / 1000000000;
	localtime_r(&sec, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((((int64_t)h->ts_ns + off) / 1000000) % 1000));
	clean(comm, sizeof(comm), h->comm, sizeof(h->comm));

	switch (kind) {
	case PK_EV_EXEC: {
		const struct pk_exec_event *e = data;
		char fn[PK_PATH_LEN], args[PK_ARGS_LEN + 1];
		uint32_t n = e->args_len < PK_ARGS_LEN ? e->args_len : PK_ARGS_LEN;

		clean(fn, sizeof(fn), e->filename, sizeof(e->filename));
		for (uint32_t i = 0; i < n; i++)
			args[i] = e->args[i] ? e->args[i] : ' ';
		args[n] = 0;
		clean(args, sizeof(args), args, n);
		snprintf(d, sizeof(d), "ppid=%u uid=%u %s [%s%s]", e->ppid, h->uid, fn, args,
			 e->args_truncated ? "..." : "");
		break;
	}
	case PK_EV_FORK:
		snprintf(d, sizeof(d), "child=%u", ((const struct pk_fork_event *)data)->child_pid);
		break;
	case PK_EV_EXIT: {
		const struct pk_exit_event *e = data;

		if (e->exit_code & 0x7f)
			snprintf(d, sizeof(d), "signal=%u%s", e->exit_code & 0x7f,
				 e->exit_code & 0x80 ? " (core)" : "");
		else
			snprintf(d, sizeof(d), "code=%u", (e->exit_code >> 8) & 0xff);
		break;
	}
	case PK_EV_CONNECT:
	case PK_EV_ACCEPT:
	case PK_EV_CLOSE: {
		const struct pk_sock_event *e = data;
		char s[64], t[64];

		pk_addr__str(e->family, e->saddr, s, sizeof(s));
		pk_addr__str(e->family, e->daddr, t, sizeof(t));
		if (kind == PK_EV_CONNECT && e->result < 0)
			snprintf(d, sizeof(d), "%s:%u -> %s:%u error=%s", s, e->sport, t, e->dport,
				 strerror(-e->result));
		else
			snprintf(d, sizeof(d), "%s:%u %s %s:%u", s, e->sport,
				 kind == PK_EV_ACCEPT ? "<-" : "->", t, e->dport);
		break;
	}
	case PK_EV_OPEN: {
		const struct pk_open_event *e = data;
		char p[PK_PATH_LEN];

		clean(p, sizeof(p), e->path, sizeof(e->path));
		snprintf(d, sizeof(d), "%s flags=0x%x result=%d", p, e->flags, e->result);
		break;
	}
	}
	return snprintf(out, size, "%-12s %-7s %-7u %-16s %s", when, pk_kind__str(kind), h->pid, comm,
			d);
}
