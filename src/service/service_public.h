/* SPDX-License-Identifier: MIT */
/*
 * The reads issue 19's faces need: a program's public face (public.c), what the member portal
 * and a web shop's script may read without a member's or a staff key; and everything held about
 * one member, its export (exports.c). Part of the door: include service/service.h, which
 * includes this header.
 */
#ifndef PT_SERVICE_SERVICE_PUBLIC_H
#define PT_SERVICE_SERVICE_PUBLIC_H

#include "service/service.h"

/* An active rule marked public: an offer members may read (docs/rules.md). */
struct pt_public_offer {
    char id[PT_ID_BUF_BYTES];
    const char *name;        /* arena */
    const char *description; /* nullable; arena */
    int64_t valid_from_ms;   /* INT64_MIN when open */
    int64_t valid_to_ms;     /* INT64_MAX when open; exclusive */
};

/* An active stamp card and what completing it gives. */
struct pt_public_card {
    struct pt_stamp_card card;
    const char *reward_name;        /* A catalog reward's name; NULL for points. arena */
    const char *reward_description; /* Its description; nullable. arena */
};

/* A program as anyone may read it: no member, no count, no key. */
struct pt_public_program {
    struct pt_program program;
    /* How members join: "open", "invitation" or "closed" (static). Every program is open until
     * the setting exists (issue 19's sessions part adds it). */
    const char *enrollment;
    struct pt_public_card *cards; /* Active stamp cards, in the store's order; arena */
    unsigned card_count;
    struct pt_reward *rewards; /* Offered rewards (pt_store_rewards_offered); arena */
    unsigned reward_count;
    struct pt_public_offer *offers; /* Active public rules not ended, evaluation order; arena */
    unsigned offer_count;
};

/* The public face of program_id, or of the server's default program (the oldest: the one
 * `patron init` made) when program_id is NULL. PT_ENOTFOUND for an unknown program (any
 * string: nothing about it is told). Read-only, in one read. */
PT_MUSTCHECK enum pt_rc pt_service_public_program(struct pt_service *svc, const char *program_id,
                                                  struct pt_arena *arena,
                                                  struct pt_public_program *out,
                                                  struct pt_err *err);

/* ---- A member's export (exports.c) ---- */

/* Everything held about one member, read in one read transaction; arena arrays. */
struct pt_member_export {
    int64_t exported_at_ms;
    struct pt_program program; /* The member's program (its id, name, currency). */
    struct pt_member member;   /* Every field, attributes and consents included. */
    struct pt_balance balance;
    bool has_tier; /* The program has tiers: tier holds the member's, with its whole history. */
    struct pt_member_tier tier;
    struct pt_ledger_line *ledger; /* Every posting to its points, newest first. */
    unsigned ledger_count;
    struct pt_purchase_row *purchases; /* Newest first, with items and returns. */
    unsigned purchase_count;
    struct pt_redemption *redemptions; /* Newest first. */
    unsigned redemption_count;
    struct pt_coupon_listed *coupons; /* Newest first. */
    unsigned coupon_count;
    struct pt_member_stamp_card *stamp_cards; /* Every card it has had, by card then number. */
    unsigned stamp_card_count;
    struct pt_wallet wallet;            /* With every line (wallet.lines), newest first. */
    struct pt_referral_view referrals;  /* Its own referral and all it made. */
    struct pt_activity_row *activities; /* Newest first. */
    unsigned activity_count;
    struct pt_survey_response *survey_responses; /* Newest first (its answers as text). */
    unsigned survey_response_count;
    unsigned rows; /* Rows read in all, at most PT_EXPORT_ROWS_MAX. */
};

/* Reads everything held about member_id (of who's program) in one read. PT_ENOTFOUND for a
 * member not of the program; PT_ELIMIT (limit_exceeded) when it holds more than
 * PT_EXPORT_ROWS_MAX rows (the member's paged lists read them all). OUT: *out in arena. */
PT_MUSTCHECK enum pt_rc pt_service_member_export(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *member_id, struct pt_arena *arena,
                                                 struct pt_member_export *out, struct pt_err *err);

#endif
