/* Unit tests for kernel feature probing. Needs root (CAP_BPF + CAP_PERFMON) to
 * say anything about the kernel; without it, checks that EPERM is reported.
 * The helper list is checked against the objects' instructions read here with
 * libelf, a path independent of the library's (libbpf's parsed programs). */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "agent/features.h"
#include "agent/host.h"
#include "agent/loader.h"
#include "common/pk.h"
#include "unit.h"

/* every helper id called from an executable section of one BPF ELF */
static int elf_helpers(const void *data, size_t len, bool *used, size_t max)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int n = 0;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, len);
	if (!elf)
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i + sizeof(struct bpf_insn) <= d->d_size; i += sizeof(struct bpf_insn)) {
			struct bpf_insn insn;

			memcpy(&insn, (const char *)d->d_buf + i, sizeof(insn));
			if (insn.code == (BPF_JMP | BPF_CALL) && insn.src_reg == 0 && insn.imm > 0 &&
			    (size_t)insn.imm < max) {
				used[insn.imm] = true;
				n++;
			}
		}
	}
	elf_end(elf);
	return n;
}

static bool has_helper(const struct pk_features *f, const char *name)
{
	for (int i = 0; i < f->nr_helpers; i++)
		if (!strcmp(f->helpers[i].name, name))
			return true;
	return false;
}

static void test_helper_list(const struct pk_features *f)
{
	const char *name = "features/helpers_from_objects";
	static const char *const must[] = {
		"bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_submit",
		"bpf_perf_event_output", "bpf_probe_read_user_str",
	};
	bool used[PK_HELPER_ID_MAX] = { false };
	const void *data;
	size_t len;
	int want = 0;

	pk_embedded__btf_obj(&data, &len);
	CHECK(name, elf_helpers(data, len, used, PK_HELPER_ID_MAX) > 0, "no helper call in the btf object");
	pk_embedded__core_obj(&data, &len);
	CHECK(name, elf_helpers(data, len, used, PK_HELPER_ID_MAX) > 0, "no helper call in the core object");
	for (int id = 1; id < PK_HELPER_ID_MAX; id++)
		want += used[id];

	CHECK_INT(name, f->helpers_errno, 0);
	CHECK_INT(name, f->nr_helpers, want);
	for (int i = 0; i < f->nr_helpers; i++) {
		char buf[16];

		CHECK(name, f->helpers[i].id > 0 && f->helpers[i].id < PK_HELPER_ID_MAX && used[f->helpers[i].id],
		      "probed %s (%d), which no object calls", f->helpers[i].name, f->helpers[i].id);
		CHECK(name, i == 0 || f->helpers[i - 1].id < f->helpers[i].id, "not in id order at %d", i);
		CHECK_STR(name, f->helpers[i].name, pk_helper__name(f->helpers[i].id, buf, sizeof(buf)));
	}
	for (size_t w = 0; w < PK_ARRAY_SIZE(must); w++)
		CHECK(name, has_helper(f, must[w]), "%s not probed", must[w]);
	PASS(name);
}

static void test_helper_names(void)
{
	const char *name = "features/helper_names";
	char buf[16];

	CHECK_STR(name, pk_helper__name(BPF_FUNC_ringbuf_output, buf, sizeof(buf)), "bpf_ringbuf_output");
	CHECK_STR(name, pk_helper__name(BPF_FUNC_map_lookup_elem, buf, sizeof(buf)), "bpf_map_lookup_elem");
	CHECK_STR(name, pk_helper__name(PK_HELPER_ID_MAX - 1, buf, sizeof(buf)), "helper#511");
	CHECK_STR(name, pk_helper__name(0, buf, sizeof(buf)), "helper#0");
	PASS(name);
}

static void test_probe(const struct pk_host *h)
{
	const char *name = "features/probe_as_root";
	struct pk_features f;

	memset(&f, 0x5a, sizeof(f));
	CHECK_INT(name, pk_features__probe(&f, h), 0);
	test_helper_list(&f);
	if (!(h->is_root || (h->cap_bpf && h->cap_perfmon))) {
		CHECK(name, f.probe_errno == EPERM || f.probe_errno == EACCES,
		      "unprivileged probe reported errno %d", f.probe_errno);
		CHECK(name, !f.ringbuf && !f.raw_tp && !f.tp_btf, "features claimed without privileges");
		/* "no BPF: " marks a skip about loading BPF (tests/run.sh) */
		SKIP(name, "no BPF: not root: kernel features cannot be probed (EPERM reported as expected)");
		return;
	}
	printf("# ringbuf=%d perfbuf=%d raw_tp=%d tp_btf=%d probe_errno=%d helpers=%d\n", f.ringbuf,
	       f.perfbuf, f.raw_tp, f.tp_btf, f.probe_errno, f.nr_helpers);
	CHECK_INT(name, f.probe_errno, 0);
	CHECK(name, f.ringbuf, "ringbuf not supported");
	CHECK(name, f.perfbuf, "perf event array not supported");
	CHECK(name, f.raw_tp, "raw tracepoint not supported");
	if (h->btf_source == PK_KERNEL_BTF_SYSFS)
		CHECK(name, f.tp_btf, "tp_btf not supported although the kernel has sysfs BTF");
	for (int i = 0; i < f.nr_helpers; i++)
		CHECK(name, f.helpers[i].ok, "helper %s (%d) not supported", f.helpers[i].name,
		      f.helpers[i].id);
	PASS(name);
}

static void test_null(void)
{
	const char *name = "features/null_args";
	int ids[1], nr;

	CHECK_INT(name, pk_features__probe(NULL, NULL), -EINVAL);
	CHECK_INT(name, pk_probe_helpers__list(NULL, 1, &nr), -EINVAL);
	CHECK_INT(name, pk_probe_helpers__list(ids, 1, &nr), -E2BIG);
	PASS(name);
}

int main(void)
{
	struct pk_host h;

	if (pk_host__detect(&h, NULL)) {
		FAIL("features/detect", "pk_host__detect failed");
		return UNIT_EXIT();
	}
	test_null();
	test_helper_names();
	test_probe(&h);
	return UNIT_EXIT();
}
