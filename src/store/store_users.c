/* SPDX-License-Identifier: MIT */
/*
 * Users, credentials, sessions and password resets (store_users.h), on the query cursors of
 * store_int.h. Every query names the program, except the two lookups by a token's hash that
 * find the program in the first place (a session's, a reset's). Strings of the out-structs come
 * from the caller's arena.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

/* ---- Users ---- */

/* The user's columns with its credential's last sign-in and lock (none: 0). */
#define USER_SELECT                                                                                \
    "SELECT u.program_id, u.id, u.email, u.name, u.role, u.status, u.created_at_ms, "              \
    "u.updated_at_ms, coalesce(c.last_sign_in_at_ms, 0), coalesce(c.locked_until_ms, 0) "          \
    "FROM users u LEFT JOIN credentials c ON c.program_id = u.program_id AND c.subject_id = u.id "

static void user_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_user *out = row;
    pt_q_col_copy(q, 0, out->program_id, sizeof(out->program_id));
    pt_q_col_copy(q, 1, out->id, sizeof(out->id));
    out->email = pt_q_col_text(q, 2, arena);
    out->name = pt_q_col_text(q, 3, arena);
    out->role = (enum pt_role)pt_q_col_name(q, 4, pt_role_names, PT_ROLES);
    out->status = (enum pt_user_status)pt_q_col_name(q, 5, pt_user_status_names, PT_USER_STATUSES);
    out->created_at_ms = pt_q_col_int(q, 6);
    out->updated_at_ms = pt_q_col_int(q, 7);
    out->last_sign_in_at_ms = pt_q_col_int(q, 8);
    out->locked_until_ms = pt_q_col_int(q, 9);
}

enum pt_rc pt_store_user_insert(struct pt_store_txn *txn, const struct pt_user *u,
                                struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO users (program_id, id, email, name, role, status, "
        "created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(u->email != NULL && u->name != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, u->program_id);
    pt_q_text(&q, 2, u->id);
    pt_q_text(&q, 3, u->email);
    pt_q_text(&q, 4, u->name);
    pt_q_text(&q, 5, pt_role_names[u->role]);
    pt_q_text(&q, 6, pt_user_status_names[u->status]);
    pt_q_int(&q, 7, u->created_at_ms);
    pt_q_int(&q, 8, u->updated_at_ms);
    rc = pt_q_exec(&q);
    if (rc == PT_ECONFLICT) {
        /* The id is drawn at random: the one unique value a client chooses is the email. */
        pt_err_clear(err);
        q.rc = pt_user_email_taken(err);
    }
    return pt_q_close(&q);
}

/* Reads the one user of an opened and bound cursor, or PT_ENOTFOUND. */
static enum pt_rc user_one(struct pt_q *q, struct pt_arena *arena, struct pt_user *out,
                           struct pt_err *err)
{
    if (pt_q_next(q)) {
        user_from_row(q, arena, out);
    } else if (q->rc == PT_OK) {
        q->rc = pt_user_not_found(err);
    }
    return pt_q_close(q);
}

enum pt_rc pt_store_user_get(struct pt_store_txn *txn, const char *program_id, const char *user_id,
                             struct pt_arena *arena, struct pt_user *out, struct pt_err *err)
{
    static const char sql[] = USER_SELECT "WHERE u.program_id = ?1 AND u.id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, user_id);
    return user_one(&q, arena, out, err);
}

enum pt_rc pt_store_user_find_by_email(struct pt_store_txn *txn, const char *program_id,
                                       const char *email, struct pt_arena *arena,
                                       struct pt_user *out, struct pt_err *err)
{
    static const char sql[] = USER_SELECT "WHERE u.program_id = ?1 AND u.email = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, email);
    return user_one(&q, arena, out, err);
}

enum pt_rc pt_store_user_list(struct pt_store_txn *txn, const char *program_id,
                              const char *cursor_id, unsigned limit, struct pt_arena *arena,
                              struct pt_user **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = USER_SELECT "WHERE u.program_id = ?1 "
                                          "AND (CAST(?2 AS TEXT) IS NULL OR u.id < ?2) "
                                          "ORDER BY u.id DESC LIMIT ?3";
    struct pt_q q;
    pt_assert(limit >= 1 && limit <= PT_PAGE_LIMIT_MAX + 1);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), user_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_user_update(struct pt_store_txn *txn, const struct pt_user *u,
                                struct pt_err *err)
{
    static const char sql[] = "UPDATE users SET name = ?3, role = ?4, status = ?5, "
                              "updated_at_ms = ?6 WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(u->name != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, u->program_id);
    pt_q_text(&q, 2, u->id);
    pt_q_text(&q, 3, u->name);
    pt_q_text(&q, 4, pt_role_names[u->role]);
    pt_q_text(&q, 5, pt_user_status_names[u->status]);
    pt_q_int(&q, 6, u->updated_at_ms);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_user_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_user_count_admins(struct pt_store_txn *txn, const char *program_id,
                                      const char *except_id, int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM users WHERE program_id = ?1 "
                              "AND role = 'admin' AND status = 'active' "
                              "AND (CAST(?2 AS TEXT) IS NULL OR id <> ?2)";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, except_id);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    } else if (q.rc == PT_OK) {
        /* count(*) always returns a row: its absence is a failure of the database. */
        q.rc = pt_err_set(err, PT_ESTORE, NULL, "the database could not be used");
    }
    return pt_q_close(&q);
}

