/* SPDX-License-Identifier: MIT */
/*
 * Members and the values unique in a program (member_keys). Written against the query cursors of
 * store_int.h; every query is scoped by program_id. Rows of member_keys, not application checks,
 * keep an email, phone, external id, card number or referral code to one member per program; a
 * violation is turned into "member_exists" naming the taken field. Strings of the out-structs come
 * from the caller's arena.
 */
#include "store/store_int.h"

#include "base/assert.h"
#include "base/buf.h"

#include <stdio.h>
#include <string.h>

/* ---- Members ---- */

#define MEMBER_COLUMNS                                                                             \
    "id, external_id, email, phone, first_name, last_name, birth_date, gender, locale, city, "     \
    "country, attributes, consent_email, consent_sms, consent_push, card_number, referral_code, "  \
    "status, enrolled_at_ms, updated_at_ms, version"
#define MEMBER_COLUMN_COUNT 21

static void member_from_row(struct pt_q *q, const char *program_id, struct pt_arena *arena,
                            struct pt_member *m)
{
    struct pt_err ignored;
    char status[16];
    memset(m, 0, sizeof(*m));
    (void)snprintf(m->program_id, sizeof(m->program_id), "%s", program_id);
    pt_q_col_copy(q, 0, m->id, sizeof(m->id));
    m->external_id = pt_q_col_text(q, 1, arena);
    m->email = pt_q_col_text(q, 2, arena);
    m->phone = pt_q_col_text(q, 3, arena);
    m->first_name = pt_q_col_text(q, 4, arena);
    m->last_name = pt_q_col_text(q, 5, arena);
    m->birth_date = pt_q_col_text(q, 6, arena);
    m->gender = pt_q_col_text(q, 7, arena);
    m->locale = pt_q_col_text(q, 8, arena);
    m->city = pt_q_col_text(q, 9, arena);
    m->country = pt_q_col_text(q, 10, arena);
    m->attributes_json = pt_q_col_text(q, 11, arena);
    m->consent_email = pt_q_col_int(q, 12) != 0;
    m->consent_sms = pt_q_col_int(q, 13) != 0;
    m->consent_push = pt_q_col_int(q, 14) != 0;
    pt_q_col_copy(q, 15, m->card_number, sizeof(m->card_number));
    pt_q_col_copy(q, 16, m->referral_code, sizeof(m->referral_code));
    pt_q_col_copy(q, 17, status, sizeof(status));
    /* The CHECK constraint guarantees one of the four names; were it broken, a release build
     * reads the member as closed, which writes nothing until reopened. "erased" is not a status
     * a client may set, so pt_member_status_parse does not know it. */
    if (strcmp(status, "erased") == 0) {
        m->status = PT_MEMBER_ERASED;
    } else if (PT_NEVER(pt_member_status_parse(status, &m->status, &ignored) != PT_OK)) {
        m->status = PT_MEMBER_CLOSED;
    }
    m->enrolled_at_ms = pt_q_col_int(q, 18);
    m->updated_at_ms = pt_q_col_int(q, 19);
    m->version = pt_q_col_int(q, 20);
    if (m->attributes_json == NULL) {
        m->attributes_json = "{}";
    }
}

/* Binds the client-settable fields to parameters 3..17 (same order in insert and update). */
static void member_bind_fields(struct pt_q *q, const struct pt_member *m)
{
    pt_q_text(q, 3, m->external_id);
    pt_q_text(q, 4, m->email);
    pt_q_text(q, 5, m->phone);
    pt_q_text(q, 6, m->first_name);
    pt_q_text(q, 7, m->last_name);
    pt_q_text(q, 8, m->birth_date);
    pt_q_text(q, 9, m->gender);
    pt_q_text(q, 10, m->locale);
    pt_q_text(q, 11, m->city);
    pt_q_text(q, 12, m->country);
    pt_q_text(q, 13, m->attributes_json);
    pt_q_int(q, 14, m->consent_email);
    pt_q_int(q, 15, m->consent_sms);
    pt_q_int(q, 16, m->consent_push);
    pt_q_text(q, 17, pt_member_status_name(m->status));
}

