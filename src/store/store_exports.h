/* SPDX-License-Identifier: MIT */
/*
 * The store's reads of everything held about one member, for its export (store_exports.c;
 * GET /v1/members/{id}/export). Each reads the member's rows of one kind, oldest or newest first
 * as said, at most limit rows: the caller asks for one more than it may take to tell that there
 * are more. Part of the door: include store/store.h, which includes this header.
 */
#ifndef PT_STORE_STORE_EXPORTS_H
#define PT_STORE_STORE_EXPORTS_H

#include "store/store.h"

/* A return of a purchase, as the export shows it. */
struct pt_return_row {
    char id[PT_ID_BUF_BYTES]; /* "ret_..." */
    const char *external_id;  /* arena */
    char purchase_id[PT_ID_BUF_BYTES];
    int64_t amount;          /* minor units */
    int64_t points_reversed; /* Taken back from the member. */
    int64_t points_owed;     /* Of those, what the member could not cover. */
    int64_t created_at_ms;
};

/* A purchase with its items (and, filled by the service, its returns). */
struct pt_purchase_row {
    char id[PT_ID_BUF_BYTES]; /* "txn_..." */
    const char *external_id;  /* arena */
    int64_t occurred_at_ms;
    char currency[4];
    int64_t amount;          /* minor units, before discounts */
    int64_t eligible_amount; /* amount less excluded items */
    int64_t discount;        /* Taken off: the till's and the rules'. */
    const char *channel;     /* nullable; arena */
    const char *location;    /* nullable; arena */
    int64_t points_earned;
    int64_t returned_amount;
    int64_t points_reversed;
    int64_t cashback;          /* Minor units to the wallet. */
    int64_t cashback_reversed; /* Of it, taken back by returns. */
    int64_t created_at_ms;
    struct pt_purchase_item *items; /* arena array of item_count (name NULL: not stored) */
    unsigned item_count;
    struct pt_return_row *returns; /* arena array of return_count; set by the caller */
    unsigned return_count;
};

/* The member's purchases with their items, newest first (occurred_at, then id), reading at
 * most `limit` rows of purchase and item (a purchase counts one row per item, one when it has
 * none). OUT: *out (arena) and *count purchases; *rows, the rows read (<= limit): when it is
 * limit, more may exist. */
PT_MUSTCHECK enum pt_rc pt_store_export_purchases(struct pt_store_txn *txn, const char *program_id,
                                                  const char *member_id, unsigned limit,
                                                  struct pt_arena *arena,
                                                  struct pt_purchase_row **out, unsigned *count,
                                                  unsigned *rows, struct pt_err *err);
/* The member's returns, by purchase id then oldest first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_member_returns(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, unsigned limit,
                                                struct pt_arena *arena, struct pt_return_row **out,
                                                unsigned *count, struct pt_err *err);
/* The member's redemptions of points, newest first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_member_redemptions(struct pt_store_txn *txn,
                                                    const char *program_id, const char *member_id,
                                                    unsigned limit, struct pt_arena *arena,
                                                    struct pt_redemption **out, unsigned *count,
                                                    struct pt_err *err);
/* Every stamp card the member has had (open, completed and expired), by card then number, at
 * most limit. */
PT_MUSTCHECK enum pt_rc pt_store_member_stamp_instances(
    struct pt_store_txn *txn, const char *program_id, const char *member_id, unsigned limit,
    struct pt_arena *arena, struct pt_member_stamp_card **out, unsigned *count, struct pt_err *err);
/* The member's activities (with their properties), newest first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_member_activities(struct pt_store_txn *txn, const char *program_id,
                                                   const char *member_id, unsigned limit,
                                                   struct pt_arena *arena,
                                                   struct pt_activity_row **out, unsigned *count,
                                                   struct pt_err *err);

#endif
