/* Unit tests for kernel feature probing. Needs root (CAP_BPF + CAP_PERFMON) to
 * say anything about the kernel; without it, checks that EPERM is reported. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent/features.h"
#include "agent/host.h"
#include "common/pk.h"
#include "unit.h"

static void test_helper_list(const struct pk_features *f)
{
	const char *name = "features/helper_list";
	static const char *const want[] = {
		"bpf_ringbuf_reserve", "bpf_ringbuf_submit", "bpf_perf_event_output",
		"bpf_probe_read_kernel", "bpf_probe_read_user_str", "bpf_get_current_task",
		"bpf_map_lookup_elem", "bpf_map_delete_elem",
	};

	CHECK(name, f->nr_helpers > 0 && f->nr_helpers <= PK_MAX_HELPERS, "nr_helpers %d",
	      f->nr_helpers);
	for (size_t w = 0; w < PK_ARRAY_SIZE(want); w++) {
		int i;

		for (i = 0; i < f->nr_helpers; i++)
			if (f->helpers[i].name && !strcmp(f->helpers[i].name, want[w]))
				break;
		CHECK(name, i < f->nr_helpers, "%s not probed", want[w]);
		CHECK(name, f->helpers[i].id > 0, "%s has id %d", want[w], f->helpers[i].id);
	}
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
		SKIP(name, "not root: kernel features cannot be probed (EPERM reported as expected)");
		return;
	}
	printf("# ringbuf=%d perfbuf=%d raw_tp=%d tp_btf=%d probe_errno=%d\n", f.ringbuf, f.perfbuf,
	       f.raw_tp, f.tp_btf, f.probe_errno);
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

	CHECK_INT(name, pk_features__probe(NULL, NULL), -EINVAL);
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
	test_probe(&h);
	return UNIT_EXIT();
}
