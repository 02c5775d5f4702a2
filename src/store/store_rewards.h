/* SPDX-License-Identifier: MIT */
/*
 * The store's functions of the rewards catalog, coupons, partner voucher pools and coupon
 * batches with their promotion codes (store_rewards.c, store_batches.c; docs/rewards.md). Part of
 * the door: include store/store.h, which includes this header.
 */
#ifndef PT_STORE_STORE_REWARDS_H
#define PT_STORE_STORE_REWARDS_H

#include "store/store.h"

/* ---- Rewards and coupons (docs/rewards.md) ---- */

PT_MUSTCHECK enum pt_rc pt_store_reward_insert(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_reward *r, struct pt_err *err);
/* Writes every settable field. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_reward_update(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_reward *r, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_reward_get(struct pt_store_txn *txn, const char *program_id,
                                            const char *reward_id, struct pt_arena *arena,
                                            struct pt_reward *out, struct pt_err *err);
/* Rewards newest first below cursor_id (NULL: from the newest), at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_reward_list(struct pt_store_txn *txn, const char *program_id,
                                             const char *cursor_id, unsigned limit,
                                             struct pt_arena *arena, struct pt_reward **out,
                                             unsigned *count, struct pt_err *err);
/* The rewards a member may buy with points now (the public face of the program): active, with
 * a cost in points, valid at now_ms; cheapest first (ties by id), at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_rewards_offered(struct pt_store_txn *txn, const char *program_id,
                                                 int64_t now_ms, unsigned limit,
                                                 struct pt_arena *arena, struct pt_reward **out,
                                                 unsigned *count, struct pt_err *err);
/* Takes one unit of the reward's stock: *taken false when none is left (nothing changed).
 * One statement, so that of two takes of the last unit exactly one succeeds. */
PT_MUSTCHECK enum pt_rc pt_store_reward_take(struct pt_store_txn *txn, const char *program_id,
                                             const char *reward_id, bool *taken,
                                             struct pt_err *err);
/* Gives a unit back (a cancelled coupon). */
PT_MUSTCHECK enum pt_rc pt_store_reward_give_back(struct pt_store_txn *txn, const char *program_id,
                                                  const char *reward_id, struct pt_err *err);

/* Inserts c unless its code is taken (*claimed false: draw another). */
PT_MUSTCHECK enum pt_rc pt_store_coupon_insert(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_coupon *c, bool *claimed,
                                               struct pt_err *err);
/* By code (locked in a write). PT_ENOTFOUND. */
/* The member of a coupon, read without a lock (it never changes), so that a write can lock the
 * member before the coupon, in the order purchases and the till take them; "" when there is
 * no such coupon. member_id: PT_ID_BUF_BYTES. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_member(struct pt_store_txn *txn, const char *program_id,
                                               const char *code, char *member_id,
                                               struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_coupon_get(struct pt_store_txn *txn, const char *program_id,
                                            const char *code, struct pt_arena *arena,
                                            struct pt_coupon *out, struct pt_err *err);
/* The member's coupons given by a `source` (a rule or a stamp card) that source_ref (a purchase)
 * fired, at most limit, by code. */
PT_MUSTCHECK enum pt_rc pt_store_coupons_of_source(struct pt_store_txn *txn, const char *program_id,
                                                   const char *member_id, const char *source_ref,
                                                   enum pt_coupon_source source, unsigned limit,
                                                   struct pt_arena *arena, struct pt_coupon **out,
                                                   unsigned *count, struct pt_err *err);
/* The member's coupons, newest first (by issue time, then code), of status (nullable: every
 * status), after the coupon cursor_code (nullable: from the newest; a code of no coupon of the
 * program gives an empty page), at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_member_coupons(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, const char *status,
                                                const char *cursor_code, unsigned limit,
                                                struct pt_arena *arena,
                                                struct pt_coupon_listed **out, unsigned *count,
                                                struct pt_err *err);
/* Moves the coupon from status `from` to c's status, times and location: *moved false when it
 * was no longer `from` (another scan got there first). */
PT_MUSTCHECK enum pt_rc pt_store_coupon_move(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_coupon *c, const char *from,
                                             bool *moved, struct pt_err *err);
/* The code of the coupon a redemption paid for into code (PT_ID_BUF_BYTES); PT_ENOTFOUND when
 * it paid for none. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_of_redemption(struct pt_store_txn *txn,
                                                      const char *program_id, const char *member_id,
                                                      const char *redemption_id, char *code,
                                                      struct pt_err *err);
/* Codes of active coupons whose expiry has come by now_ms, oldest first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_coupons_due(struct pt_store_txn *txn, const char *program_id,
                                             int64_t now_ms, unsigned limit, struct pt_arena *arena,
                                             char (**codes)[PT_ID_BUF_BYTES], unsigned *count,
                                             struct pt_err *err);
/* Writes the partner code a partner voucher's coupon drew. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_partner_code(struct pt_store_txn *txn,
                                                     const char *program_id, const char *code,
                                                     const char *partner_code, struct pt_err *err);
/* Marks an active coupon redeemed by purchase purchase_id at at_ms: *moved false when it was
 * no longer active. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_use(struct pt_store_txn *txn, const char *program_id,
                                            const char *code, const char *purchase_id,
                                            const char *location, int64_t at_ms, bool *moved,
                                            struct pt_err *err);
/* The member's coupons of a reward that were not cancelled. */
PT_MUSTCHECK enum pt_rc pt_store_coupons_of_member(struct pt_store_txn *txn, const char *program_id,
                                                   const char *member_id, const char *reward_id,
                                                   int64_t *count, struct pt_err *err);

