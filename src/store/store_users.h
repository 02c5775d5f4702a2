/* SPDX-License-Identifier: MIT */
/*
 * The store's functions of signing in (store_users.c; docs/security.md, "Sessions"): a
 * program's users, the credentials (password hashes and lock-out standing) of users and members,
 * sessions and password resets. Tokens are only ever stored and looked up by their hash. Part
 * of the door: include store/store.h, which includes this header.
 */
#ifndef PT_STORE_STORE_USERS_H
#define PT_STORE_STORE_USERS_H

#include "core/user.h"
#include "store/store.h"

/* ---- Users ---- */

/* Inserts u (with no credential). PT_ECONFLICT user_exists (field email) when the email is
 * taken in the program. */
PT_MUSTCHECK enum pt_rc pt_store_user_insert(struct pt_store_txn *txn, const struct pt_user *u,
                                             struct pt_err *err);
/* The user with its credential's last sign-in and lock (as stored: the caller compares the lock
 * with its now). PT_ENOTFOUND. Strings in arena. */
PT_MUSTCHECK enum pt_rc pt_store_user_get(struct pt_store_txn *txn, const char *program_id,
                                          const char *user_id, struct pt_arena *arena,
                                          struct pt_user *out, struct pt_err *err);
/* The same by email (lower-cased). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_user_find_by_email(struct pt_store_txn *txn,
                                                    const char *program_id, const char *email,
                                                    struct pt_arena *arena, struct pt_user *out,
                                                    struct pt_err *err);
/* The program's users, newest first, ids below cursor_id (NULL: from the newest), at most
 * limit. OUT: an arena array of *count. */
PT_MUSTCHECK enum pt_rc pt_store_user_list(struct pt_store_txn *txn, const char *program_id,
                                           const char *cursor_id, unsigned limit,
                                           struct pt_arena *arena, struct pt_user **out,
                                           unsigned *count, struct pt_err *err);
/* Writes u's name, role, status and updated_at. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_user_update(struct pt_store_txn *txn, const struct pt_user *u,
                                             struct pt_err *err);
/* OUT: *count, the program's active admin users other than except_id (nullable). */
PT_MUSTCHECK enum pt_rc pt_store_user_count_admins(struct pt_store_txn *txn, const char *program_id,
                                                   const char *except_id, int64_t *count,
                                                   struct pt_err *err);

/* ---- Credentials (a user's or a member's password) ---- */

/* PT_ENOTFOUND when the subject has no password. */
PT_MUSTCHECK enum pt_rc pt_store_credential_get(struct pt_store_txn *txn, const char *program_id,
                                                const char *subject_id, struct pt_credential *out,
                                                struct pt_err *err);
/* Writes c whole (inserted, or replacing the subject's). */
PT_MUSTCHECK enum pt_rc pt_store_credential_put(struct pt_store_txn *txn, const char *program_id,
                                                const struct pt_credential *c, struct pt_err *err);

/* ---- Sessions ---- */

PT_MUSTCHECK enum pt_rc pt_store_session_insert(struct pt_store_txn *txn,
                                                const struct pt_session *s, struct pt_err *err);
/* The session of a token's hash, expired or not. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_session_find(struct pt_store_txn *txn, const uint8_t hash[32],
                                              struct pt_session *out, struct pt_err *err);
/* Ends one session (nothing when it is gone already). */
PT_MUSTCHECK enum pt_rc pt_store_session_delete(struct pt_store_txn *txn, const char *program_id,
                                                const char *session_id, struct pt_err *err);
/* Ends every session of the subject but except_id (nullable: all of them). */
PT_MUSTCHECK enum pt_rc pt_store_sessions_end(struct pt_store_txn *txn, const char *program_id,
                                              const char *subject_id, const char *except_id,
                                              struct pt_err *err);
/* Ends the subject's sessions expired at now_ms, and those past the newest keep. */
PT_MUSTCHECK enum pt_rc pt_store_sessions_trim(struct pt_store_txn *txn, const char *program_id,
                                               const char *subject_id, int64_t now_ms,
                                               unsigned keep, struct pt_err *err);

/* ---- Password resets ---- */

/* Records r, ending the member's earlier reset tokens (the newest request is the one that
 * works). */
PT_MUSTCHECK enum pt_rc pt_store_reset_insert(struct pt_store_txn *txn,
                                              const struct pt_password_reset *r,
                                              struct pt_err *err);
/* The reset of a token's hash, used or not, expired or not. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_reset_find(struct pt_store_txn *txn, const uint8_t hash[32],
                                            struct pt_password_reset *out, struct pt_err *err);
/* Marks the reset used at now_ms, unless it was used already or expired by then: PT_ENOTFOUND
 * then (one statement, so that of two confirmations at once exactly one succeeds). */
PT_MUSTCHECK enum pt_rc pt_store_reset_use(struct pt_store_txn *txn,
                                           const struct pt_password_reset *r, int64_t now_ms,
                                           struct pt_err *err);

#endif
