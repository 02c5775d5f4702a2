/* SPDX-License-Identifier: MIT */
/*
 * The use cases of the rewards catalog, coupons, partner vouchers and coupon batches
 * (rewards.c, coupons.c, vouchers.c, batches.c; docs/rewards.md). Part of the door: include
 * service/service.h, which includes this header.
 */
#ifndef PT_SERVICE_SERVICE_REWARDS_H
#define PT_SERVICE_SERVICE_REWARDS_H

#include "service/service.h"

/* ---- Rewards, coupons and vouchers (rewards.c, coupons.c, vouchers.c; docs/rewards.md) ---- */

#define PT_VOUCHERS_PER_UPLOAD_MAX 10000
#define PT_VOUCHER_CODE_BYTES_MAX 64

/* A partner_voucher reward's pool of partner codes. */
struct pt_voucher_pool {
    char reward_id[PT_ID_BUF_BYTES];
    int64_t codes;      /* In the pool */
    int64_t free_codes; /* Not drawn yet */
    int64_t added;      /* By this upload (a code already in the pool is not added twice) */
};

/* Adds codes[0..count) (1..PT_VOUCHERS_PER_UPLOAD_MAX, each 1..PT_VOUCHER_CODE_BYTES_MAX
 * printable ASCII without spaces) to a partner_voucher reward's pool, in one write. */
