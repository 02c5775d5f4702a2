/* SPDX-License-Identifier: MIT */
/*
 * People who sign in: a program's users (staff, admins, viewers of the dashboard and the till),
 * and the passwords of users and members (credentials), their sessions and the rules of both:
 * what a user's fields and a password must be, when failed sign-ins lock an account and for how
 * long, how long a session lasts. Pure: now_ms is passed in; strings are borrowed.
 *
 * A password is never held here: the store keeps its argon2id string (base/random.h), and a
 * session or reset token only as its BLAKE2b hash.
 */
#ifndef PT_CORE_USER_H
#define PT_CORE_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/keys.h"

enum pt_user_status {
    PT_USER_ACTIVE,
    PT_USER_DISABLED,
    PT_USER_STATUSES,
};

/* "active", "disabled", as the API and the store spell them. */
extern const char *const pt_user_status_names[PT_USER_STATUSES];

/* A sign-in's standing: the failures in a row and the lock they led to. */
struct pt_login_state {
    int64_t failed_count; /* Failures since the last success or lock; < PT_SIGN_IN_FAILURES_MAX */
    int64_t locked_until_ms; /* The lock's end; 0 when none was set. */
};

/* A user's or a member's password, as stored (table credentials). */
struct pt_credential {
    char subject_id[PT_ID_BUF_BYTES];           /* "usr_..." or "mem_..." */
    char password_hash[PT_PASSWORD_HASH_BYTES]; /* argon2id string; never shown, never logged. */
    struct pt_login_state login;
    int64_t last_sign_in_at_ms; /* 0: never signed in. */
    int64_t updated_at_ms;
};

/* A user of a program. */
struct pt_user {
    char id[PT_ID_BUF_BYTES];         /* "usr_..."; server-set. */
    char program_id[PT_ID_BUF_BYTES]; /* Tenant; server-set. */
    const char *email;                /* Lower-cased, unique in the program; borrowed. */
    const char *name;                 /* 1..PT_USER_NAME_BYTES_MAX bytes of text; borrowed. */
    enum pt_role role;                /* admin, staff or viewer (pt_user_role_parse). */
    enum pt_user_status status;
    int64_t created_at_ms;
    int64_t updated_at_ms;
    int64_t last_sign_in_at_ms; /* 0: never (null in the API). */
    int64_t locked_until_ms;    /* 0: not locked now (null in the API). */
};

enum pt_session_kind {
    PT_SESSION_USER,
    PT_SESSION_MEMBER,
    PT_SESSION_KINDS,
};

/* "user", "member". */
extern const char *const pt_session_kind_names[PT_SESSION_KINDS];

/* A signed-in browser: found by its token's hash, which is all the store keeps. */
struct pt_session {
    char id[PT_ID_BUF_BYTES];         /* "ses_..." */
    char program_id[PT_ID_BUF_BYTES]; /* The program signed in to. */
    enum pt_session_kind kind;
    char subject_id[PT_ID_BUF_BYTES]; /* The user's or the member's id. */
    uint8_t token_hash[32];           /* BLAKE2b-256 of the cookie's token. */
    int64_t created_at_ms;
    int64_t expires_at_ms;
};

/* A member's password reset: found by its token's hash, good once until expires_at_ms. */
struct pt_password_reset {
    char program_id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    uint8_t token_hash[32];
    int64_t created_at_ms;
    int64_t expires_at_ms;
    int64_t used_at_ms; /* 0 while unused. */
};

/* ---- Validation ---- */

/* Parses a user's role: admin, staff or viewer, else PT_EINVAL (field role). */
PT_MUSTCHECK enum pt_rc pt_user_role_parse(const char *s, enum pt_role *out, struct pt_err *err);
/* Parses a user's status: active or disabled, else PT_EINVAL (field status). */
PT_MUSTCHECK enum pt_rc pt_user_status_parse(const char *s, enum pt_user_status *out,
                                             struct pt_err *err);
/* PT_EINVAL (field name) unless 1..PT_USER_NAME_BYTES_MAX bytes of text. */
PT_MUSTCHECK enum pt_rc pt_user_name_validate(const char *name, struct pt_err *err);
/* The user's email, name and role (the email already lower-cased). PT_EINVAL naming the field. */
PT_MUSTCHECK enum pt_rc pt_user_validate(const struct pt_user *u, struct pt_err *err);

/*
 * The rules of a new password (field names the JSON field: "password", "new_password"):
 * PT_PASSWORD_BYTES_MIN..PT_PASSWORD_BYTES_MAX bytes, not one character repeated, and not the
 * account's email or phone (login, login2: each nullable; compared without case). PT_EINVAL.
 */
PT_MUSTCHECK enum pt_rc pt_password_validate(const char *field, const char *password,
                                             const char *login, const char *login2,
                                             struct pt_err *err);

/* ---- Sign-in and lock-out ---- */

/* Whether the account is locked at now_ms; when it is, *retry_after_s is the whole seconds left
 * (>= 1, rounded up), for Retry-After. */
bool pt_login_is_locked(const struct pt_login_state *s, int64_t now_ms, int64_t *retry_after_s);
/* A wrong password at now_ms: one more failure; the PT_SIGN_IN_FAILURES_MAX-th in a row locks the
 * account for PT_SIGN_IN_LOCK_MS and starts the count again. Returns true when it locked. */
bool pt_login_failed(struct pt_login_state *s, int64_t now_ms);
/* The right password: no failure counted, no lock. */
void pt_login_succeeded(struct pt_login_state *s);
/* When a session of kind signed in at now_ms ends. */
int64_t pt_session_expires_at(enum pt_session_kind kind, int64_t now_ms);
/* Whether s is a session or reset token's shape: PT_SESSION_TOKEN_BYTES base64url characters. */
bool pt_session_token_is_valid(const char *s, size_t len);

/* ---- Refusals ---- */

/* 401 invalid_credentials: the same answer for an unknown login and a wrong password. */
PT_MUSTCHECK enum pt_rc pt_sign_in_refused(struct pt_err *err);
/* 429 locked, naming the seconds left. */
PT_MUSTCHECK enum pt_rc pt_sign_in_locked(int64_t retry_after_s, struct pt_err *err);
/* 404: no user of that id in the program. */
PT_MUSTCHECK enum pt_rc pt_user_not_found(struct pt_err *err);
/* 409 user_exists (field email): another user of the program has that email. */
PT_MUSTCHECK enum pt_rc pt_user_email_taken(struct pt_err *err);
/* 409 last_admin: the change would leave the program without an active admin user. */
PT_MUSTCHECK enum pt_rc pt_user_last_admin(struct pt_err *err);

#endif