/* ---- Values unique in a program (member_keys) ---- */

enum pt_rc pt_store_member_key_claim(struct pt_store_txn *txn, const char *program_id,
                                     const char *kind, const char *value, const char *member_id,
                                     struct pt_err *err)
{
    /* DO NOTHING rather than a failing insert: a taken value is an answer, not an error that
     * would abort a PostgreSQL transaction. */
    static const char sql[] = "INSERT INTO member_keys (program_id, kind, value, member_id) "
                              "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
    struct pt_q q;
    pt_assert(value != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, kind);
    pt_q_text(&q, 3, value);
    pt_q_text(&q, 4, member_id);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_member_key_taken(kind, err);
    }
    return pt_q_close(&q);
}

static enum pt_rc member_key_release(struct pt_store_txn *txn, const char *program_id,
                                     const char *kind, const char *value, const char *member_id,
                                     struct pt_err *err)
{
    static const char sql[] = "DELETE FROM member_keys WHERE program_id = ?1 AND kind = ?2 "
                              "AND value = ?3 AND member_id = ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, kind);
    pt_q_text(&q, 3, value);
    pt_q_text(&q, 4, member_id);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* The member's values that must be unique in the program, by kind (the member_exists field). */
#define MEMBER_KEYS 5
static void member_keys(const struct pt_member *m, const char *values[MEMBER_KEYS])
{
    values[0] = m->email;
    values[1] = m->phone;
    values[2] = m->external_id;
    values[3] = m->card_number[0] ? m->card_number : NULL;
    values[4] = m->referral_code[0] ? m->referral_code : NULL;
}
static const char *const member_key_kinds[MEMBER_KEYS] = {"email", "phone", "external_id",
                                                          "card_number", "referral_code"};

enum pt_rc pt_store_member_insert(struct pt_store_txn *txn, const struct pt_member *m,
                                  struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO members (program_id, id, external_id, email, phone, first_name, last_name, "
        "birth_date, gender, locale, city, country, attributes, consent_email, consent_sms, "
        "consent_push, status, card_number, referral_code, enrolled_at_ms, updated_at_ms, version) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19, ?20, ?21, ?22)";
    const char *values[MEMBER_KEYS];
    struct pt_q q;
    unsigned claimed = 0;
    enum pt_rc rc = PT_OK;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(m->version == 1);
    member_keys(m, values);
    for (claimed = 0; rc == PT_OK && claimed < MEMBER_KEYS; claimed++) {
        if (values[claimed] != NULL) {
            rc = pt_store_member_key_claim(txn, m->program_id, member_key_kinds[claimed],
                                           values[claimed], m->id, err);
        }
    }
    if (rc == PT_OK) {
        (void)pt_q_open(&q, txn, sql, err);
        pt_q_text(&q, 1, m->program_id);
        pt_q_text(&q, 2, m->id);
        member_bind_fields(&q, m);
        pt_q_text(&q, 18, m->card_number);
        pt_q_text(&q, 19, m->referral_code);
        pt_q_int(&q, 20, m->enrolled_at_ms);
        pt_q_int(&q, 21, m->updated_at_ms);
        pt_q_int(&q, 22, m->version);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
        if (rc == PT_ECONFLICT) {
            rc = pt_member_id_taken(err);
        }
    } else {
        claimed--; /* The failed claim holds nothing. */
    }
    if (rc == PT_ECONFLICT) {
        /* The caller may draw new codes and insert again in this transaction: give back what
         * this attempt claimed. */
        struct pt_err ignored;
        char field[sizeof(err->field)];
        unsigned i;
        (void)snprintf(field, sizeof(field), "%s", err->field);
        for (i = 0; i < claimed && i < MEMBER_KEYS; i++) {
            if (values[i] != NULL && member_key_release(txn, m->program_id, member_key_kinds[i],
                                                        values[i], m->id, &ignored) != PT_OK) {
                return pt_err_set(err, ignored.rc, NULL, "%s", ignored.msg);
            }
        }
        return pt_member_exists(field, err);
    }
    return rc;
}

enum pt_rc pt_store_member_lock(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, struct pt_err *err)
{
    static const char sql[] = "SELECT 1 FROM members WHERE program_id = ?1 AND id = ?2 FOR UPDATE";
    struct pt_q q;
    if (!pt_store_txn_locks_rows(txn)) {
        return PT_OK;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    (void)pt_q_next(&q);
    return pt_q_close(&q);
}

/* The member (sql, or inside a write sql_lock), and when versions is given, the program's
 * settings_version and rules_version from the columns after the member's. */
static enum pt_rc member_read(struct pt_store_txn *txn, const char *sql, const char *sql_lock,
                              const char *program_id, const char *member_id, struct pt_arena *arena,
                              struct pt_member *out, int64_t *versions, struct pt_err *err)
{
    struct pt_q q;
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    if (pt_q_next(&q)) {
        member_from_row(&q, program_id, arena, out);
        if (versions != NULL) {
            versions[0] = pt_q_col_int(&q, MEMBER_COLUMN_COUNT);
            versions[1] = pt_q_col_int(&q, MEMBER_COLUMN_COUNT + 1);
        }
    } else if (q.rc == PT_OK) {
        q.rc = pt_member_not_found(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_get(struct pt_store_txn *txn, const char *program_id,
                               const char *member_id, struct pt_arena *arena, struct pt_member *out,
                               struct pt_err *err)
{
    static const char sql[] =
        "SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1 AND id = ?2";
    /* Inside a write, the member's row is locked until the batch commits: every write that
     * changes a member's points reads the member first, so writes of one member are serialized
     * across every process sharing the database (PostgreSQL; SQLite has one writer anyway). */
    static const char sql_lock[] =
        "SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1 AND id = ?2 FOR UPDATE";
    return member_read(txn, sql, sql_lock, program_id, member_id, arena, out, NULL, err);
}

enum pt_rc pt_store_member_get_versions(struct pt_store_txn *txn, const char *program_id,
                                        const char *member_id, struct pt_arena *arena,
                                        struct pt_member *out, int64_t versions[2],
                                        struct pt_err *err)
{
#define MEMBER_VERSIONS_SELECT                                                                     \
    "SELECT " MEMBER_COLUMNS ", (SELECT settings_version FROM programs WHERE id = ?1), "           \
    "(SELECT rules_version FROM programs WHERE id = ?1) FROM members "                             \
    "WHERE program_id = ?1 AND id = ?2"
    static const char sql[] = MEMBER_VERSIONS_SELECT;
    static const char sql_lock[] = MEMBER_VERSIONS_SELECT " FOR UPDATE";
#undef MEMBER_VERSIONS_SELECT
    return member_read(txn, sql, sql_lock, program_id, member_id, arena, out, versions, err);
}

enum pt_rc pt_store_member_update(struct pt_store_txn *txn, const struct pt_member *old,
                                  const struct pt_member *m, int64_t expected_version,
                                  struct pt_err *err)
{
    static const char sql[] =
        "UPDATE members SET external_id = ?3, email = ?4, phone = ?5, first_name = ?6, "
        "last_name = ?7, birth_date = ?8, gender = ?9, locale = ?10, city = ?11, country = ?12, "
        "attributes = ?13, consent_email = ?14, consent_sms = ?15, consent_push = ?16, "
        "status = ?17, updated_at_ms = ?18, version = ?19 + 1 "
        "WHERE program_id = ?1 AND id = ?2 AND version = ?19";
    const char *before[MEMBER_KEYS];
    const char *after[MEMBER_KEYS];
    struct pt_q q;
    unsigned i;
    enum pt_rc rc = PT_OK;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(expected_version >= 1);
    pt_assert(strcmp(old->id, m->id) == 0);
    member_keys(old, before);
    member_keys(m, after);
    /* Each changed unique value: the old one is given back, the new one claimed. A failure
     * rolls back with the caller's command. */
    for (i = 0; rc == PT_OK && i < MEMBER_KEYS; i++) {
        bool same = (before[i] == NULL && after[i] == NULL) ||
                    (before[i] != NULL && after[i] != NULL && strcmp(before[i], after[i]) == 0);
        if (same) {
            continue;
        }
        if (before[i] != NULL) {
            rc = member_key_release(txn, m->program_id, member_key_kinds[i], before[i], m->id, err);
        }
        if (rc == PT_OK && after[i] != NULL) {
            rc = pt_store_member_key_claim(txn, m->program_id, member_key_kinds[i], after[i], m->id,
                                           err);
            if (rc == PT_ECONFLICT) {
                return pt_member_exists(member_key_kinds[i], err);
            }
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, m->program_id);
    pt_q_text(&q, 2, m->id);
    member_bind_fields(&q, m);
    pt_q_int(&q, 18, m->updated_at_ms);
    pt_q_int(&q, 19, expected_version);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_member_changed(err);
    }
    return pt_q_close(&q);
}

/* Escapes LIKE wildcards of a prefix and appends '%'; returns an arena string or NULL. */
static char *like_prefix(struct pt_arena *arena, const char *q)
{
    size_t n = strlen(q);
    char *out = pt_arena_alloc(arena, 2 * n + 2);
    size_t o = 0;
    size_t i;
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\') {
            out[o++] = '\\';
        }
        out[o++] = q[i];
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}

enum pt_rc pt_store_member_list(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_member_filter *filter, struct pt_arena *arena,
                                struct pt_member **out, unsigned *count, struct pt_err *err)
{
    /* The query is assembled from these static fragments only; values are always bound. */
    struct pt_buf sql;
    struct pt_q q;
    char *like = NULL;
    enum pt_rc rc;
    pt_assert(filter->limit >= 1 && filter->limit <= PT_PAGE_LIMIT_MAX + 1);
    *count = 0;
    *out = pt_arena_alloc(arena, filter->limit * sizeof(**out));
    if (*out == NULL || (filter->q && (like = like_prefix(arena, filter->q)) == NULL)) {
        return pt_arena_err(arena, err);
    }
    pt_buf_init(&sql, 4096);
    (void)pt_buf_append(&sql, "SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1",
                        strlen("SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1"));
#define APPEND(s) (void)pt_buf_append(&sql, s, sizeof(s) - 1)
    if (filter->email) {
        APPEND(" AND email = ?2");
    }
    if (filter->phone) {
        APPEND(" AND phone = ?3");
    }
    if (filter->external_id) {
        APPEND(" AND external_id = ?4");
    }
    if (filter->card_number) {
        APPEND(" AND card_number = ?5");
    }
    if (like) {
        APPEND(" AND (first_name LIKE ?6 ESCAPE '\\' OR last_name LIKE ?6 ESCAPE '\\'"
               " OR email LIKE ?6 ESCAPE '\\')");
    }
    if (filter->cursor_id) {
        APPEND(" AND id < ?7");
    }
    APPEND(" ORDER BY id DESC LIMIT ?8");
#undef APPEND
    if (sql.failed) {
        pt_buf_fini(&sql);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open_dynamic(&q, txn, sql.ptr, err);
    /* Unused parameter numbers are simply not referenced by the text; binding them is harmless. */
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, filter->email);
    pt_q_text(&q, 3, filter->phone);
    pt_q_text(&q, 4, filter->external_id);
    pt_q_text(&q, 5, filter->card_number);
    pt_q_text(&q, 6, like);
    pt_q_text(&q, 7, filter->cursor_id);
    pt_q_int(&q, 8, filter->limit);
    while (pt_q_next(&q)) {
        pt_assert(*count < filter->limit);
        member_from_row(&q, program_id, arena, &(*out)[*count]);
        (*count)++;
    }
    rc = pt_q_close(&q);
    pt_buf_fini(&sql);
    return rc;
}
