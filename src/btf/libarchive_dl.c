/* libarchive through dlopen (common/dl.h): the symbol table and its one loader entry.
 * See libarchive_dl.h for why it is not linked. */
#include "common/dl.h"
#include "btf/libarchive_dl.h"

static struct pk_libarchive la;

#define SYM(field, sym) PK_DL_SYM(struct pk_libarchive, field, sym)
static const struct pk_dl_sym la_syms[] = {
	SYM(read_new, archive_read_new),
	SYM(read_free, archive_read_free),
	SYM(read_support_filter_all, archive_read_support_filter_all),
	SYM(read_support_format_all, archive_read_support_format_all),
	SYM(read_open_memory, archive_read_open_memory),
	SYM(read_open_fd, archive_read_open_fd),
	SYM(read_open, archive_read_open),
	SYM(read_next_header, archive_read_next_header),
	SYM(read_data, archive_read_data),
	SYM(error_string, archive_error_string),
	SYM(set_error, archive_set_error),
	SYM(format, archive_format),
	SYM(entry_pathname, archive_entry_pathname),
	SYM(entry_size, archive_entry_size),
	SYM(entry_size_is_set, archive_entry_size_is_set),
	SYM(entry_filetype, archive_entry_filetype),
	SYM(entry_symlink, archive_entry_symlink),
	SYM(entry_hardlink, archive_entry_hardlink),
	SYM(entry_perm, archive_entry_perm),
};
#undef SYM

static struct pk_dl la_dl = {
	.lib = "libarchive",
	.package = "libarchive13",
	.soname = PK_LIBARCHIVE_SONAME,
	.env = "PROBEKIT_LIBARCHIVE",
	.kind = "libarchive 3",
	.syms = la_syms,
	.nr_syms = PK_ARRAY_SIZE(la_syms),
	.table = &la,
	PK_DL_INIT,
};

const struct pk_libarchive *pk_libarchive__load(struct pk_error *err)
{
	return pk_dl__load(&la_dl, "reading packages", err) ? NULL : &la;
}
