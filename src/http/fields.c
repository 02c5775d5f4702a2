/* SPDX-License-Identifier: MIT */
/*
 * Field tables over JSON (core/fields.h): one walk decodes a patch onto an object and one
 * encodes the object, for every object described by a table. A PT_FIELD_CUSTOM field is handed
 * to the caller's function in its place, so that the order of the table is the order of the
 * checks and of the keys in the answer.
 */
#include "http/http_int.h"

#include "base/assert.h"

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
        if (prefix == NULL ? !pt_field_is_member(f)
                           : strncmp(f->name, prefix, len) == 0 && f->name[len] == '.') {
            names[count++] = pt_field_key(f);
        }
    }
    names[count] = NULL;
    return names;
}

/* One INT, BOOL or TEXT field f of obj from the JSON object `in`, when given. */
static enum pt_rc decode_value(const struct pt_field *f, json_t *in, struct pt_arena *arena,
                               char *obj, struct pt_err *err)
{
    const char *key = pt_field_key(f);
    json_t *v = json_object_get(in, key);
    switch (f->type) {
    case PT_FIELD_INT:
        return pt_json_get_int(in, key, f->name, f->required, f->min, f->max,
                               (int64_t *)(void *)(obj + f->offset), NULL, err);
    case PT_FIELD_BOOL:
        if (v == NULL) {
            return PT_OK;
        }
        if (!json_is_boolean(v)) {
            return pt_err_set(err, PT_EINVAL, f->name, "%s must be true or false", f->name);
        }
        *(bool *)(void *)(obj + f->offset) = json_is_true(v);
        return PT_OK;
    case PT_FIELD_TEXT:
        if (v == NULL) {
            return PT_OK;
        }
        return pt_json_get_string(in, key, !f->nullable, arena,
                                  (const char **)(void *)(obj + f->offset), err);
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

enum pt_rc pt_http_fields_decode(const struct pt_field *fields, size_t n, json_t *patch,
                                 struct pt_arena *arena, void *obj, pt_http_field_decode_fn custom,
                                 void *custom_ctx, struct pt_err *err)
{
    const char **allowed = allowed_names(fields, n, NULL, arena);
    enum pt_rc rc;
    size_t i;
    if (allowed == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = pt_json_check_fields(patch, allowed, err);
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

/* One INT, BOOL or TEXT field of obj. new */
static json_t *encode_value(const struct pt_field *f, const char *obj)
{
    switch (f->type) {
    case PT_FIELD_INT:
        return json_integer(*(const int64_t *)(const void *)(obj + f->offset));
    case PT_FIELD_BOOL:
        return json_boolean(*(const bool *)(const void *)(obj + f->offset));
    case PT_FIELD_TEXT:
        return pt_json_string_or_null(*(const char *const *)(const void *)(obj + f->offset));
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
