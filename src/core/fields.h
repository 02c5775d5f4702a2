/* SPDX-License-Identifier: MIT */
/*
 * Field tables: a settings object or a PATCHable object described once, as data (name, type,
 * offset, limits, nullable), instead of a hand-written decoder, encoder and validator per
 * object. The domain's limits live in the table (core's); src/http walks the same table to
 * decode a JSON patch and to encode the object (http/fields.c), and the service validates the
 * whole object with pt_fields_validate before it writes it. The tables: the program's settings
 * (program.c), a reward (reward.c), a stamp card (stamp_card.c), a member's settable fields
 * (member.c).
 *
 * A field whose JSON shape is not one value of the table's types (a union like expiry's policy
 * and months, a JSON document kept as text, a nested policy with its own parser) is
 * PT_FIELD_CUSTOM: the table names it, in its place, and the layer that reads JSON decodes and
 * encodes it itself. A rule across fields (a reward's value by its type) is the noun's
 * validator's, after the table's. Pure: no JSON, no I/O.
 */
#ifndef PT_CORE_FIELDS_H
#define PT_CORE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum pt_field_type {
    /* int64_t at offset, in [min, max]. A nullable one takes null for null_value (and, with
     * flag_offset, clears the bool there that says a value is set); that value shows as null. */
    PT_FIELD_INT,
    PT_FIELD_BOOL, /* bool at offset. */
    PT_FIELD_TEXT, /* const char * at offset (arena), 1..max bytes of text; NULL if nullable. */
    /* An enum at offset (an int), one of names[0..count): the JSON name; shape refuses others. */
    PT_FIELD_ENUM,
    /* int64_t Unix ms at offset: an RFC 3339 time, or null for the open bound null_value
     * (INT64_MIN for a start, INT64_MAX for an end). */
    PT_FIELD_TIME,
    /* A list of names: const char *const * (arena) at offset, its unsigned length at
     * count_offset; at most count names (else shape), each 1..max bytes on one line (else
     * message). */
    PT_FIELD_NAMES,
    PT_FIELD_OBJECT, /* A JSON object whose members are the entries "name.member" after it. */
    PT_FIELD_CUSTOM, /* Decoded, encoded and checked by hand (see above); offset unused. */
};

/* A TEXT field's own check of a value (an email address, a birth date not after now_ms):
 * PT_EINVAL naming the field. */
typedef enum pt_rc (*pt_field_check_fn)(const char *s, int64_t now_ms, struct pt_err *err);

struct pt_field {
    const char *name; /* The JSON name; a member of an object is "object.member". */
    enum pt_field_type type;
    size_t offset;     /* offsetof the value in the object's struct. */
    int64_t min;       /* INT: the least value. */
    int64_t max;       /* INT: the greatest value; TEXT, NAMES: the most bytes (of a name). */
    bool required;     /* A member that must be given whenever its object is. */
    bool nullable;     /* TEXT: may be absent (NULL); INT: null is null_value. */
    const char *shape; /* OBJECT, ENUM, NAMES: the refusal of a value not of its shape. */
    /* ENUM: the names of the values 0..count; NAMES: the most names in the list. */
    const char *const *names;
    unsigned count;
    size_t count_offset; /* NAMES: offsetof its unsigned length. */
    int64_t null_value;  /* Nullable INT, TIME: the value null stands for. */
    bool flagged;        /* Nullable INT: a bool at flag_offset is false for null. */
    size_t flag_offset;
    /* INT: the validator's refusal of a value out of [min, max], a printf format of the name
     * (%s) and max (%lld), when it is not "name must be from min to max"; TEXT that is not
     * nullable: null clears it, and its noun refuses it missing with this after the whole body
     * (http's pt_http_object_decode; without: null is refused at once); NAMES: the refusal of a
     * name. */
    const char *message;
    pt_field_check_fn check; /* TEXT: the check of a value instead of the text rule. */
    bool own_rule;  /* Checked by the noun's validator (a rule across fields), not the table. */
    bool read_only; /* Shown, never taken (a reward's issued): encoded only. */
};

/* The member part of f->name ("points" of "earn_rate.points"), or the name itself. */
const char *pt_field_key(const struct pt_field *f);
/* Whether f is a member of an object (its name has a dot). */
bool pt_field_is_member(const struct pt_field *f);

/* Checks every INT, TEXT, ENUM and NAMES field of obj (a struct described by fields[0..n))
 * against its limits, in the table's order; fields with an own rule, read-only ones and the
 * rest are the caller's. PT_EINVAL naming the first field out of them. */
PT_MUSTCHECK enum pt_rc pt_fields_validate(const struct pt_field *fields, size_t n, const void *obj,
                                           struct pt_err *err);
/* The same, for a table whose checks judge by the time (a birth date not after now_ms). */
PT_MUSTCHECK enum pt_rc pt_fields_validate_at(const struct pt_field *fields, size_t n,
                                              const void *obj, int64_t now_ms, struct pt_err *err);
/* Sets every TEXT, BOOL, INT, TIME and NAMES field of obj to what an absent value means (NULL,
 * false, null_value or 0, none): the start of a decode that replaces the object. */
void pt_fields_clear(const struct pt_field *fields, size_t n, void *obj);

#endif