/* ---- Partner voucher pools (docs/rewards.md) ---- */

/* Adds codes[0..count) to the reward's pool, after its n codes so far; a code already in the
 * pool is skipped (*added counts the new ones). */
PT_MUSTCHECK enum pt_rc pt_store_vouchers_add(struct pt_store_txn *txn, const char *program_id,
                                              const char *reward_id, const char *const *codes,
                                              unsigned count, int64_t now_ms, int64_t *added,
                                              struct pt_err *err);
/* Draws the oldest free code of the pool for coupon_code into out (arena); PT_ENOTFOUND when
 * none is free. */
PT_MUSTCHECK enum pt_rc pt_store_voucher_draw(struct pt_store_txn *txn, const char *program_id,
                                              const char *reward_id, const char *coupon_code,
                                              struct pt_arena *arena, const char **out,
                                              struct pt_err *err);
/* Codes in the pool and those still free. */
PT_MUSTCHECK enum pt_rc pt_store_vouchers_count(struct pt_store_txn *txn, const char *program_id,
                                                const char *reward_id, int64_t *total,
                                                int64_t *free_codes, struct pt_err *err);

/* ---- Promotion codes in bulk (store_batches.c; docs/rewards.md) ---- */

PT_MUSTCHECK enum pt_rc pt_store_coupon_batch_get(struct pt_store_txn *txn, const char *program_id,
                                                  const char *batch_id, struct pt_arena *arena,
                                                  struct pt_coupon_batch *out, struct pt_err *err);
/* By code (locked in a write). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_promo_code_get(struct pt_store_txn *txn, const char *program_id,
                                                const char *code, struct pt_promo_code *out,
                                                struct pt_err *err);
/* Counts one use of the code unless it has had uses_per_code (*used false: nothing changed),
 * in one statement; records the use. */
PT_MUSTCHECK enum pt_rc pt_store_promo_code_use(struct pt_store_txn *txn, const char *program_id,
                                                const struct pt_promo_use *u, int64_t uses_per_code,
                                                bool *used, struct pt_err *err);
/* The batch locked for a change (FOR UPDATE where processes share the rows). PT_ENOTFOUND
 * also while another process holds it (SKIP LOCKED). */
PT_MUSTCHECK enum pt_rc pt_store_coupon_batch_lock(struct pt_store_txn *txn, const char *program_id,
                                                   const char *batch_id, struct pt_arena *arena,
                                                   struct pt_coupon_batch *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_coupon_batch_insert(struct pt_store_txn *txn,
                                                     const char *program_id,
                                                     const struct pt_coupon_batch *b,
                                                     struct pt_err *err);
/* Writes b's generated, status, error and updated_at_ms. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_batch_progress(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const struct pt_coupon_batch *b,
                                                       struct pt_err *err);
/* Batches newest first below cursor_id (NULL: from the newest), at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_coupon_batch_list(struct pt_store_txn *txn, const char *program_id,
                                                   const char *cursor_id, unsigned limit,
                                                   struct pt_arena *arena,
                                                   struct pt_coupon_batch **out, unsigned *count,
                                                   struct pt_err *err);
/* *codes: the counts of the program's batches still generating added up (the codes they
 * promise, made or not: the quota PT_BATCH_CODES_PENDING_MAX). */
PT_MUSTCHECK enum pt_rc pt_store_batch_codes_pending(struct pt_store_txn *txn,
                                                     const char *program_id, int64_t *codes,
                                                     struct pt_err *err);
/* A batch of any program. */
struct pt_batch_ref {
    char program_id[PT_ID_BUF_BYTES];
    char batch_id[PT_ID_BUF_BYTES];
};
/* Batches still generating, one per program (fairness, docs/security.md): of each program the
 * batch with the fewest codes left to make, the programs whose batch has the fewest codes left
 * first (ties oldest first), at most limit. OUT: arena. */
PT_MUSTCHECK enum pt_rc pt_store_batches_generating(struct pt_store_txn *txn, unsigned limit,
                                                    struct pt_arena *arena,
                                                    struct pt_batch_ref **out, unsigned *count,
                                                    struct pt_err *err);
/* Stores codes[i] (canonical) as the batch's code n = first_n + i, in one statement, skipping a
 * code that a coupon or promotion code of the program already has. *inserted: codes stored. */
PT_MUSTCHECK enum pt_rc pt_store_promo_codes_insert(struct pt_store_txn *txn,
                                                    const char *program_id, const char *batch_id,
                                                    int64_t first_n, char (*codes)[PT_ID_BUF_BYTES],
                                                    unsigned count, int64_t *inserted,
                                                    struct pt_err *err);
/* present[i]: whether the batch has its code n = first_n + i (i < count). */
PT_MUSTCHECK enum pt_rc pt_store_promo_codes_present(struct pt_store_txn *txn,
                                                     const char *program_id, const char *batch_id,
                                                     int64_t first_n, unsigned count, bool *present,
                                                     struct pt_err *err);
/* The batch's codes with n > after_n, by n, at most limit, into out (limit slots). */
PT_MUSTCHECK enum pt_rc pt_store_promo_codes_page(struct pt_store_txn *txn, const char *program_id,
                                                  const char *batch_id, int64_t after_n,
                                                  unsigned limit, struct pt_promo_code *out,
                                                  unsigned *count, struct pt_err *err);
/* Uses of the batch's codes by the member. */
PT_MUSTCHECK enum pt_rc pt_store_promo_uses_of_member(struct pt_store_txn *txn,
                                                      const char *program_id, const char *batch_id,
                                                      const char *member_id, int64_t *count,
                                                      struct pt_err *err);

#endif
