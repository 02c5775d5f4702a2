/* SPDX-License-Identifier: MIT */
/*
 * Field tables over JSON (core/fields.h): one walk decodes a patch onto an object and one
 * encodes the object, for every object described by a table. A PT_FIELD_CUSTOM field is handed
 * to the caller's function in its place, so that the order of the table is the order of the
 * checks and of the keys in the answer.
 */
#include "http/http_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/names.h"

#include <string.h>

/* The names allowed in the object `prefix` (NULL: the top level) of the table, NULL-ended, in
 * arena. */
static const char **allowed_names(const struct pt_field *fields, size_t n, const char *prefix,
                                  struct pt_arena *arena)
{
    const char **names = pt_arena_alloc(arena, (n + 1) * sizeof(*names));
    size_t len = prefix != NULL ? strlen(prefix) : 0;
    size_t count = 0;
    size_t i;
    if (names == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const struct pt_field *f = &fields[i];
        if (f->read_only) {
            continue;
        }
        if (prefix == NULL ? !pt_field_is_member(f)
                           : strncmp(f->name, prefix, len) == 0 && f->name[len] == '.') {
            names[count++] = pt_field_key(f);
        }
    }
    names[count] = NULL;
    return names;
}

/* A nullable INT given: null is its null value (and clears its flag), else a value. */
static enum pt_rc decode_nullable(const struct pt_field *f, json_t *in, json_t *v, char *obj,
                                  struct pt_err *err)
{
    bool set = !json_is_null(v);
    if (f->flagged) {
        memcpy(obj + f->flag_offset, &set, sizeof(set));
    }
    if (!set) {
        memcpy(obj + f->offset, &f->null_value, sizeof(f->null_value));
        return PT_OK;
    }
    return pt_json_get_int(in, pt_field_key(f), f->name, true, f->min, f->max,
                           (int64_t *)(void *)(obj + f->offset), NULL, err);
}

