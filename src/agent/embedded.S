/* The CO-RE probe objects, embedded in the agent binary (seed 000: probes travel
 * inside the agent). Symbols: pk_obj_<name>_start / _end. */
	.section .rodata.probekit,"a"
	.balign 16
	.global pk_obj_btf_start, pk_obj_btf_end
pk_obj_btf_start:
	.incbin PK_OBJ_BTF
pk_obj_btf_end:
	.balign 16
	.global pk_obj_core_start, pk_obj_core_end
pk_obj_core_start:
	.incbin PK_OBJ_CORE
pk_obj_core_end:
	.section .note.GNU-stack,"",@progbits
