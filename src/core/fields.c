/* SPDX-License-Identifier: MIT */
/* Field tables (fields.h): the validation every described object shares. */
#include "core/fields.h"

#include "base/assert.h"
#include "core/member.h"

#include <stdio.h>
#include <string.h>

const char *pt_field_key(const struct pt_field *f)
{
    const char *dot = strchr(f->name, '.');
    return dot != NULL ? dot + 1 : f->name;
}

bool pt_field_is_member(const struct pt_field *f)
{
    return strchr(f->name, '.') != NULL;
}

/* The refusal of an INT out of its limits: the table's message, a format of (name, max) that
 * the table's author wrote (a constant, never input), or the common one. */
static enum pt_rc int_refused(const struct pt_field *f, struct pt_err *err)
{
    char text[200];
    if (f->message == NULL) {
        return pt_err_set(err, PT_EINVAL, f->name, "%s must be from %lld to %lld", f->name,
                          (long long)f->min, (long long)f->max);
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    (void)snprintf(text, sizeof(text), f->message, f->name, (long long)f->max);
#pragma GCC diagnostic pop
    return pt_err_set(err, PT_EINVAL, f->name, "%s", text);
}

static enum pt_rc int_validate(const struct pt_field *f, const char *base, struct pt_err *err)
{
    int64_t v;
    pt_assert(f->min <= f->max);
    memcpy(&v, base + f->offset, sizeof(v));
    if (f->nullable && f->flagged) {
        bool set;
        memcpy(&set, base + f->flag_offset, sizeof(set));
        if (!set) {
            return PT_OK;
        }
    } else if (f->nullable && v == f->null_value) {
        return PT_OK;
    }
    return v < f->min || v > f->max ? int_refused(f, err) : PT_OK;
}

static enum pt_rc text_validate(const struct pt_field *f, const char *base, int64_t now_ms,
                                struct pt_err *err)
{
    const char *s;
    memcpy(&s, base + f->offset, sizeof(s));
    if (s == NULL) {
        return f->nullable ? PT_OK : pt_err_set(err, PT_EINVAL, f->name, "%s is required", f->name);
    }
    if (f->check != NULL) {
        return f->check(s, now_ms, err);
    }
    return pt_validate_text(f->name, s, (size_t)f->max, err);
}

/* Whether name is one of 1..max bytes on one line. */
static bool name_ok(const char *name, int64_t max)
{
    size_t len = strlen(name);
    return len > 0 && len <= (size_t)max && strchr(name, '\n') == NULL;
}

static enum pt_rc names_validate(const struct pt_field *f, const char *base, struct pt_err *err)
{
    const char *const *names;
    unsigned count;
    unsigned i;
    memcpy(&names, base + f->offset, sizeof(names));
    memcpy(&count, base + f->count_offset, sizeof(count));
    if (count > f->count) {
        return pt_err_set(err, PT_EINVAL, f->name, "%s", f->shape);
    }
    for (i = 0; i < count; i++) {
        if (!name_ok(names[i], f->max)) {
            return pt_err_set(err, PT_EINVAL, f->name, "%s", f->message);
        }
    }
    return PT_OK;
}

static enum pt_rc field_validate(const struct pt_field *f, const char *base, int64_t now_ms,
                                 struct pt_err *err)
{
    int e;
    if (f->own_rule || f->read_only) {
        return PT_OK;
    }
    switch (f->type) {
    case PT_FIELD_INT:
        return int_validate(f, base, err);
    case PT_FIELD_TEXT:
        return text_validate(f, base, now_ms, err);
    case PT_FIELD_ENUM:
        memcpy(&e, base + f->offset, sizeof(e));
        return e >= 0 && (unsigned)e < f->count
                   ? PT_OK
                   : pt_err_set(err, PT_EINVAL, f->name, "%s", f->shape);
    case PT_FIELD_NAMES:
        return names_validate(f, base, err);
    case PT_FIELD_BOOL:
    case PT_FIELD_TIME:
    case PT_FIELD_OBJECT:
    case PT_FIELD_CUSTOM:
        break;
    }
    return PT_OK;
}

enum pt_rc pt_fields_validate_at(const struct pt_field *fields, size_t n, const void *obj,
                                 int64_t now_ms, struct pt_err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        enum pt_rc rc = field_validate(&fields[i], obj, now_ms, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

enum pt_rc pt_fields_validate(const struct pt_field *fields, size_t n, const void *obj,
                              struct pt_err *err)
{
    return pt_fields_validate_at(fields, n, obj, 0, err);
}

void pt_fields_clear(const struct pt_field *fields, size_t n, void *obj)
{
    static const char *const no_text = NULL;
    static const bool no = false;
    static const unsigned none = 0;
    char *base = obj;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct pt_field *f = &fields[i];
        if (f->read_only) {
            continue;
        }
        if (f->type == PT_FIELD_TEXT || f->type == PT_FIELD_NAMES) {
            memcpy(base + f->offset, &no_text, sizeof(no_text));
        }
        if (f->type == PT_FIELD_NAMES) {
            memcpy(base + f->count_offset, &none, sizeof(none));
        }
        if (f->type == PT_FIELD_BOOL || (f->type == PT_FIELD_INT && f->flagged)) {
            memcpy(base + (f->flagged ? f->flag_offset : f->offset), &no, sizeof(no));
        }
        if ((f->type == PT_FIELD_INT && f->nullable) || f->type == PT_FIELD_TIME) {
            memcpy(base + f->offset, &f->null_value, sizeof(f->null_value));
        }
    }
}
