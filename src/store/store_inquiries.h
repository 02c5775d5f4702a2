/* SPDX-License-Identifier: MIT */
/*
 * The store's part of inquiries and staff notes (store_inquiries.c; docs/crm.md), a part of
 * store.h (which includes it).
 */
#ifndef PT_STORE_STORE_INQUIRIES_H
#define PT_STORE_STORE_INQUIRIES_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "core/inquiry.h"

struct pt_store_txn;
struct pt_arena;

/* What a list of inquiries is filtered by; each NULL (0) for no filter. */
struct pt_inquiry_filter {
    const char *status;
    const char *assignee; /* A user's id; "none": inquiries without one. */
    const char *member_id;
    int64_t created_before_ms; /* created_at_ms <= it; 0: none. */
    int64_t created_after_ms;  /* created_at_ms > it; 0: none. */
};

PT_MUSTCHECK enum pt_rc pt_store_inquiry_insert(struct pt_store_txn *txn, const char *program_id,
                                                const struct pt_inquiry *q, struct pt_err *err);
/* Writes q's status, priority, assignee, tags, subject, times and reply count. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_inquiry_update(struct pt_store_txn *txn, const char *program_id,
                                                const struct pt_inquiry *q, struct pt_err *err);
/* PT_ENOTFOUND. Strings in arena. */
PT_MUSTCHECK enum pt_rc pt_store_inquiry_get(struct pt_store_txn *txn, const char *program_id,
                                             const char *id, struct pt_arena *arena,
                                             struct pt_inquiry *out, struct pt_err *err);
/* Newest first, ids below cursor_id (NULL: from the newest), at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_inquiry_list(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_inquiry_filter *f,
                                              const char *cursor_id, unsigned limit,
                                              struct pt_arena *arena, struct pt_inquiry **out,
                                              unsigned *count, struct pt_err *err);
/* OUT: *count, the member's inquiries. */
PT_MUSTCHECK enum pt_rc pt_store_inquiry_count(struct pt_store_txn *txn, const char *program_id,
                                               const char *member_id, int64_t *count,
                                               struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_reply_insert(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_inquiry_reply *r, struct pt_err *err);
/* The inquiry's replies, oldest first, without the internal ones unless with_internal; at most
 * limit. */
PT_MUSTCHECK enum pt_rc pt_store_reply_list(struct pt_store_txn *txn, const char *program_id,
                                            const char *inquiry_id, bool with_internal,
                                            unsigned limit, struct pt_arena *arena,
                                            struct pt_inquiry_reply **out, unsigned *count,
                                            struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_note_insert(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_member_note *n, struct pt_err *err);
/* The member's notes, newest first, ids below cursor_id (NULL: from the newest). */
PT_MUSTCHECK enum pt_rc pt_store_note_list(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, const char *cursor_id,
                                           unsigned limit, struct pt_arena *arena,
                                           struct pt_member_note **out, unsigned *count,
                                           struct pt_err *err);
/* OUT: *count, the member's notes. */
PT_MUSTCHECK enum pt_rc pt_store_note_count(struct pt_store_txn *txn, const char *program_id,
                                            const char *member_id, int64_t *count,
                                            struct pt_err *err);

#endif
