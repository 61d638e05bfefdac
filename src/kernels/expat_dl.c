/* Expat through dlopen (common/dl.h): the symbol table and its one loader entry.
 * See expat_dl.h for why it is not linked. */
#include "common/dl.h"
#include "kernels/expat_dl.h"

static struct pk_expat ex;

#define SYM(field, sym) PK_DL_SYM(struct pk_expat, field, sym)
static const struct pk_dl_sym ex_syms[] = {
	SYM(parser_create_ns, XML_ParserCreateNS),
	SYM(parser_free, XML_ParserFree),
	SYM(set_user_data, XML_SetUserData),
	SYM(set_element_handler, XML_SetElementHandler),
	SYM(set_character_data_handler, XML_SetCharacterDataHandler),
	SYM(set_start_doctype_decl_handler, XML_SetStartDoctypeDeclHandler),
	SYM(set_entity_decl_handler, XML_SetEntityDeclHandler),
	SYM(set_xml_decl_handler, XML_SetXmlDeclHandler),
	SYM(set_external_entity_ref_handler, XML_SetExternalEntityRefHandler),
	SYM(set_param_entity_parsing, XML_SetParamEntityParsing),
	SYM(parse, XML_Parse),
	SYM(stop_parser, XML_StopParser),
	SYM(get_error_code, XML_GetErrorCode),
	SYM(error_string, XML_ErrorString),
	SYM(get_current_line_number, XML_GetCurrentLineNumber),
};
#undef SYM

static struct pk_dl ex_dl = {
	.lib = "libexpat",
	.package = "libexpat1",
	.soname = PK_LIBEXPAT_SONAME,
	.env = "PROBEKIT_LIBEXPAT",
	.kind = "expat 2",
	.syms = ex_syms,
	.nr_syms = PK_ARRAY_SIZE(ex_syms),
	.table = &ex,
	PK_DL_INIT,
};

const struct pk_expat *pk_expat__load(struct pk_error *err)
{
	return pk_dl__load(&ex_dl, "reading RPM repository metadata", err) ? NULL : &ex;
}
