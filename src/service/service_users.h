/* SPDX-License-Identifier: MIT */
/*
 * Use cases of signing in (docs/security.md, "Sessions"): a program's users (users.c), sign-in,
 * sessions, sign-out and password changes for users and members (sessions.c), and the member
 * portal's sign-up and password resets (portal.c). Part of service.h.
 *
 * Passwords are hashed on the caller's thread (argon2id, ~0.1 s, 64 MiB), never in the writer,
 * at most one per core at once (PT_EBUSY beyond: 503). A password, a token or an email is never
 * logged. Lock-out and expiry read the program's clock (its test clock under --test-clock).
 */
#ifndef PT_SERVICE_SERVICE_USERS_H
#define PT_SERVICE_SERVICE_USERS_H

#include "service/service.h"

/* ---- Users ---- */

struct pt_user_new {
    char *email;          /* Lower-cased in place (arena); validated here. */
    const char *name;     /* borrowed */
    enum pt_role role;    /* admin, staff or viewer */
    const char *password; /* borrowed; hashed, never kept */
};

/* A merge patch of a user: a NULL text or a false has_ leaves the field as it is. */
struct pt_user_patch {
    const char *name;
    bool has_role;
    enum pt_role role;
    bool has_status;
    enum pt_user_status status;
    const char *password; /* A new password: hashed, and the user's sessions end. */
};

/* Creates a user (admin callers; the route says so). PT_EINVAL naming the field (email, name,
 * role, password); PT_ECONFLICT user_exists / idempotency_conflict; PT_EBUSY when too many
 * hashes run. idem may be NULL; on a replay idem->replayed is set and nothing written. OUT:
 * *out. */
PT_MUSTCHECK enum pt_rc pt_service_user_create(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               struct pt_user_new *req, struct pt_idem *idem,
                                               struct pt_arena *arena, struct pt_user *out,
                                               struct pt_err *err);
/* PT_ENOTFOUND when no such user in the program. */
PT_MUSTCHECK enum pt_rc pt_service_user_get(struct pt_service *svc, const struct pt_principal *who,
                                            const char *user_id, struct pt_arena *arena,
                                            struct pt_user *out, struct pt_err *err);
/* Users newest first below cursor_id (NULL: from the newest); limit 1..PT_PAGE_LIMIT_MAX+1. */
PT_MUSTCHECK enum pt_rc pt_service_user_list(struct pt_service *svc, const struct pt_principal *who,
                                             const char *cursor_id, unsigned limit,
                                             struct pt_arena *arena, struct pt_user **out,
                                             unsigned *count, struct pt_err *err);
/* Applies patch to the user. Disabling it, changing its role or its password ends its sessions
 * at once (in this process; others within PT_SESSION_CACHE_TTL_MS). PT_ENOTFOUND; PT_EINVAL;
 * PT_ECONFLICT last_admin when it would leave no active admin user. OUT: *out, as written. */
PT_MUSTCHECK enum pt_rc pt_service_user_update(struct pt_service *svc,
                                               const struct pt_principal *who, const char *user_id,
                                               const struct pt_user_patch *patch,
                                               struct pt_arena *arena, struct pt_user *out,
                                               struct pt_err *err);

/* ---- Sessions ---- */

/* A session started, or the current one. */
struct pt_signed_in {
    struct pt_session session;
    /* The cookie's token: shown once, at sign-in ("" for the current session's answer). */
    char token[PT_SESSION_TOKEN_BYTES + 1];
    char csrf_token[PT_SESSION_TOKEN_BYTES + 1]; /* The X-CSRF-Token it asks for. */
    struct pt_user user;                         /* kind user */
    struct pt_member member;                     /* kind member */
};

struct pt_sign_in {
    const char *program_id; /* NULL: the default program (the oldest). */
    char *login;            /* A user's email, or a member's email or phone; normalized in place. */
    const char *password;
    enum pt_session_kind kind; /* Which accounts login names. */
};

/*
 * Signs in: the right password of an active account that is not locked starts a session.
 * PT_EAUTH invalid_credentials for an unknown program, login or a wrong password (the same
 * answer, after the same work); a wrong password counts towards the lock. PT_ERATE locked while
 * locked (even with the right password), *retry_after_s the seconds left. PT_EFORBIDDEN
 * user_disabled / member_inactive for a disabled user or closed member that gave the right
 * password. PT_EBUSY when too many hashes run. OUT: *out.
 */
PT_MUSTCHECK enum pt_rc pt_service_sign_in(struct pt_service *svc, struct pt_sign_in *req,
                                           struct pt_arena *arena, struct pt_signed_in *out,
                                           int64_t *retry_after_s, struct pt_err *err);
/* Resolves a session cookie's token (len bytes) to its principal: its user's role now, or the
 * member. PT_EAUTH when malformed, unknown, ended or expired, or its user is disabled. Cached
 * for PT_SESSION_CACHE_TTL_MS. */
