/* SPDX-License-Identifier: MIT */
/*
 * The write skeleton: every write use case of the service runs through pt_svc_write, one
 * generic body with thin named entry points (the way Redis runs its commands through one
 * call()). A case is a struct pt_write_case (service_int.h): what it asks of the member, its
 * event and its body. The runner, on the writer thread inside one write:
 *
 *   1. locks the member's row when the case asks (two nodes given one request at once: the
 *      second waits there and then finds the first's idempotency record);
 *   2. looks the Idempotency-Key up: a replay answers the stored answer and runs nothing else,
 *      the same key with another request is 409 idempotency_conflict;
 *   3. loads the member and the program and refuses a missing (404) or inactive/closed member
 *      (409 member_inactive) when the case asks;
 *   4. runs the body, which fills w->result (and w->ref_id, w->event_member_id), then checks
 *      once whether an allocation of the request's arena failed (the arena latches it): the
 *      body's copies that nothing reads before then need no check of their own;
 *   5. appends the case's event (its payload is the answer, encoded once; naming the object
 *      when the case asks, so that the answer is found again: a purchase's) and records the
 *      answer under the key, in the same transaction. A body that changed nothing (a second
 *      cancel answering the current state) leaves w->result NULL: no event then.
 *
 * The writer may run the write again (a batch retried after a busy commit); the runner resets
 * what the body sets each time. A read use case ends with the same one check of its arena
 * (pt_svc_read_end).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <string.h>

void pt_svc_write_init(struct pt_svc_write *w, struct pt_service *svc,
                       const struct pt_principal *who, struct pt_idem *idem, struct pt_arena *arena)
{
    memset(w, 0, sizeof(*w));
    w->svc = svc;
    w->who = who;
    w->idem = idem;
    w->arena = arena;
    w->now_ms = pt_svc_now_ms(svc, who->program_id);
}

/* The member the case asks for, with the program: 404, or 409 member_inactive. */
static enum pt_rc write_member(struct pt_svc_write *w, struct pt_store_txn *txn, struct pt_err *err)
{
    const struct pt_write_case *wc = w->wcase;
    enum pt_rc rc = pt_svc_member_load(txn, w->who->program_id, w->member_id, w->arena, &w->member,
                                       &w->program, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (wc->member == PT_WRITE_MEMBER_ACTIVE) {
        return pt_member_require_active(&w->member, err);
    }
    return pt_member_require_open(&w->member, err);
}

/* The case's event, then the idempotency record of its answer. */
static enum pt_rc write_finish(struct pt_svc_write *w, struct pt_store_txn *txn, struct pt_err *err)
{
    const struct pt_write_case *wc = w->wcase;
    const char *program_id = w->who->program_id;
    enum pt_rc rc = PT_OK;
    if (wc->event != NULL && w->result != NULL) {
        const pt_encode_fn *encode =
            (const pt_encode_fn *)((const char *)&w->svc->enc + wc->encoder);
        const char *member_id = w->event_member_id;
        if (member_id == NULL && wc->member != PT_WRITE_MEMBER_NONE) {
            member_id = w->member.id;
        }
        pt_assert(wc->encoder + sizeof(pt_encode_fn) <= sizeof(struct pt_encoders));
        pt_assert(!wc->event_ref || w->ref_id != NULL);
        rc = pt_svc_event_ref(w->svc, txn, program_id, wc->event, member_id,
                              wc->event_ref ? w->ref_id : NULL, *encode, w->result, w->now_ms,
                              w->arena, w->idem, err);
    }
    if (rc == PT_OK && w->idem != NULL && w->idem->key != NULL) {
        pt_assert(w->result != NULL);
        pt_assert(w->ref_id != NULL);
        rc = pt_svc_idem_record(txn, program_id, w->idem, w->result, w->ref_id, w->now_ms, w->arena,
                                err);
    }
    return rc;
}

static enum pt_rc write_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct pt_svc_write *w = arg;
    const struct pt_write_case *wc = w->wcase;
    enum pt_rc rc = PT_OK;
    w->txn = txn;
    w->result = NULL;
    w->ref_id = NULL;
    w->event_member_id = NULL;
    if (wc->lock_member) {
        rc = pt_store_member_lock(txn, w->who->program_id, w->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, w->who->program_id, w->idem, w->now_ms, w->arena, err);
    }
    if (rc != PT_OK || (w->idem != NULL && w->idem->replayed)) {
        return rc;
    }
    if (wc->member != PT_WRITE_MEMBER_NONE) {
        rc = write_member(w, txn, err);
    }
    if (rc == PT_OK) {
        rc = wc->body(w, err);
    }
    if (w->arena != NULL && pt_arena_failed(w->arena)) {
        /* The one check of the request's allocations (base/arena.h): whatever the body
         * answered, it may have gone on without memory it asked for (a name copied into the
         * answer, a column of a row it wrote). Undone by the writer, answered 503. */
        rc = pt_arena_err(w->arena, err);
    }
    if (rc == PT_OK) {
        rc = write_finish(w, txn, err);
    }
    w->txn = NULL;
    return rc;
}

enum pt_rc pt_svc_write(struct pt_svc_write *w, const struct pt_write_case *wc, struct pt_err *err)
{
    pt_assert(w->svc != NULL && w->who != NULL);
    /* Without an arena, nothing of the runner's may allocate. */
    pt_assert(w->arena != NULL || (w->idem == NULL && wc->member == PT_WRITE_MEMBER_NONE));
    pt_assert(wc->name != NULL && wc->body != NULL);
    pt_assert(!wc->event_ref || wc->event != NULL);
    pt_assert(wc->member == PT_WRITE_MEMBER_NONE || w->member_id != NULL);
    pt_assert(!wc->lock_member || w->member_id != NULL);
    w->wcase = wc;
    if (wc->natural_key != NULL && w->external_id != NULL && w->idem != NULL) {
        enum pt_rc rc =
            pt_svc_idem_natural_key(w->idem, wc->natural_key, w->external_id, w->arena, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_store_write(w->svc->store, write_txn, w, err);
}

enum pt_rc pt_svc_read_end(struct pt_store_txn *txn, struct pt_arena *arena, enum pt_rc rc,
                           struct pt_err *err)
{
    if (txn != NULL) {
        pt_store_read_end(txn);
    }
    if (pt_arena_failed(arena)) {
        rc = pt_arena_err(arena, err); /* Whatever else went wrong may have followed from it. */
    }
    return rc;
}
