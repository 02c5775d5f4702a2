/* SPDX-License-Identifier: MIT */
/*
 * API keys: a key belongs to one program and has a role. The secret is never stored, only its
 * hash (BLAKE2b-256) and the first characters to recognise it in a list (core/codes.h draws and
 * hashes it).
 */
#ifndef PT_CORE_KEYS_H
#define PT_CORE_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* Who may do what (docs/security.md, "Roles"): admin every route; staff the routes not
 * flagged admin; viewer every GET but keys, users and codes.csv, no write; member (a member's
 * session, never a key or a user) the routes flagged for members, for itself only; publishable (a
 * key only, whose secret sits in a web shop's pages) the routes flagged publishable, from its
 * allowed origins only. */
enum pt_role {
    PT_ROLE_ADMIN,
    PT_ROLE_STAFF,
    PT_ROLE_VIEWER,
    PT_ROLE_MEMBER,
    PT_ROLE_PUBLISHABLE,
    PT_ROLES,
};

/* The roles' names, as the API and the store spell them. */
extern const char *const pt_role_names[PT_ROLES];

/* Whether an API key may have the role (admin, staff, viewer, publishable). */
bool pt_role_is_key_role(enum pt_role role);

struct pt_api_key {
    char id[PT_ID_BUF_BYTES];
    char program_id[PT_ID_BUF_BYTES];
    const char *name; /* arena */
    enum pt_role role;
    uint8_t
        hash[PT_API_KEY_HASH_BYTES]; /* BLAKE2b-256 of the secret; the secret is never stored. */
    char prefix[13]; /* First characters of the secret, to recognise a key in a list. */
    int64_t created_at_ms;
    int64_t revoked_at_ms; /* 0 while active. */
    /* PT_ROLE_PUBLISHABLE: its allowed origins joined by one space (arena); else NULL. */
    const char *origins;
};

/* PT_EINVAL (field name) unless name is a text of 1..PT_KEY_NAME_BYTES_MAX bytes. */
PT_MUSTCHECK enum pt_rc pt_key_name_validate(const char *name, struct pt_err *err);

/*
 * Whether origin (len bytes, not NUL-terminated) is a web origin as a publishable key may
 * allow it and as browsers send it in Origin (RFC 6454 section 6.1): "scheme://host[:port]",
 * scheme http or https, host lowercase letters, digits, '-' and '.' (a name or an IPv4
 * address; no userinfo, path, query, fragment or trailing slash), port 1..65535 without
 * leading zeros, at most PT_ORIGIN_BYTES_MAX bytes in all.
 */
bool pt_origin_is_valid(const char *origin, size_t len);

/* PT_EINVAL naming field unless origin (NUL-terminated) is pt_origin_is_valid. */
PT_MUSTCHECK enum pt_rc pt_origin_validate(const char *field, const char *origin,
                                           struct pt_err *err);

/* Whether origin (len bytes) is one of the space-joined origins (a key's). */
bool pt_origin_listed(const char *origins, const char *origin, size_t len);

/* The refusal of an API key the store did not find (or found revoked): PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_key_not_found(struct pt_err *err);

#endif
