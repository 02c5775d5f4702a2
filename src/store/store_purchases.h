/* SPDX-License-Identifier: MIT */
/*
 * The store's reads of purchases back (GET /v1/transactions/{id}, GET /v1/members/{id}/purchases;
 * docs/ledger.md, "Reading purchases back"), a part of store.h (which includes it) kept apart as
 * store_rewards.h is.
 */
#ifndef PT_STORE_STORE_PURCHASES_H
#define PT_STORE_STORE_PURCHASES_H

#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/purchase.h"

struct pt_store_txn;

/* The purchase's returns, oldest first (by time, then id), at most max. OUT: *out (arena
 * array, NULL when none), *count; *total, how many it has in all. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_returns(struct pt_store_txn *txn, const char *program_id,
                                                  const char *member_id, const char *purchase_id,
                                                  unsigned max, struct pt_arena *arena,
                                                  struct pt_purchase_return **out, unsigned *count,
                                                  int64_t *total, struct pt_err *err);

/* A page of a member's purchases, newest first: by occurred_at, then id, both descending. */
struct pt_purchase_page {
    int64_t from_ms; /* occurred_at >= from_ms (PT_TIME_INPUT_MIN_MS: no bound) */
    int64_t to_ms;   /* occurred_at < to_ms (INT64_MAX: no bound) */
    /* The page goes on after the purchase (after_at_ms, after_id), the last one of the page
     * before: INT64_MAX and "" on the first page. after_id: borrowed. */
    int64_t after_at_ms;
    const char *after_id;
    unsigned limit; /* Rows to read, 1..PT_PAGE_LIMIT_MAX + 1. */
};
/* When purchase_id of the member occurred, the position of a cursor. PT_ENOTFOUND (the
 * purchase's refusal) when the member has no such purchase. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_occurred_at(struct pt_store_txn *txn,
                                                      const char *program_id, const char *member_id,
                                                      const char *purchase_id,
                                                      int64_t *occurred_at_ms, struct pt_err *err);
/* The member's purchases of page, each summed up (with its number of lines). OUT: *out (arena
 * array, NULL when none), *count (at most page->limit). */
PT_MUSTCHECK enum pt_rc
pt_store_member_purchases(struct pt_store_txn *txn, const char *program_id, const char *member_id,
                          const struct pt_purchase_page *page, struct pt_arena *arena,
                          struct pt_purchase_summary **out, unsigned *count, struct pt_err *err);

/* The payload of the event of type that names ref_id (struct pt_event's ref_id). OUT: *payload
 * (arena), NULL when there is none (PT_OK all the same): the object's write named none (before
 * schema version 25). */
PT_MUSTCHECK enum pt_rc pt_store_event_of(struct pt_store_txn *txn, const char *program_id,
                                          const char *type, const char *ref_id,
                                          struct pt_arena *arena, const char **payload,
                                          struct pt_err *err);

#endif
