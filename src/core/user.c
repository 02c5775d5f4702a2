/* SPDX-License-Identifier: MIT */
/* Users, passwords and sessions (user.h): the rules of the fields and of the lock-out. */
#include "core/user.h"

#include "base/assert.h"
#include "base/names.h"
#include "core/member.h"

#include <string.h>
#include <strings.h>

const char *const pt_user_status_names[PT_USER_STATUSES] = {"active", "disabled"};
const char *const pt_session_kind_names[PT_SESSION_KINDS] = {"user", "member"};

/* ---- Validation ---- */

enum pt_rc pt_user_role_parse(const char *s, enum pt_role *out, struct pt_err *err)
{
    int i = pt_name_index(pt_role_names, PT_ROLES, s);
    if (i != PT_ROLE_ADMIN && i != PT_ROLE_STAFF && i != PT_ROLE_VIEWER) {
        return pt_err_set(err, PT_EINVAL, "role", "role must be admin, staff or viewer");
    }
    *out = (enum pt_role)i;
    return PT_OK;
}

enum pt_rc pt_user_status_parse(const char *s, enum pt_user_status *out, struct pt_err *err)
{
    int i = pt_name_index(pt_user_status_names, PT_USER_STATUSES, s);
    if (i < 0) {
        return pt_err_set(err, PT_EINVAL, "status", "status must be active or disabled");
    }
    *out = (enum pt_user_status)i;
    return PT_OK;
}

enum pt_rc pt_user_name_validate(const char *name, struct pt_err *err)
{
    return pt_validate_text("name", name, PT_USER_NAME_BYTES_MAX, err);
}

enum pt_rc pt_user_validate(const struct pt_user *u, struct pt_err *err)
{
    enum pt_rc rc;
    enum pt_role role;
    pt_assert(u->email != NULL);
    pt_assert(u->name != NULL);
    rc = pt_validate_email(u->email, err);
    if (rc == PT_OK) {
        rc = pt_user_name_validate(u->name, err);
    }
    if (rc == PT_OK && (unsigned)u->role < PT_ROLES) {
        rc = pt_user_role_parse(pt_role_names[u->role], &role, err);
    }
    return rc;
}

enum pt_rc pt_password_validate(const char *field, const char *password, const char *login,
                                const char *login2, struct pt_err *err)
{
    size_t len = strlen(password);
    size_t i;
    bool one_character = true;
    pt_assert(field != NULL);
    if (len < PT_PASSWORD_BYTES_MIN || len > PT_PASSWORD_BYTES_MAX) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be %d to %d bytes", field,
                          PT_PASSWORD_BYTES_MIN, PT_PASSWORD_BYTES_MAX);
    }
    for (i = 1; i < len; i++) {
        one_character = one_character && password[i] == password[0];
    }
    if (one_character) {
        return pt_err_set(err, PT_EINVAL, field, "%s must not be one character repeated", field);
    }
    if ((login != NULL && strcasecmp(password, login) == 0) ||
        (login2 != NULL && strcasecmp(password, login2) == 0)) {
        return pt_err_set(err, PT_EINVAL, field, "%s must not be the email or phone number", field);
    }
    return PT_OK;
}

/* ---- Sign-in and lock-out ---- */

bool pt_login_is_locked(const struct pt_login_state *s, int64_t now_ms, int64_t *retry_after_s)
{
    int64_t left_ms;
    pt_assert(s->failed_count >= 0);
    pt_assert(s->locked_until_ms >= 0);
    if (s->locked_until_ms <= now_ms) {
        *retry_after_s = 0;
        return false;
    }
    left_ms = s->locked_until_ms - now_ms;
    *retry_after_s = left_ms / 1000 + (left_ms % 1000 != 0 ? 1 : 0);
    pt_assert(*retry_after_s >= 1);
    return true;
}

bool pt_login_failed(struct pt_login_state *s, int64_t now_ms)
{
    pt_assert(s->failed_count >= 0 && s->failed_count < PT_SIGN_IN_FAILURES_MAX);
    pt_assert(now_ms >= 0);
    s->failed_count++;
    if (s->failed_count < PT_SIGN_IN_FAILURES_MAX) {
        return false;
    }
    s->failed_count = 0;
    s->locked_until_ms = now_ms + PT_SIGN_IN_LOCK_MS;
    return true;
}

void pt_login_succeeded(struct pt_login_state *s)
{
    s->failed_count = 0;
    s->locked_until_ms = 0;
}

int64_t pt_session_expires_at(enum pt_session_kind kind, int64_t now_ms)
{
    pt_assert(kind == PT_SESSION_USER || kind == PT_SESSION_MEMBER);
    pt_assert(now_ms >= 0 && now_ms <= PT_TIME_INPUT_MAX_MS);
    return now_ms + (kind == PT_SESSION_USER ? PT_USER_SESSION_MS : PT_MEMBER_SESSION_MS);
}

bool pt_session_token_is_valid(const char *s, size_t len)
{
    size_t i;
    if (s == NULL || len != PT_SESSION_TOKEN_BYTES) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

/* ---- Refusals ---- */

enum pt_rc pt_sign_in_refused(struct pt_err *err)
{
    (void)pt_err_set(err, PT_EAUTH, NULL, "the email or password is wrong");
    return pt_err_code(err, "invalid_credentials");
}

enum pt_rc pt_sign_in_locked(int64_t retry_after_s, struct pt_err *err)
{
    (void)pt_err_set(err, PT_ERATE, NULL,
                     "too many failed sign-ins: this account is locked for %lld more seconds",
                     (long long)retry_after_s);
    return pt_err_code(err, "locked");
}

enum pt_rc pt_user_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such user");
}

enum pt_rc pt_user_email_taken(struct pt_err *err)
{
    (void)pt_err_set(err, PT_ECONFLICT, "email", "another user of this program has this email");
    return pt_err_code(err, "user_exists");
}

enum pt_rc pt_user_last_admin(struct pt_err *err)
{
    (void)pt_err_set(err, PT_ECONFLICT, NULL,
                     "this is the program's last active admin user; make another admin first");
    return pt_err_code(err, "last_admin");
}
