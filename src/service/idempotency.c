/* SPDX-License-Identifier: MIT */
/*
 * Idempotency inside a write: a request's Idempotency-Key (or its natural key, the receipt
 * number) is looked up in the write's transaction, and the answer is recorded under it in the
 * same transaction, so that a retried request either replays the committed answer or applies
 * once.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* Looks the key up in txn. PT_OK with idem->replayed set when it was seen with the same request;
 * PT_ECONFLICT "idempotency_conflict" when with another; PT_OK and not replayed when new. */
enum pt_rc pt_svc_idem_check(struct pt_store_txn *txn, const char *program_id, struct pt_idem *idem,
                             int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    enum pt_rc rc;
    if (idem == NULL) {
        return PT_OK;
    }
    idem->replayed = false;
    if (idem->key == NULL) {
        return PT_OK;
    }
    rc = pt_store_idem_get(txn, program_id, idem->key, now_ms, arena, &idem->record, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (memcmp(idem->record.request_hash, idem->request_hash, 32) != 0) {
        (void)pt_err_set(err, PT_ECONFLICT, NULL,
                         "this Idempotency-Key was used with a different request");
        return pt_err_code(err, "idempotency_conflict");
    }
    idem->replayed = true;
    return PT_OK;
}

/* Stores the encoded result under the key, inside txn. */
enum pt_rc pt_svc_idem_record(struct pt_store_txn *txn, const char *program_id,
                              struct pt_idem *idem, const void *result, const char *ref_id,
                              int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_idem_record rec;
    enum pt_rc rc;
    if (idem == NULL || idem->key == NULL) {
        return PT_OK;
    }
    pt_assert(idem->encode != NULL);
    memcpy(rec.request_hash, idem->request_hash, 32);
    rec.status = idem->status;
    rec.created_at_ms = now_ms;
    rec.ref_id = ref_id;
    if (idem->body != NULL) {
        rec.body = idem->body; /* Encoded once already, for the event. */
    } else {
        rc = idem->encode(idem->encode_ctx, result, arena, &rec.body, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_store_idem_put(txn, program_id, idem->key, &rec, err);
}

/* Without an Idempotency-Key header, the receipt number (external_id) is the request's natural
 * idempotency key, namespaced by kind ("purchase:R-1001"). */
enum pt_rc pt_svc_idem_natural_key(struct pt_idem *idem, const char *kind, const char *external_id,
                                   struct pt_arena *arena, struct pt_err *err)
{
    size_t n;
    char *key;
    if (idem->key != NULL) {
        return PT_OK;
    }
    n = strlen(kind) + strlen(external_id) + 1;
    key = pt_arena_alloc(arena, n);
    if (key == NULL) {
        return pt_arena_err(arena, err); /* Written below. */
    }
    (void)snprintf(key, n, "%s%s", kind, external_id);
    idem->key = key;
    return PT_OK;
}
