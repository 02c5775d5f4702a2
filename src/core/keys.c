/* SPDX-License-Identifier: MIT */
/* API keys (keys.h): the names of the roles and the rules of a key's name. */
#include "core/keys.h"

const char *const pt_role_names[PT_ROLES] = {"admin", "staff"};
