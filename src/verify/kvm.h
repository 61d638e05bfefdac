/* Which accelerator probekit verify boots with: a KVM probe that runs a real
 * (tiny) guest, because /dev/kvm opening is not proof that KVM runs anything.
 * Never prints; the reason KVM is not usable goes into a struct pk_error. */
#ifndef PK_VERIFY_KVM_H
#define PK_VERIFY_KVM_H

#include "common/pk.h"

enum pk_vm_accel {
	PK_VM_ACCEL_AUTO = 0,
	PK_VM_ACCEL_KVM,
	PK_VM_ACCEL_TCG,
};
const char *pk_vm_accel__str(enum pk_vm_accel a);

/* 0 when /dev/kvm opens, speaks API 12 and runs a tiny real-mode guest to its
 * hlt; -errno and err otherwise. A nested hypervisor can pass this and still
 * stall a real kernel: pk_vm__run reports that as PK_VM_KVM_STALL. */
int pk_kvm__probe(struct pk_error *err);

#endif
