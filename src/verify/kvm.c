/* KVM probe for probekit verify: a forked child creates a VM with one page of
 * real-mode code (hlt) and runs it, so a broken or nested KVM is found before
 * a kernel boot. The child is killed at a deadline: this never hangs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <linux/kvm.h>

#include "common/pk.h"
#include "verify/kvm.h"

#define KVM_PROBE_TIMEOUT_MS 5000

const char *pk_vm_accel__str(enum pk_vm_accel a)
{
	switch (a) {
	case PK_VM_ACCEL_KVM: return "kvm";
	case PK_VM_ACCEL_TCG: return "tcg";
	default: return "auto";
	}
}

static int kvm_probe_child(void)
{
	static const uint8_t code[] = { 0xf4 };	/* hlt */
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_run *run;
	int kvm, vm, vcpu, sz;
	void *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 10;
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return 11;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 12;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 13;
	memcpy(mem, code, sizeof(code));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return 13;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return 14;
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		return 14;
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 14;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return 15;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return 15;
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return 15;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return 16;
	return run->exit_reason == KVM_EXIT_HLT ? 0 : 17;
}

int pk_kvm__probe(struct pk_error *e)
{
	static const char *const reasons[] = {
		[10] = "cannot open /dev/kvm",
		[11] = "/dev/kvm does not speak KVM API 12",
		[12] = "KVM_CREATE_VM failed",
		[13] = "cannot map guest memory",
		[14] = "KVM_CREATE_VCPU failed",
		[15] = "cannot set vcpu registers",
		[16] = "KVM_RUN failed",
		[17] = "test guest did not halt",
	};
	double deadline;
	int status, code;
	pid_t pid;

	if (access("/dev/kvm", F_OK))
		return pk_error__set(e, -ENOENT, "no /dev/kvm");
	pid = fork();
	if (pid < 0)
		return pk_error__set(e, -errno, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(kvm_probe_child());
	deadline = pk_now_ms() + KVM_PROBE_TIMEOUT_MS;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return pk_error__set(e, -ECHILD, "waitpid: %s", strerror(errno));
		if (pk_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return pk_error__set(e, -ETIMEDOUT, "test guest did not halt within %d ms",
					     KVM_PROBE_TIMEOUT_MS);
		}
		usleep(10000);
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 17;
	if (code == 0)
		return 0;
	return pk_error__set(e, -ENODEV, "%s",
			     code < (int)PK_ARRAY_SIZE(reasons) && reasons[code] ? reasons[code]
										 : "KVM probe crashed");
}