PT_MUSTCHECK enum pt_rc pt_service_vouchers_add(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                const char *reward_id, const char *const *codes,
                                                unsigned count, struct pt_arena *arena,
                                                struct pt_voucher_pool *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_vouchers_get(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                const char *reward_id, struct pt_arena *arena,
                                                struct pt_voucher_pool *out, struct pt_err *err);

/* Creates a reward (id and times set here). PT_EINVAL names the bad field. */
PT_MUSTCHECK enum pt_rc pt_service_reward_create(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 struct pt_reward *r, struct pt_idem *idem,
                                                 struct pt_arena *arena, struct pt_err *err);
/* Changes a reward's fields onto the stored reward (given by the API: the patch of a
 * request). Runs inside the write, on the writer thread, while the caller waits. */
typedef enum pt_rc (*pt_reward_patch_fn)(void *ctx, struct pt_arena *arena, struct pt_reward *r,
                                         struct pt_err *err);
/* Reads the reward, applies patch and writes it, in one write: two changes at once both
 * land. Archived is final (422 reward_archived). OUT: *out, the reward written. */
PT_MUSTCHECK enum pt_rc pt_service_reward_update(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *reward_id, pt_reward_patch_fn patch,
                                                 void *patch_ctx, struct pt_arena *arena,
                                                 struct pt_reward *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_reward_get(struct pt_service *svc,
                                              const struct pt_principal *who, const char *reward_id,
                                              struct pt_arena *arena, struct pt_reward *out,
                                              struct pt_err *err);

/* A reward as one member sees it. */
struct pt_reward_offer {
    struct pt_reward reward;
    bool affordable;
    int64_t points_missing;
    bool eligible;
    const char *reason; /* Why not eligible (an API code), NULL when eligible; static */
};

/* Rewards newest first; with member_id (nullable), whether each is affordable and eligible
 * for that member. */
PT_MUSTCHECK enum pt_rc pt_service_reward_list(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               const char *member_id, const char *cursor_id,
                                               unsigned limit, struct pt_arena *arena,
                                               struct pt_reward_offer **out, unsigned *count,
                                               struct pt_err *err);

/* Spends the reward's points through the ledger, takes one unit of stock and issues a coupon.
 * 422 insufficient_points, out_of_stock, member_limit_reached, not_eligible, reward_inactive.
 * Idempotent by Idempotency-Key. */
PT_MUSTCHECK enum pt_rc pt_service_reward_redeem(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *member_id, const char *reward_id,
                                                 struct pt_idem *idem, struct pt_arena *arena,
                                                 struct pt_coupon_view *out, struct pt_err *err);
/* code: canonical (core/coupon_code.h). Changes nothing. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_service_coupon_get(struct pt_service *svc,
                                              const struct pt_principal *who, const char *code,
                                              struct pt_arena *arena, struct pt_coupon_view *out,
                                              struct pt_err *err);
/* The member's coupons, newest first, of status (nullable: all; a name of
 * pt_coupon_status_names), after the coupon cursor_code (canonical; nullable), at most limit.
 * PT_ENOTFOUND for a member not of the program. OUT: arena array. */
PT_MUSTCHECK enum pt_rc
pt_service_member_coupons(struct pt_service *svc, const struct pt_principal *who,
                          const char *member_id, const char *status, const char *cursor_code,
                          unsigned limit, struct pt_arena *arena, struct pt_coupon_listed **out,
                          unsigned *count, struct pt_err *err);
/* Marks the coupon used at location, exactly once: 409 already_redeemed (when and where in
 * the message), 422 coupon_expired, coupon_cancelled. A promotion code counts one use, by
 * member_id (nullable) when given: 409 already_redeemed when its uses are used up, 422
 * coupon_not_yet_valid, coupon_expired, member_required, member_limit_reached. */
PT_MUSTCHECK enum pt_rc pt_service_coupon_redeem(struct pt_service *svc,
                                                 const struct pt_principal *who, const char *code,
                                                 const char *location, const char *member_id,
                                                 struct pt_arena *arena, struct pt_coupon_view *out,
                                                 struct pt_err *err);
/* Cancels an active coupon: its points come back through the redemption's cancel (whose entry
 * records reason, nullable, validated like an adjustment's: 400 field reason), its unit back to
 * stock. Twice changes nothing; a redeemed coupon is 409 already_redeemed. */
PT_MUSTCHECK enum pt_rc pt_service_coupon_cancel(struct pt_service *svc,
                                                 const struct pt_principal *who, const char *code,
                                                 const char *reason, struct pt_arena *arena,
                                                 struct pt_coupon_view *out, struct pt_err *err);

/* Marks expired every active coupon whose expiry has come, in program_id (NULL: every
 * program), with coupon.expired each; pages of coupons, each in its own write. The points
 * stay spent (breakage). OUT: *expired. */
PT_MUSTCHECK enum pt_rc pt_service_coupons_expire(struct pt_service *svc, const char *program_id,
                                                  int64_t *expired, struct pt_err *err);

/* ---- Promotion codes in bulk (batches.c; docs/rewards.md) ---- */

/* Creates a coupon batch (id, times, status and generated set here) from b: name, count,
 * prefix, validity, uses, and either reward_id or its own discount (type, value, sku). Its
 * codes are made in the background (pt_service_batches_run). PT_ELIMIT (limit_exceeded, field
 * count) when the program's batches still being made would promise more than
 * PT_BATCH_CODES_PENDING_MAX codes. PT_EINVAL names the bad field; 422 reward_inactive for an
 * archived reward. */
PT_MUSTCHECK enum pt_rc pt_service_coupon_batch_create(struct pt_service *svc,
                                                       const struct pt_principal *who,
                                                       struct pt_coupon_batch *b,
                                                       struct pt_idem *idem, struct pt_arena *arena,
                                                       struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_coupon_batch_get(struct pt_service *svc,
                                                    const struct pt_principal *who,
                                                    const char *batch_id, struct pt_arena *arena,
                                                    struct pt_coupon_batch *out,
                                                    struct pt_err *err);
/* Newest first below cursor_id (NULL: from the newest), at most limit. */
PT_MUSTCHECK enum pt_rc
pt_service_coupon_batch_list(struct pt_service *svc, const struct pt_principal *who,
                             const char *cursor_id, unsigned limit, struct pt_arena *arena,
                             struct pt_coupon_batch **out, unsigned *count, struct pt_err *err);
/* The batch's codes with n > after_n, by n, at most limit, into out (limit slots), in one
 * read. */
PT_MUSTCHECK enum pt_rc pt_service_promo_codes_page(struct pt_service *svc, const char *program_id,
                                                    const char *batch_id, int64_t after_n,
                                                    unsigned limit, struct pt_promo_code *out,
                                                    unsigned *count, struct pt_err *err);
/* Makes the codes of every generating batch of every program, a chunk per write, until none
 * is left or stop(stop_ctx) is true between two chunks; coupon_batch.ready for each finished.
 * Fair between programs: in each round every program with a batch in making gets one chunk
 * (of its batch with the fewest codes left), the programs with the least left first, so that
 * a small batch is never behind a large one. OUT: *made, codes stored. */
PT_MUSTCHECK enum pt_rc pt_service_batches_run(struct pt_service *svc, bool (*stop)(void *),
                                               void *stop_ctx, int64_t *made, struct pt_err *err);
/* notify(ctx) is called after a batch is created (NULL: nothing is called). Set before serving
 * and cleared after. */
void pt_service_set_batch_notify(struct pt_service *svc, void (*notify)(void *ctx), void *ctx);

#endif
