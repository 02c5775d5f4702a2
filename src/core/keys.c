/* SPDX-License-Identifier: MIT */
/* API keys (keys.h): the names of the roles and the rules of a key's name. */
#include "core/keys.h"

#include "core/member.h"

const char *const pt_role_names[PT_ROLES] = {"admin", "staff", "viewer", "member"};

bool pt_role_is_key_role(enum pt_role role)
{
    return role == PT_ROLE_ADMIN || role == PT_ROLE_STAFF || role == PT_ROLE_VIEWER;
}

enum pt_rc pt_key_name_validate(const char *name, struct pt_err *err)
{
    return pt_validate_text("name", name, PT_KEY_NAME_BYTES_MAX, err);
}

enum pt_rc pt_key_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such API key");
}
