/* SPDX-License-Identifier: MIT */
/* Field tables (fields.h): the validation every described object shares. */
#include "core/fields.h"

#include "base/assert.h"
#include "core/member.h"

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

enum pt_rc pt_fields_validate(const struct pt_field *fields, size_t n, const void *obj,
                              struct pt_err *err)
{
    const char *base = obj;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct pt_field *f = &fields[i];
        if (f->type == PT_FIELD_INT) {
            int64_t v;
            pt_assert(f->min <= f->max);
            memcpy(&v, base + f->offset, sizeof(v));
            if (v < f->min || v > f->max) {
                return pt_err_set(err, PT_EINVAL, f->name, "%s must be from %lld to %lld", f->name,
                                  (long long)f->min, (long long)f->max);
            }
        } else if (f->type == PT_FIELD_TEXT) {
            const char *s;
            memcpy(&s, base + f->offset, sizeof(s));
            if (s == NULL && !f->nullable) {
                return pt_err_set(err, PT_EINVAL, f->name, "%s is required", f->name);
            }
            if (s != NULL) {
                enum pt_rc rc = pt_validate_text(f->name, s, (size_t)f->max, err);
                if (rc != PT_OK) {
                    return rc;
                }
            }
        }
    }
    return PT_OK;
}
