/* `probekit btf`: extract, reduce (min) and pack kernel BTF. Only dispatches; each
 * subcommand lives in its own cmd_btf_*.c. */
#include <stddef.h>

#include "cli.h"

/* defined in cmd_btf_extract.c and cmd_btf_archive.c */
int cmd_btf_extract(int argc, char **argv);
int cmd_btf_pack(int argc, char **argv);
int cmd_btf_ls(int argc, char **argv);
int cmd_btf_get(int argc, char **argv);

static const struct pk_cmd btf_commands[] = {
	{ "extract", cmd_btf_extract, "kernel BTF out of a BTF file, vmlinux, kernel image or package" },
	{ "min", cmd_btf_min, "reduce kernel BTF to what CO-RE objects need" },
	{ "pack", cmd_btf_pack, "build a reduced-BTF archive keyed by os, version, arch, release" },
	{ "ls", cmd_btf_ls, "list an archive's entries" },
	{ "get", cmd_btf_get, "write one archive entry's BTF to a file" },
	{ NULL, NULL, NULL },
};

int cmd_btf(int argc, char **argv)
{
	return pk_dispatch("btf", btf_commands, argc, argv);
}
