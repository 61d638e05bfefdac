/* `probekit btf min`: reduce a kernel BTF to what the objects' CO-RE relocations
 * need (our bpftool gen min_core_btf), optionally proving every relocation still
 * resolves to the same value. Writes the output only once it is built (and verified). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>

#include "btf/btf_ext.h"
#include "btf/btf_min.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit btf min OBJ... --btf KERNEL.btf -o OUT.btf [--verify] [--json]\n"
		"\n"
		"Keep only the kernel types and members the objects' CO-RE relocations touch,\n"
		"like 'bpftool gen min_core_btf'. OBJ is a BPF object, or a binary embedding\n"
		"BPF objects (libbpf skeletons, e.g. /usr/sbin/opensnoop): each one is used.\n"
		"\n"
		"options:\n"
		"  --btf FILE     the full kernel BTF (raw BTF or an ELF with .BTF)\n"
		"  -o, --output FILE  where to write the reduced BTF\n"
		"  --verify       resolve every relocation against the reduced and the full\n"
		"                 BTF; any difference is an error and nothing is written\n"
		"  --json         print the result as JSON on stdout\n"
		"  -h, --help     this text\n"
		"\n"
		"exit: 0 written, 1 verification found differences, 2 usage, 3 error\n");
}

int cmd_btf_min(int argc, char **argv)
{
	const char *btf_path = NULL, *out_path = NULL;
	const char **objs = NULL;
	bool verify = false, json = false;
	struct btf *targ = NULL, *red = NULL, *red2 = NULL;
	struct pk_btf_min *m = NULL;
	struct pk_error perr = { 0 };
	struct pk_btf_min_stats st;
	const void *raw;
	struct stat sb;
	uint32_t raw_sz = 0;
	double t0;
	int i, nobj = 0, err, ret = PK_EXIT_ERROR, mism = 0;

	objs = calloc(argc > 0 ? argc : 1, sizeof(*objs));
	if (!objs) {
		pk_err("out of memory");
		return PK_EXIT_ERROR;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			free(objs);
			return PK_EXIT_OK;
		} else if (!strcmp(a, "--btf") || !strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc) {
				free(objs);
				return pk_usage_err("btf min", "option '%s' needs a file", a);
			}
			if (!strcmp(a, "--btf"))
				btf_path = argv[++i];
			else
				out_path = argv[++i];
		} else if (!strncmp(a, "--btf=", 6)) {
			btf_path = a + 6;
		} else if (!strncmp(a, "--output=", 9)) {
			out_path = a + 9;
		} else if (!strcmp(a, "--verify")) {
			verify = true;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				objs[nobj++] = argv[i];
		} else if (a[0] == '-' && a[1]) {
			free(objs);
			return pk_usage_err("btf min", "unknown option '%s'", a);
		} else {
			objs[nobj++] = a;
		}
	}
	if (!nobj || !btf_path || !out_path) {
		free(objs);
		return pk_usage_err("btf min", "%s", !nobj ? "no object given" :
				    !btf_path ? "no kernel BTF given (--btf FILE)" :
						"no output given (-o FILE)");
	}

	t0 = pk_now_ms();
	targ = btf__parse(btf_path, NULL);
	if (!targ) {
		err = -errno;
		pk_err("cannot read kernel BTF '%s': %s", btf_path, strerror(-err));
		goto out;
	}
	m = pk_btf_min__new(targ);
	if (!m) {
		pk_err("out of memory");
		goto out;
	}
	for (i = 0; i < nobj; i++) {
		err = pk_btf_min__add_file(m, objs[i], &perr);
		if (err < 0) {
			pk_err("%s", pk_error__str(&perr));
			goto out;
		}
	}
	red = pk_btf_min__build(m, &perr);
	if (!red) {
		pk_err("cannot build reduced BTF: %s", pk_error__str(&perr));
		goto out;
	}
	raw = btf__raw_data(red, &raw_sz);
	if (!raw) {
		pk_err("cannot encode reduced BTF");
		goto out;
	}
	if (verify) {
		/* verify what will be written: the encoded bytes, parsed back */
		red2 = btf__new(raw, raw_sz);
		if (!red2) {
			pk_err("reduced BTF does not parse back: %s", strerror(errno));
			goto out;
		}
		mism = pk_btf_min__verify(m, red2, &perr);
		if (mism < 0) {
			pk_err("verify: %s", pk_error__str(&perr));
			goto out;
		}
		for (i = 0; i < mism; i++) {
			const struct pk_btf_min_mismatch *x = pk_btf_min__mismatch(m, i);

			pk_err("verify: %s: section '%s' insn %u: %s on %s access '%s': full BTF %s, reduced %s",
			       x->object, x->section, x->insn_off / 8, pk_core_relo_kind__str(x->kind),
			       x->type, x->access, x->full, x->reduced);
		}
	}
	if (!mism) {
		err = pk_file__write_atomic(out_path, raw, raw_sz);
		if (err) {
			pk_err("cannot write '%s': %s", out_path, strerror(-err));
			goto out;
		}
	}
	pk_btf_min__stats(m, &st);
	ret = mism ? PK_EXIT_FAIL : PK_EXIT_OK;

	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "output", mism ? NULL : out_path);
		pk_json__kv_uint(&j, "bytes", raw_sz);
		pk_json__kv_str(&j, "kernel_btf", btf_path);
		pk_json__kv_uint(&j, "kernel_btf_bytes", stat(btf_path, &sb) ? 0 : (uint64_t)sb.st_size);
		pk_json__key(&j, "objects");
		pk_json__arr_begin(&j);
		for (i = 0; pk_btf_min__object_name(m, i); i++)
			pk_json__str(&j, pk_btf_min__object_name(m, i));
		pk_json__arr_end(&j);
		pk_json__kv_uint(&j, "relocations", st.relos);
		pk_json__kv_uint(&j, "resolved", st.resolved);
		pk_json__kv_uint(&j, "missing", st.missing);
		pk_json__kv_uint(&j, "types", st.types);
		pk_json__kv_uint(&j, "members", st.members);
		pk_json__kv_double(&j, "ms", pk_now_ms() - t0);
		if (verify) {
			pk_json__key(&j, "verify");
			pk_json__obj_begin(&j);
			pk_json__kv_bool(&j, "ok", mism == 0);
			pk_json__kv_uint(&j, "relocations", st.verified);
			pk_json__key(&j, "mismatches");
			pk_json__arr_begin(&j);
			for (i = 0; i < mism; i++) {
				const struct pk_btf_min_mismatch *x = pk_btf_min__mismatch(m, i);

				pk_json__obj_begin(&j);
				pk_json__kv_str(&j, "object", x->object);
				pk_json__kv_str(&j, "section", x->section);
				pk_json__kv_uint(&j, "insn", x->insn_off / 8);
				pk_json__kv_str(&j, "kind", pk_core_relo_kind__str(x->kind));
				pk_json__kv_str(&j, "type", x->type);
				pk_json__kv_str(&j, "access", x->access);
				pk_json__kv_str(&j, "full", x->full);
				pk_json__kv_str(&j, "reduced", x->reduced);
				pk_json__obj_end(&j);
			}
			pk_json__arr_end(&j);
			pk_json__obj_end(&j);
		}
		pk_json__obj_end(&j);
		if (j.err) {
			pk_err("out of memory");
			ret = PK_EXIT_ERROR;
		} else {
			printf("%s\n", j.buf);
		}
		pk_json__free(&j);
	} else {
		printf("%d object%s, %u relocations (%u resolved, %u without target)\n",
		       st.objects, st.objects == 1 ? "" : "s", st.relos, st.resolved, st.missing);
		printf("kept %u types, %u members/enumerators: %u bytes", st.types, st.members, raw_sz);
		if (!stat(btf_path, &sb))
			printf(" (from %lld)", (long long)sb.st_size);
		printf(", %.1f ms\n", pk_now_ms() - t0);
		if (verify)
			printf("verify: %u relocations, %s\n", st.verified,
			       mism ? "DIFFERENCES (see errors)" : "all equal");
		if (!mism)
			printf("wrote %s\n", out_path);
	}
out:
	btf__free(red2);
	btf__free(red);
	pk_btf_min__free(m);
	btf__free(targ);
	free(objs);
	return ret;
}
