/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of src/service; not part of service.h. */
#ifndef PT_SERVICE_SERVICE_INT_H
#define PT_SERVICE_SERVICE_INT_H

#include <stdatomic.h>

#include "service/service.h"

struct pt_service {
    struct pt_store *store;   /* Owned. */
    bool test_clock_enabled;  /* patron serve --test-clock */
    atomic_llong test_now_ms; /* The test clock; 0 = follow the system clock. */
    struct pt_encoders enc;   /* JSON encoders of the API's objects, for events. */
};

/* The one clock of the service: the test clock when set, else the system's. */
int64_t pt_svc_now_ms(struct pt_service *svc);

/* Draws a new id "<prefix>_..." for the time now_ms into out (PT_ID_BUF_BYTES). */
void pt_svc_new_id(const char *prefix, int64_t now_ms, char *out);

/* Idempotency inside a write: see service.c. */
PT_MUSTCHECK enum pt_rc pt_svc_idem_check(struct pt_store_txn *txn, const char *program_id,
                                          struct pt_idem *idem, int64_t now_ms,
                                          struct pt_arena *arena, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_svc_idem_record(struct pt_store_txn *txn, const char *program_id,
                                           struct pt_idem *idem, const void *result,
                                           const char *ref_id, int64_t now_ms,
                                           struct pt_arena *arena, struct pt_err *err);

/*
 * Appends an event whose payload is encode(obj) (or "{}" without an encoder), in txn. When idem
 * is given, its body is set to the payload: the request's answer is the same object in the
 * same encoding, so it is encoded once rather than three times. idem may be NULL.
 */
PT_MUSTCHECK enum pt_rc pt_svc_event(struct pt_service *svc, struct pt_store_txn *txn,
                                     const char *program_id, const char *type,
                                     const char *member_id, pt_encode_fn encode, const void *obj,
                                     int64_t now_ms, struct pt_arena *arena, struct pt_idem *idem,
                                     struct pt_err *err);

#endif
