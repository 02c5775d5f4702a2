/* SPDX-License-Identifier: MIT */
/*
 * Field tables: a settings object or a PATCHable object described once, as data (name, type,
 * offset, limits, nullable), instead of a hand-written decoder, encoder and validator per
 * object. The domain's limits live in the table (core's); src/http walks the same table to
 * decode a JSON patch and to encode the object (http/fields.c), and the service validates the
 * whole object with pt_fields_validate before it writes it.
 *
 * A field whose JSON shape is not one value of the table's types (a union like expiry's policy
 * and months, a list kept as text, a nested policy with its own parser) is PT_FIELD_CUSTOM: the
 * table names it, in its place, and the layer that reads JSON decodes and encodes it itself.
 * Pure: no JSON, no I/O.
 */
#ifndef PT_CORE_FIELDS_H
#define PT_CORE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum pt_field_type {
    PT_FIELD_INT,    /* int64_t at offset, in [min, max]. */
    PT_FIELD_BOOL,   /* bool at offset. */
    PT_FIELD_TEXT,   /* const char * at offset (arena), 1..max bytes of text; NULL if nullable. */
    PT_FIELD_OBJECT, /* A JSON object whose members are the entries "name.member" after it. */
    PT_FIELD_CUSTOM, /* Decoded, encoded and checked by hand (see above); offset unused. */
};

struct pt_field {
    const char *name; /* The JSON name; a member of an object is "object.member". */
    enum pt_field_type type;
    size_t offset;     /* offsetof the value in the object's struct. */
    int64_t min;       /* INT: the least value. */
    int64_t max;       /* INT: the greatest value; TEXT: the most bytes. */
    bool required;     /* A member that must be given whenever its object is. */
    bool nullable;     /* TEXT: may be absent (NULL). */
    const char *shape; /* OBJECT: what it looks like, the message when it is not an object. */
};

/* The member part of f->name ("points" of "earn_rate.points"), or the name itself. */
const char *pt_field_key(const struct pt_field *f);
/* Whether f is a member of an object (its name has a dot). */
bool pt_field_is_member(const struct pt_field *f);

/* Checks every INT and TEXT field of obj (a struct described by fields[0..n)) against its
 * limits. PT_EINVAL naming the first field out of them. */
PT_MUSTCHECK enum pt_rc pt_fields_validate(const struct pt_field *fields, size_t n, const void *obj,
                                           struct pt_err *err);

#endif
