/* Expat's entry points, opened with dlopen the first time RPM repository metadata
 * is read (by `probekit kernels`); never linked. */
#ifndef PK_EXPAT_DL_H
#define PK_EXPAT_DL_H

/* Why not linked: only the catalog reads XML, and the node agent, which shares the
 * binary, must not depend on one more library for it. Looked up by its soname
 * (libexpat.so.1) when first needed, or at PROBEKIT_LIBEXPAT. */

#include <expat.h>

#include "common/pk.h"

#define PK_LIBEXPAT_SONAME "libexpat.so.1"

struct pk_expat {
	XML_Parser (*parser_create_ns)(const XML_Char *, XML_Char);
	void (*parser_free)(XML_Parser);
	void (*set_user_data)(XML_Parser, void *);
	void (*set_element_handler)(XML_Parser, XML_StartElementHandler, XML_EndElementHandler);
	void (*set_character_data_handler)(XML_Parser, XML_CharacterDataHandler);
	void (*set_start_doctype_decl_handler)(XML_Parser, XML_StartDoctypeDeclHandler);
	void (*set_entity_decl_handler)(XML_Parser, XML_EntityDeclHandler);
	void (*set_xml_decl_handler)(XML_Parser, XML_XmlDeclHandler);
	void (*set_external_entity_ref_handler)(XML_Parser, XML_ExternalEntityRefHandler);
	int (*set_param_entity_parsing)(XML_Parser, enum XML_ParamEntityParsing);
	enum XML_Status (*parse)(XML_Parser, const char *, int, int);
	enum XML_Status (*stop_parser)(XML_Parser, XML_Bool);
	enum XML_Error (*get_error_code)(XML_Parser);
	const XML_LChar *(*error_string)(enum XML_Error);
	XML_Size (*get_current_line_number)(XML_Parser);
};

/* The library's entry points, resolved once per process. Returns NULL when the
 * library or one of its symbols cannot be found, with the reason in err
 * ("reading RPM repository metadata needs libexpat (Debian: libexpat1): ..."). */
const struct pk_expat *pk_expat__load(struct pk_error *err);

#endif
