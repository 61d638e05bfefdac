/* The reduced-BTF archive made for the embedded core object (scripts/build-btf-
 * archive.sh), linked only into the agent binary; libprobekit.a refers to it
 * weakly, so tools and tests link without it. */
	.section .rodata.probekit_btf,"a"
	.balign 16
	.global pk_btf_archive_start, pk_btf_archive_end
pk_btf_archive_start:
	.incbin PK_BTF_ARCHIVE
pk_btf_archive_end:
	.section .note.GNU-stack,"",@progbits
