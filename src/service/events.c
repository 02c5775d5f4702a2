/* SPDX-License-Identifier: MIT */
/*
 * Events: what each write appends to the program's event stream (in the write's transaction),
 * and the stream read in order (GET /v1/events).
 */
#include "service/service_int.h"

#include <string.h>

enum pt_rc pt_svc_event(struct pt_service *svc, struct pt_store_txn *txn, const char *program_id,
                        const char *type, const char *member_id, pt_encode_fn encode,
                        const void *obj, int64_t now_ms, struct pt_arena *arena,
                        struct pt_idem *idem, struct pt_err *err)
{
    return pt_svc_event_ref(svc, txn, program_id, type, member_id, NULL, encode, obj, now_ms, arena,
                            idem, err);
}

enum pt_rc pt_svc_event_ref(struct pt_service *svc, struct pt_store_txn *txn,
                            const char *program_id, const char *type, const char *member_id,
                            const char *ref_id, pt_encode_fn encode, const void *obj,
                            int64_t now_ms, struct pt_arena *arena, struct pt_idem *idem,
                            struct pt_err *err)
{
    struct pt_event event;
    enum pt_rc rc = PT_OK;
    (void)svc;
    memset(&event, 0, sizeof(event));
    pt_svc_new_id("evt", now_ms, event.id);
    event.type = type;
    event.member_id = member_id;
    event.ref_id = ref_id;
    event.created_at_ms = now_ms;
    event.payload_json = "{}";
    if (encode != NULL && pt_arena_failed(arena)) {
        /* obj may hold a NULL where a copy into the arena failed: never encoded. */
        return pt_arena_err(arena, err);
    }
    if (encode != NULL) {
        rc = encode(obj, arena, &event.payload_json, err);
        if (rc == PT_OK && idem != NULL) {
            idem->body = event.payload_json;
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_event_append(txn, program_id, &event, err);
}

enum pt_rc pt_service_events(struct pt_service *svc, const struct pt_principal *who,
                             const char *after_id, unsigned limit, struct pt_arena *arena,
                             struct pt_event **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_event_position after;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (after_id != NULL) {
        rc = pt_store_event_position(txn, who->program_id, after_id, &after, err);
        if (rc == PT_ENOTFOUND) {
            rc = pt_err_set(err, PT_EINVAL, "after", "after must be the id of an event");
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_event_list(txn, who->program_id, after_id != NULL ? &after : NULL, limit,
                                 arena, out, count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