PT_MUSTCHECK enum pt_rc pt_service_session_authenticate(struct pt_service *svc, const char *token,
                                                        size_t len, struct pt_arena *arena,
                                                        struct pt_principal *out,
                                                        struct pt_err *err);
/* The CSRF token of a session's token (len bytes): derived, never stored. OUT: out
 * (PT_SESSION_TOKEN_BYTES + 1). */
void pt_service_session_csrf(const char *token, size_t len, char *out);
/* The session of who (a session principal) with its user or member. PT_ENOTFOUND when the user
 * or member is gone. */
PT_MUSTCHECK enum pt_rc pt_service_session_current(struct pt_service *svc,
                                                   const struct pt_principal *who,
                                                   struct pt_arena *arena, struct pt_signed_in *out,
                                                   struct pt_err *err);
/* Ends who's session at once. */
PT_MUSTCHECK enum pt_rc pt_service_sign_out(struct pt_service *svc, const struct pt_principal *who,
                                            struct pt_err *err);
/* Changes who's password (a session's user or member) and ends its other sessions. A wrong
 * current password: PT_EFORBIDDEN invalid_credentials (field current_password), counted
 * towards the lock; PT_ERATE locked (*retry_after_s); PT_EINVAL (field new_password). */
PT_MUSTCHECK enum pt_rc pt_service_password_change(struct pt_service *svc,
                                                   const struct pt_principal *who,
                                                   const char *current, const char *next,
                                                   struct pt_arena *arena, int64_t *retry_after_s,
                                                   struct pt_err *err);

/* Sets how many password hashes may run at once (serve --password-hashes; the default is the
 * cores, pt_svc_hashes_max), 1..PT_PASSWORD_HASHES_MAX. Call before serving. */
void pt_service_set_password_hashes(struct pt_service *svc, unsigned n);

/* ---- The member portal ---- */

struct pt_sign_up {
    const char *program_id;   /* NULL: the default program. */
    struct pt_member *member; /* Its client-settable fields (email or phone given); as for
                                 pt_service_member_create. */
    const char *password;
    const char *invitation_code; /* nullable; a referral code */
};

/*
 * Enrolls a member with a password and signs it in, as the program's enrollment allows
 * (core/program.h, pt_enrollment_check): PT_EFORBIDDEN enrollment_closed; PT_EINVAL
 * invitation_code; the referral's refusals of the code. PT_ECONFLICT conflict when the email
 * or phone belongs to a member already (who should reset the password instead). OUT: *out.
 */
PT_MUSTCHECK enum pt_rc pt_service_sign_up(struct pt_service *svc, struct pt_sign_up *req,
                                           struct pt_arena *arena, struct pt_signed_in *out,
                                           struct pt_err *err);

/* A reset token on its way to a member (the delivery hook's argument; all borrowed for the
 * call). */
struct pt_reset_delivery {
    const char *program_id;
    const char *member_id;
    const char *token; /* PT_SESSION_TOKEN_BYTES characters: the secret. */
    int64_t expires_at_ms;
};

/* Where reset tokens go (serve --reset-delivery): called after the token is committed, on the
 * request's thread. */
typedef void (*pt_reset_deliver_fn)(void *ctx, const struct pt_reset_delivery *d);
/* Installs the delivery hook (NULL: tokens go nowhere). Call before serving. */
void pt_service_set_reset_delivery(struct pt_service *svc, pt_reset_deliver_fn fn, void *ctx);
/* A delivery hook for development (--reset-delivery log): writes the portal's link with the
 * token to the log at warn level, marked as dev-only. ctx unused. */
void pt_service_reset_deliver_log(void *ctx, const struct pt_reset_delivery *d);

/* Starts a reset for the member whose email or phone is login (normalized in place) in the
 * program (NULL: the default): a token good for PT_RESET_TOKEN_MS, once, handed to the delivery
 * hook. PT_OK whether or not such a member exists (no enumeration); an error only when the
 * store fails. */
PT_MUSTCHECK enum pt_rc pt_service_reset_request(struct pt_service *svc, const char *program_id,
                                                 char *login, struct pt_arena *arena,
                                                 struct pt_err *err);
/* Sets the member's password with a reset token (len bytes) and ends its sessions. PT_EINVAL
 * (field token) when unknown, used or expired; PT_EINVAL (field password). */
PT_MUSTCHECK enum pt_rc pt_service_reset_confirm(struct pt_service *svc, const char *token,
                                                 size_t len, const char *password,
                                                 struct pt_arena *arena, struct pt_err *err);

/* The default program: the oldest (the one `patron init` made). PT_ENOTFOUND when there is
 * none. OUT: out (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_service_program_default(struct pt_service *svc, char *out,
                                                   struct pt_err *err);

#endif