/* ---- Credentials ---- */

enum pt_rc pt_store_credential_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *subject_id, struct pt_credential *out,
                                   struct pt_err *err)
{
    static const char sql[] = "SELECT subject_id, password_hash, failed_count, locked_until_ms, "
                              "last_sign_in_at_ms, updated_at_ms FROM credentials "
                              "WHERE program_id = ?1 AND subject_id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, subject_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out->subject_id, sizeof(out->subject_id));
        pt_q_col_copy(&q, 1, out->password_hash, sizeof(out->password_hash));
        out->login.failed_count = pt_q_col_int(&q, 2);
        out->login.locked_until_ms = pt_q_col_int(&q, 3);
        out->last_sign_in_at_ms = pt_q_col_int(&q, 4);
        out->updated_at_ms = pt_q_col_int(&q, 5);
        pt_assert(out->login.failed_count >= 0);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no password is set");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_credential_put(struct pt_store_txn *txn, const char *program_id,
                                   const struct pt_credential *c, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO credentials (program_id, subject_id, password_hash, failed_count, "
        "locked_until_ms, last_sign_in_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (program_id, subject_id) DO UPDATE SET "
        "password_hash = excluded.password_hash, failed_count = excluded.failed_count, "
        "locked_until_ms = excluded.locked_until_ms, "
        "last_sign_in_at_ms = excluded.last_sign_in_at_ms, updated_at_ms = excluded.updated_at_ms";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(strncmp(c->password_hash, "$argon2id$", 10) == 0);
    pt_assert(c->login.failed_count >= 0 && c->login.failed_count < PT_SIGN_IN_FAILURES_MAX);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, c->subject_id);
    pt_q_text(&q, 3, c->password_hash);
    pt_q_int(&q, 4, c->login.failed_count);
    pt_q_int(&q, 5, c->login.locked_until_ms);
    pt_q_int(&q, 6, c->last_sign_in_at_ms);
    pt_q_int(&q, 7, c->updated_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* ---- Sessions ---- */

enum pt_rc pt_store_session_insert(struct pt_store_txn *txn, const struct pt_session *s,
                                   struct pt_err *err)
{
    static const char sql[] = "INSERT INTO sessions (program_id, id, token_hash, kind, subject_id, "
                              "created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(s->expires_at_ms > s->created_at_ms);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, s->program_id);
    pt_q_text(&q, 2, s->id);
    pt_q_blob(&q, 3, s->token_hash, sizeof(s->token_hash));
    pt_q_text(&q, 4, pt_session_kind_names[s->kind]);
    pt_q_text(&q, 5, s->subject_id);
    pt_q_int(&q, 6, s->created_at_ms);
    pt_q_int(&q, 7, s->expires_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_session_find(struct pt_store_txn *txn, const uint8_t hash[32],
                                 struct pt_session *out, struct pt_err *err)
{
    static const char sql[] = "SELECT program_id, id, token_hash, kind, subject_id, "
                              "created_at_ms, expires_at_ms FROM sessions WHERE token_hash = ?1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_blob(&q, 1, hash, 32);
    if (pt_q_next(&q)) {
        size_t hash_bytes;
        pt_q_col_copy(&q, 0, out->program_id, sizeof(out->program_id));
        pt_q_col_copy(&q, 1, out->id, sizeof(out->id));
        hash_bytes = pt_q_col_blob(&q, 2, out->token_hash, sizeof(out->token_hash));
        pt_assert(hash_bytes == sizeof(out->token_hash));
        out->kind =
            (enum pt_session_kind)pt_q_col_name(&q, 3, pt_session_kind_names, PT_SESSION_KINDS);
        pt_q_col_copy(&q, 4, out->subject_id, sizeof(out->subject_id));
        out->created_at_ms = pt_q_col_int(&q, 5);
        out->expires_at_ms = pt_q_col_int(&q, 6);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such session");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_session_delete(struct pt_store_txn *txn, const char *program_id,
                                   const char *session_id, struct pt_err *err)
{
    static const char sql[] = "DELETE FROM sessions WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, session_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_sessions_end(struct pt_store_txn *txn, const char *program_id,
                                 const char *subject_id, const char *except_id, struct pt_err *err)
{
    static const char sql[] = "DELETE FROM sessions WHERE program_id = ?1 AND subject_id = ?2 "
                              "AND (CAST(?3 AS TEXT) IS NULL OR id <> ?3)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, subject_id);
    pt_q_text(&q, 3, except_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_sessions_trim(struct pt_store_txn *txn, const char *program_id,
                                  const char *subject_id, int64_t now_ms, unsigned keep,
                                  struct pt_err *err)
{
    /* Session ids grow with time (ULIDs): the newest keep are the largest ids. */
    static const char sql[] = "DELETE FROM sessions WHERE program_id = ?1 AND subject_id = ?2 "
                              "AND (expires_at_ms <= ?3 OR id NOT IN (SELECT id FROM sessions "
                              "WHERE program_id = ?1 AND subject_id = ?2 "
                              "ORDER BY id DESC LIMIT ?4))";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(keep >= 1);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, subject_id);
    pt_q_int(&q, 3, now_ms);
    pt_q_int(&q, 4, keep);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* ---- Password resets ---- */

enum pt_rc pt_store_reset_insert(struct pt_store_txn *txn, const struct pt_password_reset *r,
                                 struct pt_err *err)
{
    static const char drop[] = "DELETE FROM password_resets WHERE program_id = ?1 "
                               "AND member_id = ?2";
    static const char sql[] = "INSERT INTO password_resets (program_id, member_id, token_hash, "
                              "created_at_ms, expires_at_ms, used_at_ms) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, NULL)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(r->expires_at_ms > r->created_at_ms);
    (void)pt_q_open(&q, txn, drop, err);
    pt_q_text(&q, 1, r->program_id);
    pt_q_text(&q, 2, r->member_id);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, r->program_id);
    pt_q_text(&q, 2, r->member_id);
    pt_q_blob(&q, 3, r->token_hash, sizeof(r->token_hash));
    pt_q_int(&q, 4, r->created_at_ms);
    pt_q_int(&q, 5, r->expires_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_reset_find(struct pt_store_txn *txn, const uint8_t hash[32],
                               struct pt_password_reset *out, struct pt_err *err)
{
    static const char sql[] = "SELECT program_id, member_id, created_at_ms, expires_at_ms, "
                              "coalesce(used_at_ms, 0) FROM password_resets WHERE token_hash = ?1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_blob(&q, 1, hash, 32);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out->program_id, sizeof(out->program_id));
        pt_q_col_copy(&q, 1, out->member_id, sizeof(out->member_id));
        memcpy(out->token_hash, hash, sizeof(out->token_hash));
        out->created_at_ms = pt_q_col_int(&q, 2);
        out->expires_at_ms = pt_q_col_int(&q, 3);
        out->used_at_ms = pt_q_col_int(&q, 4);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such reset");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_reset_use(struct pt_store_txn *txn, const struct pt_password_reset *r,
                              int64_t now_ms, struct pt_err *err)
{
    static const char sql[] = "UPDATE password_resets SET used_at_ms = ?4 "
                              "WHERE program_id = ?1 AND member_id = ?2 AND token_hash = ?3 "
                              "AND used_at_ms IS NULL AND expires_at_ms > ?4";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(now_ms > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, r->program_id);
    pt_q_text(&q, 2, r->member_id);
    pt_q_blob(&q, 3, r->token_hash, sizeof(r->token_hash));
    pt_q_int(&q, 4, now_ms);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such reset");
    }
    return pt_q_close(&q);
}
