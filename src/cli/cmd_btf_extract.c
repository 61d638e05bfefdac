/* `probekit btf extract SRC -o OUT.btf [--json]`: kernel BTF out of raw BTF, vmlinux,
 * a compressed kernel image or a kernel package; says what it found. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "btf/btf_extract.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"

int cmd_btf_extract(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f, "usage: probekit btf extract SRC -o OUT.btf [--json] [--no-pahole]\n\n"
		"Write the kernel BTF found in SRC to OUT.btf, checked by libbpf. SRC is one of:\n"
		"  raw BTF (e.g. /sys/kernel/btf/vmlinux), a vmlinux ELF (its .BTF section),\n"
		"  a kernel image (bzImage, EFI zboot or a compressed vmlinux: gzip, xz, lzma,\n"
		"  bzip2, lz4, zstd), a kernel package (.deb, .rpm, tar) holding one of those,\n"
		"  or a DWARF-only (debug) vmlinux, encoded with pahole (package dwarves).\n"
		"Prints the source kind, the kernel release (from the image's banner, else the\n"
		"file name) and the BTF size.\n\n"
		"  -o, --output FILE  where to write the BTF (required)\n"
		"      --json         print the report as JSON on stdout\n"
		"      --no-pahole    fail on DWARF-only input instead of running pahole\n\n"
		"Packages are read with libarchive, loaded at run time (libarchive.so.13, package\n"
		"libarchive13; PROBEKIT_LIBARCHIVE names another file): the agent does not link it.\n");
}

static void human_size(char *buf, size_t n, size_t v)
{
	if (v >= 1 << 20)
		snprintf(buf, n, "%.1f MiB", v / 1048576.0);
	else if (v >= 1 << 10)
		snprintf(buf, n, "%.1f KiB", v / 1024.0);
	else
		snprintf(buf, n, "%zu B", v);
}

int cmd_btf_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-pahole", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	PK_BTF_EXTRACT_OPTS(xopts);
	struct pk_btf_extract_info info;
	const char *src, *out = NULL;
	bool json = false;
	void *btf = NULL;
	size_t btf_len;
	struct pk_error e = { 0 };
	double t0, secs;
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = true; break;
		case 'P': xopts.no_pahole = true; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("btf extract", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("btf extract", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return pk_usage_err("btf extract", "missing SRC");
	src = argv[optind++];
	if (optind < argc)
		return pk_usage_err("btf extract", "unexpected argument '%s'", argv[optind]);
	if (!out)
		return pk_usage_err("btf extract", "missing -o OUT.btf");

	t0 = pk_now_ms();
	err = pk_btf_extract__file(src, &btf, &btf_len, &xopts, &info, &e);
	secs = (pk_now_ms() - t0) / 1e3;
	if (err) {
		if (strstr(e.msg, "cannot open") == e.msg || strstr(e.msg, "cannot read") == e.msg)
			pk_err("%s", e.msg);
		else if (info.member[0])
			pk_err("cannot extract BTF from '%s' (%s): %s", src, info.member, pk_error__str(&e));
		else
			pk_err("cannot extract BTF from '%s': %s", src, pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	/* the running kernel's own BTF carries no banner: its release is uname's */
	if (!info.release[0] && !strcmp(src, "/sys/kernel/btf/vmlinux")) {
		struct utsname u;

		if (!uname(&u)) {
			pk_strlcpy(info.release, u.release, sizeof(info.release));
			pk_strlcpy(info.release_from, "uname", sizeof(info.release_from));
		}
	}
	err = pk_file__write_atomic(out, btf, btf_len);
	free(btf);
	if (err) {
		pk_err("cannot write '%s': %s", out, strerror(-err));
		return PK_EXIT_ERROR;
	}

	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "source", src);
		pk_json__kv_str(&j, "kind", pk_btf_input__str(info.kind));
		pk_json__kv_str(&j, "package", info.packaged ? info.package_format : NULL);
		pk_json__kv_str(&j, "member", info.member[0] ? info.member : NULL);
		pk_json__kv_str(&j, "image", info.image ? info.image_format : NULL);
		pk_json__kv_str(&j, "compression", info.comp ? pk_comp__name(info.comp) : NULL);
		pk_json__kv_uint(&j, "image_size", info.image_size);
		pk_json__kv_uint(&j, "vmlinux_size", info.vmlinux_size);
		pk_json__kv_bool(&j, "pahole", info.pahole);
		pk_json__kv_str(&j, "release", info.release[0] ? info.release : NULL);
		pk_json__kv_str(&j, "release_from", info.release_from[0] ? info.release_from : NULL);
		pk_json__kv_uint(&j, "btf_size", info.btf_size);
		pk_json__kv_uint(&j, "btf_types", info.btf_types);
		pk_json__kv_str(&j, "output", out);
		pk_json__kv_double(&j, "seconds", secs);
		pk_json__obj_end(&j);
		if (j.err) {
			pk_json__free(&j);
			pk_err("out of memory");
			return PK_EXIT_ERROR;
		}
		printf("%s\n", j.buf);
		pk_json__free(&j);
		return PK_EXIT_OK;
	}

	{
		char a[32], b[32];

		printf("source:   %s\n", src);
		printf("kind:     %s", pk_btf_input__str(info.kind));
		if (info.packaged)
			printf(" (%s package, member %s)", info.package_format, info.member);
		printf("\n");
		if (info.image) {
			human_size(a, sizeof(a), info.image_size);
			human_size(b, sizeof(b), info.vmlinux_size);
			printf("image:    %s, %s payload, %s -> vmlinux %s\n", info.image_format,
			       pk_comp__name(info.comp), a, b);
		} else if (info.comp) {
			printf("compression: %s\n", pk_comp__name(info.comp));
		}
		if (info.pahole)
			printf("pahole:   BTF encoded from DWARF by pahole (no .BTF section in the input)\n");
		printf("release:  %s%s%s%s\n", info.release[0] ? info.release : "unknown",
		       info.release_from[0] ? " (from " : "", info.release_from,
		       info.release_from[0] ? ")" : "");
		human_size(a, sizeof(a), info.btf_size);
		printf("btf:      %zu bytes (%s), %u types -> %s\n", info.btf_size, a, info.btf_types, out);
		printf("time:     %.2f s\n", secs);
	}
	return PK_EXIT_OK;
}
