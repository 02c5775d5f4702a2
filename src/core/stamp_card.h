/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards (docs/stamp-cards.md): a card of the program, a member's instances of it, and the
 * stamps a purchase added to a card.
 */
#ifndef PT_CORE_STAMP_CARD_H
#define PT_CORE_STAMP_CARD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/limits.h"
#include "core/fields.h"

/* reward.points of a card: at most a billion. */
#define PT_STAMP_CARD_REWARD_POINTS_MAX 1000000000LL

struct pt_rule;

enum pt_stamp_card_status {
    PT_STAMP_CARD_ACTIVE,
    PT_STAMP_CARD_PAUSED,
    PT_STAMP_CARD_ARCHIVED,
    PT_STAMP_CARD_STATUSES,
};

/* The statuses' names, as the API and the store spell them. */
extern const char *const pt_stamp_card_status_names[PT_STAMP_CARD_STATUSES];

struct pt_stamp_card {
    char id[PT_ID_BUF_BYTES]; /* "stc_..." */
    const char *name;         /* arena */
    enum pt_stamp_card_status status;
    int64_t stamps_required; /* 1..PT_STAMPS_REQUIRED_MAX */
    bool per_item;           /* A stamp per unit of the selected items (else per purchase). */
    const char *conditions;  /* JSON of the rule condition; nullable; arena */
    const char *items;       /* JSON of the item selector; nullable; arena */
    const char *document;    /* The rule document evaluated on purchases; arena */
    int64_t reward_points;   /* Given at completion (> 0 unless reward_id). */
    const char *reward_id;   /* Or a reward of the catalog whose coupon is given; nullable. */
    int64_t valid_days;      /* An instance is open this long from its first stamp; 0 = always. */
    int64_t created_at_ms;
    int64_t updated_at_ms;
};

/* One card of one member: the instances are numbered from 1; at most one is open. */
struct pt_member_stamp_card {
    char card_id[PT_ID_BUF_BYTES];
    int64_t n;
    const char *status; /* "open", "completed", "expired"; static */
    int64_t stamps;
    int64_t started_at_ms;
    int64_t expires_at_ms; /* 0 = never */
    int64_t completed_at_ms;
    int64_t reward_points;
    char entry_id[PT_ID_BUF_BYTES]; /* The reward's entry ("" before completion) */
    int64_t stamps_returned;        /* Completed: of its stamps, those returns took back. */
    /* The coupon its completion gave (a card whose reward is of the catalog); "" when none. */
    char coupon_code[PT_ID_BUF_BYTES];
};

/* The stamps of a purchase on one card. */
struct pt_purchase_stamps {
    char card_id[PT_ID_BUF_BYTES];
    int64_t stamps;         /* Added by the purchase. */
    int64_t stamps_removed; /* Its returns' share so far (in proportion to the amount). */
    int64_t card_n;         /* The member's instance the purchase left open. */
    int64_t on_open;        /* Of its stamps, those still on that instance to take back. */
    int64_t completed; /* Of its stamps, those in the instances it completed (before card_n). */
    int64_t completed_returned; /* Of those, what its returns took back. */
};

/* A card's fields as the API takes them (between its id and its times), with their limits. */
#define PT_STAMP_CARD_FIELD_COUNT 8
extern const struct pt_field pt_stamp_card_fields[PT_STAMP_CARD_FIELD_COUNT];

/* Checks card c (its table, then its reward) and compiles its rule document (the condition and
 * items the engine reads). PT_EINVAL naming the field; OUT: *compiled, in arena. */
PT_MUSTCHECK enum pt_rc pt_stamp_card_validate(const struct pt_stamp_card *c,
                                               struct pt_arena *arena,
                                               const struct pt_rule **compiled, struct pt_err *err);
/* Starts a new instance c of card at its first stamp, now_ms: its clock (valid_days). */
void pt_stamp_card_start(struct pt_member_stamp_card *c, const struct pt_stamp_card *card,
                         int64_t now_ms);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No stamp card has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_stamp_card_not_found(const char *card_id, struct pt_err *err);

/* The member holds no stamps on that card (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_stamps_not_found(const char *card_id, struct pt_err *err);

#endif
