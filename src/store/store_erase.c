/* SPDX-License-Identifier: MIT */
/*
 * A member's erasure (POST /v1/members/{id}/erase; docs/crm.md, "Privacy: export and erase"):
 * the statements that remove or overwrite the member's personal data in the caller's write
 * transaction. What is kept (purchases, ledger, wallet, tiers, stamps, referrals, coupons) holds
 * only ids and amounts. Every statement is scoped by program and reads by an index: the member's
 * primary key, member_keys by value, the member's rows by (program_id, member_id), events by
 * events_member; the idempotency records are the one scan (of the program's records of the last
 * PT_IDEMPOTENCY_KEEP_S seconds).
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* Runs sql with ?1 program_id, ?2 member_id and, when given, ?3 and ?4 as text. */
static enum pt_rc erase_exec(struct pt_store_txn *txn, const char *sql, const char *program_id,
                             const char *member_id, const char *p3, const char *p4,
                             struct pt_err *err)
{
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    if (p3 != NULL) {
        pt_q_text(&q, 3, p3);
    }
    if (p4 != NULL) {
        pt_q_text(&q, 4, p4);
    }
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* The member's values unique in the program, given back (each by its key: member_keys has no
 * index by member). A new member may take them at once. */
static enum pt_rc erase_keys(struct pt_store_txn *txn, const struct pt_member *old,
                             struct pt_err *err)
{
    static const char sql[] = "DELETE FROM member_keys WHERE program_id = ?1 AND member_id = ?2 "
                              "AND kind = ?3 AND value = ?4";
    const char *const kinds[] = {"email", "phone", "external_id", "card_number", "referral_code"};
    const char *values[5];
    enum pt_rc rc = PT_OK;
    unsigned i;
    values[0] = old->email;
    values[1] = old->phone;
    values[2] = old->external_id;
    values[3] = old->card_number[0] ? old->card_number : NULL;
    values[4] = old->referral_code[0] ? old->referral_code : NULL;
    for (i = 0; rc == PT_OK && i < 5; i++) {
        if (values[i] != NULL) {
            rc = erase_exec(txn, sql, old->program_id, old->id, kinds[i], values[i], err);
        }
    }
    return rc;
}

/* The member's row: every personal column NULL (or its default), status erased. */
static enum pt_rc erase_row(struct pt_store_txn *txn, const struct pt_member *old,
                            const struct pt_member *m, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE members SET external_id = NULL, email = NULL, phone = NULL, first_name = NULL, "
        "last_name = NULL, birth_date = NULL, gender = NULL, locale = NULL, city = NULL, "
        "country = NULL, attributes = '{}', consent_email = 0, consent_sms = 0, consent_push = 0, "
        "card_number = NULL, referral_code = NULL, status = 'erased', updated_at_ms = ?3, "
        "version = ?4 + 1 WHERE program_id = ?1 AND id = ?2 AND version = ?4";
    struct pt_q q;
    pt_assert(m->status == PT_MEMBER_ERASED);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, old->program_id);
    pt_q_text(&q, 2, old->id);
    pt_q_int(&q, 3, m->updated_at_ms);
    pt_q_int(&q, 4, old->version);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_member_changed(err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_erase(struct pt_store_txn *txn, const struct pt_member *old,
                                 const struct pt_member *m, const char *event_payload,
                                 int idem_status, const char *idem_body, struct pt_err *err)
{
    /* Sign-in: the password, the sessions, the reset tokens. */
    static const char *const deletes[] = {
        "DELETE FROM credentials WHERE program_id = ?1 AND subject_id = ?2",
        "DELETE FROM sessions WHERE program_id = ?1 AND subject_id = ?2 AND kind = 'member'",
        "DELETE FROM password_resets WHERE program_id = ?1 AND member_id = ?2",
        /* What a purchase's rules saw of the member (kept for its returns, which an erased
         * member takes no more): its attributes, city, country and birth month. */
        "UPDATE purchase_facts SET attributes = NULL, city = NULL, country = NULL, "
        "birth_month = 0 WHERE program_id = ?1 AND member_id = ?2",
        /* An activity's properties are the integrator's words about the member. */
        "UPDATE activities SET properties = '{}' WHERE program_id = ?1 AND member_id = ?2",
        /* What staff wrote about the member, and what the member and staff wrote in its
         * inquiries: gone; an inquiry keeps its channel, status, times and counts (the service
         * figures stay exact). */
        "DELETE FROM member_notes WHERE program_id = ?1 AND member_id = ?2",
        /* "(erased)", not empty: an inquiry is still checked whole when it is changed later
         * (resolved, closed), and a subject or body must hold a character. */
        "UPDATE inquiry_replies SET body = '(erased)' WHERE program_id = ?1 AND inquiry_id IN "
        "(SELECT id FROM inquiries WHERE program_id = ?1 AND member_id = ?2)",
        "UPDATE inquiries SET subject = '(erased)', body = '(erased)', contact_name = NULL, "
        "contact_email = NULL, contact_phone = NULL, tags = NULL "
        "WHERE program_id = ?1 AND member_id = ?2",
        /* A survey's text answers are the member's words; its scores and choices stay, so that
         * the results stay exact. */
        "UPDATE survey_answers SET text = NULL WHERE program_id = ?1 AND response_id IN "
        "(SELECT id FROM survey_responses WHERE program_id = ?1 AND member_id = ?2)",
        "UPDATE survey_responses SET answers = '{}' WHERE program_id = ?1 AND member_id = ?2",
    };
    /* The events whose payload holds the member or an activity's properties (the type list is
     * events_member's, so that the index serves it). */
    static const char events_sql[] =
        "UPDATE events SET payload = ?3 WHERE program_id = ?1 AND member_id = ?2 AND type IN "
        "('member.created', 'member.updated', 'member.reopened', 'activity.recorded')";
    /* The answers kept for replays that name the member (its enrollment, its activities, its
     * purchases): each now answers idem_status with idem_body. '!' escapes LIKE's wildcards. */
    static const char idem_sql[] =
        "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE program_id = ?1 "
        "AND (ref_id = ?2 OR body LIKE ?5 ESCAPE '!')";
    char pattern[2 * PT_ID_BUF_BYTES + 8];
    enum pt_rc rc;
    size_t i;
    size_t n = 0;
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    rc = erase_keys(txn, old, err);
    if (rc == PT_OK) {
        rc = erase_row(txn, old, m, err);
    }
    for (i = 0; rc == PT_OK && i < sizeof(deletes) / sizeof(deletes[0]); i++) {
        rc = erase_exec(txn, deletes[i], old->program_id, old->id, NULL, NULL, err);
    }
    if (rc == PT_OK) {
        rc = erase_exec(txn, events_sql, old->program_id, old->id, event_payload, NULL, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pattern[n++] = '%';
    for (i = 0; old->id[i] != '\0' && n + 3 < sizeof(pattern); i++) {
        if (old->id[i] == '%' || old->id[i] == '_' || old->id[i] == '!') {
            pattern[n++] = '!';
        }
        pattern[n++] = old->id[i];
    }
    pattern[n++] = '%';
    pattern[n] = '\0';
    (void)pt_q_open(&q, txn, idem_sql, err);
    pt_q_text(&q, 1, old->program_id);
    pt_q_text(&q, 2, old->id);
    pt_q_int(&q, 3, idem_status);
    pt_q_text(&q, 4, idem_body);
    pt_q_text(&q, 5, pattern);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}