/* A TIME given: null is its open bound. */
static enum pt_rc decode_time(const struct pt_field *f, json_t *v, char *obj, struct pt_err *err)
{
    int64_t at_ms = f->null_value;
    if (!json_is_null(v) &&
        (!json_is_string(v) || !pt_time_parse_rfc3339(json_string_value(v), &at_ms))) {
        return pt_err_set(
            err, PT_EINVAL, f->name,
            "%s is null or an RFC 3339 time between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            f->name);
    }
    memcpy(obj + f->offset, &at_ms, sizeof(at_ms));
    return PT_OK;
}

/* A NAMES list given: at most f->count names of 1..f->max bytes on one line, without NUL
 * (a name is kept as C text: one would cut it short). */
static enum pt_rc decode_names(const struct pt_field *f, json_t *v, struct pt_arena *arena,
                               char *obj, struct pt_err *err)
{
    size_t k;
    if (!json_is_array(v) || json_array_size(v) > f->count) {
        return pt_err_set(err, PT_EINVAL, f->name, "%s", f->shape);
    }
    for (k = 0; k < json_array_size(v); k++) {
        json_t *one = json_array_get(v, k);
        if (!json_is_string(one) || json_string_length(one) == 0 ||
            json_string_length(one) > (size_t)f->max ||
            strlen(json_string_value(one)) != json_string_length(one) ||
            strchr(json_string_value(one), '\n') != NULL) {
            return pt_err_set(err, PT_EINVAL, f->name, "%s", f->message);
        }
    }
    return pt_json_names_copy(v, arena, (const char *const **)(void *)(obj + f->offset),
                              (unsigned *)(void *)(obj + f->count_offset), err);
}

/* An ENUM given: one of its names. */
static enum pt_rc decode_enum(const struct pt_field *f, json_t *v, char *obj, struct pt_err *err)
{
    int i = pt_name_index(f->names, f->count, json_is_string(v) ? json_string_value(v) : NULL);
    if (i < 0) {
        return pt_err_set(err, PT_EINVAL, f->name, "%s", f->shape);
    }
    memcpy(obj + f->offset, &i, sizeof(i));
    return PT_OK;
}

/* A TEXT given: null clears a nullable one, and one that its noun refuses missing after the
 * whole body (message); another is refused. */
static enum pt_rc decode_text(const struct pt_field *f, json_t *in, struct pt_arena *arena,
                              char *obj, struct pt_err *err)
{
    return pt_json_get_string(in, pt_field_key(f), !f->nullable && f->message == NULL, arena,
                              (const char **)(void *)(obj + f->offset), err);
}

/* One field f of obj from the JSON object `in`, when given (an INT also when null). */
static enum pt_rc decode_value(const struct pt_field *f, json_t *in, struct pt_arena *arena,
                               char *obj, struct pt_err *err)
{
    const char *key = pt_field_key(f);
    json_t *v = json_object_get(in, key);
    if (f->read_only) {
        return PT_OK;
    }
    if (f->type == PT_FIELD_INT && !f->nullable) {
        return pt_json_get_int(in, key, f->name, f->required, f->min, f->max,
                               (int64_t *)(void *)(obj + f->offset), NULL, err);
    }
    if (v == NULL) {
        return PT_OK;
    }
    switch (f->type) {
    case PT_FIELD_INT:
        return decode_nullable(f, in, v, obj, err);
    case PT_FIELD_BOOL:
        if (!json_is_boolean(v)) {
            return pt_err_set(err, PT_EINVAL, f->name, "%s must be true or false", f->name);
        }
        *(bool *)(void *)(obj + f->offset) = json_is_true(v);
        return PT_OK;
    case PT_FIELD_TEXT:
        return decode_text(f, in, arena, obj, err);
    case PT_FIELD_ENUM:
        return decode_enum(f, v, obj, err);
    case PT_FIELD_TIME:
        return decode_time(f, v, obj, err);
    case PT_FIELD_NAMES:
        return decode_names(f, v, arena, obj, err);
    case PT_FIELD_OBJECT:
    case PT_FIELD_CUSTOM:
        break;
    }
    pt_assert(false);
    return PT_EINTERNAL;
}

/* The object field fields[at] and its members; OUT: *skip, how many entries it took. */
static enum pt_rc decode_object(const struct pt_field *fields, size_t n, size_t at, json_t *v,
                                struct pt_arena *arena, char *obj, size_t *skip, struct pt_err *err)
{
    const struct pt_field *f = &fields[at];
    size_t len = strlen(f->name);
    size_t i;
    enum pt_rc rc = PT_OK;
    for (i = at + 1;
         i < n && strncmp(fields[i].name, f->name, len) == 0 && fields[i].name[len] == '.'; i++) {
    }
    *skip = i - at - 1;
    if (v == NULL) {
        return PT_OK;
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, f->name, "%s", f->shape);
    }
    {
        const char **allowed = allowed_names(fields, n, f->name, arena);
        if (allowed == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        rc = pt_json_check_fields(v, allowed, err);
    }
    for (i = at + 1; rc == PT_OK && i <= at + *skip; i++) {
        rc = decode_value(&fields[i], v, arena, obj, err);
    }
    return rc;
}

enum pt_rc pt_http_fields_check(const struct pt_field *fields, size_t n, json_t *obj,
                                struct pt_arena *arena, struct pt_err *err)
{
    const char **allowed = allowed_names(fields, n, NULL, arena);
    if (allowed == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    return pt_json_check_fields(obj, allowed, err);
}

enum pt_rc pt_http_fields_decode(const struct pt_field *fields, size_t n, json_t *patch,
                                 struct pt_arena *arena, void *obj, pt_http_field_decode_fn custom,
                                 void *custom_ctx, struct pt_err *err)
{
    enum pt_rc rc = pt_http_fields_check(fields, n, patch, arena, err);
    size_t i;
    for (i = 0; rc == PT_OK && i < n; i++) {
        const struct pt_field *f = &fields[i];
        json_t *v = json_object_get(patch, f->name);
        size_t skip = 0;
        pt_assert(!pt_field_is_member(f));
        if (f->type == PT_FIELD_OBJECT) {
            rc = decode_object(fields, n, i, v, arena, obj, &skip, err);
            i += skip;
        } else if (f->type == PT_FIELD_CUSTOM) {
            rc = v != NULL ? custom(custom_ctx, f, patch, arena, obj, err) : PT_OK;
        } else {
            rc = decode_value(f, patch, arena, obj, err);
        }
    }
    return rc;
}

/* One field of obj (not an OBJECT or CUSTOM one). new */
static json_t *encode_value(const struct pt_field *f, const char *obj)
{
    const void *at = obj + f->offset;
    int64_t v;
    switch (f->type) {
    case PT_FIELD_INT:
        memcpy(&v, at, sizeof(v));
        if (f->nullable && (f->flagged ? !*(const bool *)(const void *)(obj + f->flag_offset)
                                       : v == f->null_value)) {
            return json_null();
        }
        return json_integer(v);
    case PT_FIELD_BOOL:
        return json_boolean(*(const bool *)at);
    case PT_FIELD_TEXT:
        return pt_json_string_or_null(*(const char *const *)at);
    case PT_FIELD_ENUM:
        return json_string(f->names[*(const int *)at]);
    case PT_FIELD_TIME:
        memcpy(&v, at, sizeof(v));
        return pt_json_time_or_null(v, f->null_value);
    case PT_FIELD_NAMES:
        return pt_json_names(*(const char *const *const *)at,
                             *(const unsigned *)(const void *)(obj + f->count_offset));
    case PT_FIELD_OBJECT:
    case PT_FIELD_CUSTOM:
        break;
    }
    pt_assert(false);
    return NULL;
}

json_t *pt_http_fields_encode(const struct pt_field *fields, size_t n, const void *obj,
                              json_t *root, pt_http_field_encode_fn custom, void *custom_ctx)
{
    json_t *group = NULL;
    size_t i;
    if (root == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        const struct pt_field *f = &fields[i];
        if (pt_field_is_member(f)) {
            pt_assert(group != NULL);
            (void)json_object_set_new(group, pt_field_key(f), encode_value(f, obj));
        } else if (f->type == PT_FIELD_OBJECT) {
            group = json_object();
            (void)json_object_set_new(root, f->name, group);
        } else if (f->type == PT_FIELD_CUSTOM) {
            (void)json_object_set_new(root, f->name, custom(custom_ctx, f, obj));
        } else {
            (void)json_object_set_new(root, f->name, encode_value(f, obj));
        }
    }
    return root;
}

json_t *pt_http_fields_encode_in(const struct pt_field *fields, size_t n, const char *const *shown,
                                 const void *obj, json_t *root, pt_http_field_encode_fn custom,
                                 void *custom_ctx)
{
    size_t k;
    for (k = 0; root != NULL && shown[k] != NULL; k++) {
        size_t i = 0;
        size_t span = 1;
        while (i < n && strcmp(fields[i].name, shown[k]) != 0) {
            i++;
        }
        pt_assert(i < n);
        while (i + span < n && pt_field_is_member(&fields[i + span])) {
            span++;
        }
        root = pt_http_fields_encode(fields + i, span, obj, root, custom, custom_ctx);
    }
    return root;
}
