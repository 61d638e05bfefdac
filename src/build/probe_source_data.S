/* The probe's source, embedded so that `probekit build` compiles the very probe this
 * binary carries, and so that its probe version (a digest of these bytes) is the
 * same on the farm and on every node. Symbols: pk_src_<name>_start / _end. */
	.section .rodata.probekit_src,"a"
	.global pk_src_probe_c_start, pk_src_probe_c_end
pk_src_probe_c_start:
	.incbin PK_SRC_PROBE_C
pk_src_probe_c_end:
	.global pk_src_probe_h_start, pk_src_probe_h_end
pk_src_probe_h_start:
	.incbin PK_SRC_PROBE_H
pk_src_probe_h_end:
	.section .note.GNU-stack,"",@progbits
