/* SPDX-License-Identifier: MIT */
/*
 * The rules engine: earning rules and cart promotions (docs/rules.md).
 *
 * A rule is a JSON document of the program. pt_rule_compile parses and validates it once into
 * a compiled form (conditions as a flat array of nodes, effects as a small array), reporting the
 * first problem with the JSON path of the offending part ("conditions.all.1.gte"). Rule
 * documents are the one JSON that core reads itself: they are documents of the domain, stored
 * as written, and the same compiler serves the API, the stored rules and the fuzz target.
 *
 * pt_rules_evaluate applies a set of compiled rules to a cart (or an activity) and answers
 * every effect: points by rule, discounts by line, free items, free shipping, messages, and
 * nudges for rules that are nearly met. It is a pure function of its inputs (the caller passes
 * the time as facts and each rule's remaining limits), so a cart evaluated twice, or evaluated
 * and then applied, gives the same answer. Work is bounded: rules per set, nodes and depth per
 * rule, items per cart are all limited below.
 *
 * Adding an effect: one entry in the effect table of rules_effects.c (its name, how it is
 * parsed, how it applies and what nudge it gives), one value of enum pt_effect_type.
 */
#ifndef PT_CORE_RULES_H
#define PT_CORE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/limits.h"
#include "core/ledger.h"
#include "core/payment.h"
#include "core/tiers.h"

#define PT_RULE_DOC_BYTES_MAX (16 * 1024) /* A rule document. */
#define PT_RULE_NODES_MAX 64              /* Condition nodes of one rule (both trees). */
#define PT_RULE_DEPTH_MAX 8               /* Nesting of all/any/not. */
#define PT_RULE_EFFECTS_MAX 8
#define PT_RULE_LIST_MAX 32          /* Values of one `in` list. */
#define PT_RULE_TEXT_BYTES_MAX 200   /* A name, a message, a string value. */
#define PT_RULE_KEY_BYTES_MAX 64     /* The key of member.attributes.KEY or activity.KEY. */
#define PT_RULES_PER_PROGRAM_MAX 500 /* Active rules of a program. */
#define PT_CART_ITEMS_MAX PT_PURCHASE_ITEMS_MAX /* Lines of an evaluated cart: a purchase's. */
#define PT_CART_COUPONS_MAX 10
/* A text of a cart or its lines (category, channel, location; a SKU is an external id): rules
 * search them (`contains`), so their length is part of an evaluation's cost. */
#define PT_CART_TEXT_BYTES_MAX PT_EXTERNAL_ID_BYTES_MAX
/* Rules one evaluation takes: the active ones, in a what-if a changed rule and a draft, and
 * one per coupon of the cart (docs/rewards.md). */
#define PT_RULES_EVALUATED_MAX (PT_RULES_PER_PROGRAM_MAX + 2 + PT_CART_COUPONS_MAX)
#define PT_RULE_NUDGES_MAX 8 /* Nudges in one answer, the nearest first. */
/* The evaluation cost a program's active rules may reach at the largest cart when a rule is
 * saved: the bound of one evaluation (limits.h) less room for the rules that a cart's coupons
 * add (each costs at most PT_COUPON_RULE_LINE_COST per line: a coupon whose reward names 32
 * SKUs and 32 categories selects its lines with two `in` lists, 80 a line;
 * tests/unit/core/test_rules.c). */
#define PT_COUPON_RULE_LINE_COST 80
#define PT_RULES_SAVE_COST_MAX                                                                     \
    (PT_RULES_EVAL_COST_MAX -                                                                      \
     (int64_t)PT_CART_COUPONS_MAX * PT_COUPON_RULE_LINE_COST * (PT_CART_ITEMS_MAX + 1))
_Static_assert(PT_RULES_SAVE_COST_MAX > PT_RULES_EVAL_COST_MAX / 2, "coupons take little room");
/* A threshold is "nearly met" when what is missing is at most this percentage of it. */
#define PT_NUDGE_WITHIN_PERCENT 50

enum pt_rule_trigger {
    PT_TRIGGER_PURCHASE,
    PT_TRIGGER_ACTIVITY, /* activity:<type> */
    PT_TRIGGER_ENROLLMENT,
    PT_TRIGGER_BIRTHDAY,
};

enum pt_rule_status {
    PT_RULE_DRAFT,
    PT_RULE_ACTIVE,
    PT_RULE_PAUSED,
    PT_RULE_ARCHIVED,
};

/* The facts a condition can test; see docs/rules.md for each. */
enum pt_fact {
    PT_FACT_CART_AMOUNT,
    PT_FACT_CART_ITEM_COUNT,
    PT_FACT_CART_CHANNEL,
    PT_FACT_CART_LOCATION,
    PT_FACT_CART_COUPONS,
    PT_FACT_ITEM_SKU,
    PT_FACT_ITEM_CATEGORY,
    PT_FACT_ITEM_QUANTITY,
    PT_FACT_ITEM_UNIT_PRICE,
    PT_FACT_SELECTED_QUANTITY,  /* Units of the items the rule's `items` selects. */
    PT_FACT_SELECTED_AMOUNT,    /* Their amount in minor units. */
    PT_FACT_CART_REMAINING,     /* What is left to pay of the cart after the discounts so far. */
    PT_FACT_SELECTED_REMAINING, /* What is left to pay of the selected items. */
    /* What the cart's payments pay by each method (core/payment.h), in its order; absent when
     * the cart names no payments. */
    PT_FACT_PAYMENT_CARD,
    PT_FACT_PAYMENT_CASH,
    PT_FACT_PAYMENT_POINTS,
    PT_FACT_PAYMENT_WALLET,
    PT_FACT_PAYMENT_OTHER,
    PT_FACT_MEMBER_TIER,
    PT_FACT_MEMBER_ATTRIBUTE, /* member.attributes.KEY */
    PT_FACT_MEMBER_BIRTH_MONTH,
    PT_FACT_MEMBER_DAYS_SINCE_ENROLLMENT,
    PT_FACT_MEMBER_PURCHASE_COUNT,
    PT_FACT_MEMBER_CITY,
    PT_FACT_MEMBER_COUNTRY,
    PT_FACT_TIME_WEEKDAY,      /* 1 = Monday … 7 = Sunday, in the program's time zone. */
    PT_FACT_TIME_HOUR,         /* 0 … 23 */
    PT_FACT_TIME_DATE,         /* "YYYY-MM-DD" */
    PT_FACT_ACTIVITY_PROPERTY, /* activity.KEY */
};

enum pt_rule_op {
    PT_OP_EQ,
    PT_OP_NE,
    PT_OP_LT,
    PT_OP_LTE,
    PT_OP_GT,
    PT_OP_GTE,
    PT_OP_IN,
    PT_OP_BETWEEN,
    PT_OP_CONTAINS,
};

enum pt_value_kind {
    PT_VALUE_NONE, /* A fact without a value (no member, attribute absent). */
    PT_VALUE_INT,
    PT_VALUE_TEXT,
    PT_VALUE_BOOL,
};

struct pt_value {
    enum pt_value_kind kind;
    int64_t i;     /* INT, BOOL (0/1) */
    const char *s; /* TEXT; arena */
    uint32_t h;    /* TEXT: a hash of s that tells most unequal strings apart; 0 = unknown */
};

/* The hash of a TEXT value's s (a rule built outside pt_rule_compile must set it). */
uint32_t pt_rule_text_hash(const char *s);

enum pt_node_kind {
    PT_NODE_ALL,
    PT_NODE_ANY,
    PT_NODE_NOT,
    PT_NODE_TEST,
};

/* One node of a condition tree; the children of ALL/ANY/NOT are contiguous. */
struct pt_rule_node {
    enum pt_node_kind kind;
    uint16_t first; /* ALL/ANY/NOT: index of the first child. */
    uint16_t count; /* ALL/ANY/NOT: number of children (NOT: 1). */
    enum pt_rule_op op;
    enum pt_fact fact;
    const char *key;             /* MEMBER_ATTRIBUTE, ACTIVITY_PROPERTY; arena */
    struct pt_value a, b;        /* Operands: a; BETWEEN a..b (inclusive). */
    const struct pt_value *list; /* IN: the values; arena */
    uint16_t list_count;
};

enum pt_effect_type {
    PT_EFFECT_AWARD_POINTS,
    PT_EFFECT_DISCOUNT,
    PT_EFFECT_FREE_ITEMS,
    PT_EFFECT_FREE_SHIPPING,
    PT_EFFECT_MESSAGE,
    PT_EFFECT_ADD_STAMPS, /* docs/stamp-cards.md */
    PT_EFFECT_CASHBACK,   /* docs/wallets.md */
    PT_EFFECT_DISCOUNT_CHEAPEST,
    PT_EFFECT_GET_PRODUCT,
    /* A coupon of the catalog for a later purchase (docs/rules.md). */
    PT_EFFECT_ISSUE_COUPON,
    PT_EFFECT_TYPES, /* count */
};

struct pt_rule_effect {
    enum pt_effect_type type;
    bool on_items; /* Applies to the selected items (else the cart). */
    /* award_points: fixed `points`; or `points` per `per_amount` of the amount; or a
     * `multiplier` of the base earn, in hundredths (300 = 3×). */
    int64_t points;
    int64_t per_amount;
    int64_t multiplier_pct;
    /* discount: `percent` in hundredths of a percent (1000 = 10%), or an `amount`. */
    int64_t percent_bp;
    int64_t amount;
    /* free_items: buy `buy`, get `get` free (the cheapest of each buy + get units). */
    int64_t buy;
    int64_t get;
    /* Any discount: at most this much off per application (a discount applies once; free_items
     * once per group) and per cart, minor units; 0: no cap. */
    int64_t max_per_application;
    int64_t max_per_cart;
    /* discount_cheapest: `percent_bp` off the `units` cheapest units. get_product: for every
     * `buy` units of the selected items, `get` units of product `sku` at `percent_bp` off, at
     * most `max_applications` times a cart (0: no limit). */
    int64_t units;
    const char *sku; /* arena */
    int64_t max_applications;
    const char *text; /* message; arena */
    /* add_stamps: `stamps` on stamp card `card`, per purchase or per selected unit. */
    const char *card; /* arena */
    int64_t stamps;
    bool per_item;
    /* cashback: percent_bp of what is left to pay of the eligible lines, to the wallet. */
    /* issue_coupon: the reward of the catalog ("rwd_...") whose coupon the member is given. */
    const char *reward; /* arena */
};

struct pt_rule {
    /* Set by the caller (the store's identity of the rule), not by the document. */
    char id[PT_ID_BUF_BYTES];
    int64_t version;
    /* From the document. */
    const char *name;
    enum pt_rule_trigger trigger;
    const char *activity_type; /* PT_TRIGGER_ACTIVITY; arena */
    int root;                  /* Condition tree root, -1 = always. */
    int items_root;            /* Item selector root, -1 = the rule does not select items. */
    struct pt_rule_node nodes[PT_RULE_NODES_MAX];
    unsigned node_count;
    struct pt_rule_effect effects[PT_RULE_EFFECTS_MAX];
    unsigned effect_count;
    unsigned messages; /* Effects of type message. */
    int64_t priority;  /* Higher first; ties by id. */
    bool exclusive;    /* When it fires, lower-priority rules are not evaluated. */
    /* Shown to members among the program's offers (GET /v1/public/program), with description
     * (arena; NULL when none, else 1..PT_RULE_DESCRIPTION_BYTES_MAX bytes). */
    bool is_public;
    const char *description;
    /* A coupon's rule (built by the service, not from a document), and whether the coupon
     * combines with an exclusive rule (pt_rules_evaluate_offers). */
    bool coupon;
    bool combines;
    int64_t valid_from_ms; /* INT64_MIN when open. */
    int64_t valid_to_ms;   /* INT64_MAX when open; exclusive end. */
    enum pt_rule_status status;
    int64_t max_uses_per_member;           /* 0 = no limit */
    int64_t max_points_per_member_per_day; /* 0 = no limit */
    int64_t budget_points;                 /* 0 = no limit */
    int64_t max_uses;                      /* Uses across all members; 0 = no limit */
    int64_t
        budget_amount; /* Minor units it may give off and back (discounts, cashback); 0 = none */
    /* Its evaluation cost (pt_rule_eval_cost), counted once by pt_rule_compile: per cart line,
     * and for the rule itself. A rule built by hand leaves cost_known false and is counted on
     * every call. */
    bool cost_known;
    int64_t cost_per_line;
    int64_t cost_fixed;
};

/*
 * Parses and validates the rule document doc (len bytes of JSON) into out; strings go to
 * arena. PT_EINVAL with err->field the JSON path of the first problem (code
 * "validation_failed"), PT_ELIMIT when a limit above is passed.
 */
PT_MUSTCHECK enum pt_rc pt_rule_compile(const char *doc, size_t len, struct pt_arena *arena,
                                        struct pt_rule *out, struct pt_err *err);

const char *pt_rule_status_name(enum pt_rule_status s);
PT_MUSTCHECK enum pt_rc pt_rule_status_parse(const char *s, enum pt_rule_status *out,
                                             struct pt_err *err);

/* ---- Evaluation ---- */

struct pt_cart_item {
    const char *sku;
    const char *category; /* nullable */
    int64_t quantity;     /* >= 1 */
    int64_t unit_price;   /* minor units, >= 0 */
    bool eligible;        /* Earns base points (not in an excluded category). */
    /* Taken off the line before anything else, as a discount: a return's kept line, its share
     * of what the purchase's coupons took off it (they are not judged again). 0 to the line's
     * amount. */
    int64_t taken;
};

struct pt_cart {
    const struct pt_cart_item *items;
    unsigned item_count;  /* <= PT_CART_ITEMS_MAX */
    const char *channel;  /* nullable */
    const char *location; /* nullable */
    const char *const *coupons;
    unsigned coupon_count; /* <= PT_CART_COUPONS_MAX */
    int64_t discount;      /* Given at the till outside the rules; taken first, over all lines. */
    /* How it is paid (nullable: not said). Points and wallet money are taken off what earns
     * after every discount, unless the program says they earn (core/payment.h). */
    const struct pt_tender *tender;
};

struct pt_rule_member {
    bool known;             /* false for a guest cart: every member fact is absent. */
    const char *tier;       /* nullable */
    const char *attributes; /* The member's attributes, a JSON object; nullable. */
    int64_t birth_month;    /* 1..12, 0 when unknown */
    int64_t days_since_enrollment;
    int64_t purchase_count; /* Purchases before this one. */
    const char *city;
    const char *country;
};

struct pt_rule_time {
    int64_t now_ms;  /* Checks valid_from/valid_to. */
    int64_t weekday; /* 1..7, Monday = 1, in the program's time zone. */
    int64_t hour;    /* 0..23 */
    char date[11];   /* "YYYY-MM-DD" */
};

struct pt_activity {
    const char *type;
    const char *properties; /* A JSON object; nullable. */
};

/* What a rule may still give this member now (the caller reads it from the store). */
struct pt_rule_room {
    int64_t uses;         /* Uses left for the member; INT64_MAX when unlimited. */
    int64_t points_today; /* Points left for the member today; INT64_MAX when unlimited. */
    int64_t budget;       /* Points left in the rule's budget; INT64_MAX when unlimited. */
    int64_t uses_all;     /* Uses left across all members; INT64_MAX when unlimited. */
    int64_t amount;       /* Money left in its budget_amount, minor units; INT64_MAX: none. */
    /* Its issue_coupon's reward cannot give a coupon now (not active, outside its validity,
     * out of stock): an exclusive rule with only that effect gives nothing and does not end
     * the evaluation (the purchase still says why no coupon came). */
    bool coupon_out;
};

/* What a rule has given in all: its uses, points and money (rule_budgets). */
struct pt_rule_budget {
    int64_t points_issued;
    int64_t uses;
    int64_t amount_issued;
};

/* The room of a rule with no limits. */
void pt_rule_room_unlimited(struct pt_rule_room *room);
/* The room of rule r given what it has given (budget; NULL: nothing read, no budget limits)
 * and the member's usage of it (uses, points today: 0 when none). */
void pt_rule_room_of(const struct pt_rule *r, const struct pt_rule_budget *budget,
                     int64_t member_uses, int64_t member_points_today, struct pt_rule_room *room);
/* Whether r has a limit read from its budget row (budget_points, max_uses, budget_amount). */
bool pt_rule_has_budget(const struct pt_rule *r);

struct pt_eval_input {
    enum pt_rule_trigger trigger;
    const char *activity_type;  /* ACTIVITY */
    const struct pt_cart *cart; /* PURCHASE; an empty cart otherwise */
    const struct pt_rule_member *member;
    const struct pt_rule_time *time;
    const struct pt_activity *activity; /* ACTIVITY; nullable */
    struct pt_earn_rate earn_rate;      /* The program's base rate. */
    const struct pt_tier *tier;         /* The member's tier (its earn multiplier); nullable. */
    /* The program's active stamp cards: add_stamps to any other card gives nothing. */
    const char *const *active_cards;
    unsigned active_card_count;
    const char *currency;  /* For the nudges' texts. */
    int currency_exponent; /* Minor unit digits: 2 for EUR, 0 for JPY. */
};

/* What one rule gave. */
struct pt_rule_outcome {
    unsigned rule;      /* Index into the rule set. */
    int64_t points;     /* After the rule's limits. */
    int64_t discount;   /* Minor units. */
    int64_t free_units; /* Units made free by free_items. */
    bool free_shipping;
    bool capped;            /* Points were cut by a limit or the budget. */
    const char *stamp_card; /* add_stamps: the card (NULL when none) */
    int64_t stamps;         /* Stamps it adds to stamp_card. */
    int64_t cashback;       /* Minor units to the member's wallet. */
    /* issue_coupon: the reward of the coupon it gives (NULL: none). */
    const char *coupon_reward;
};

struct pt_nudge {
    unsigned rule;
    enum pt_fact fact; /* CART_AMOUNT/SELECTED_AMOUNT (missing minor units) or a count. */
    int64_t missing;   /* > 0 */
    int64_t need;      /* The threshold (or group size) it is missing from. */
    const char *text;  /* "Spend 12.50 USD more: Double points over 50"; arena */
    const char *sku;   /* A product to add (get_product), NULL otherwise; borrowed */
};

struct pt_eval_result {
    int64_t base_points;    /* The program's rate on what is eligible, after discounts. */
    int64_t tier_points;    /* What the tier's earn multiplier adds to base_points. */
    int64_t rule_points;    /* Sum of the outcomes' points. */
    int64_t points;         /* base_points + tier_points + rule_points */
    int64_t discount;       /* Sum of the line discounts. */
    int64_t *line_discount; /* Per cart item; arena; NULL for an empty cart. */
    int64_t *line_coupon;   /* Of it, what the cart's coupons took off; likewise. */
    int64_t amount;         /* The cart's amount before discounts. */
    int64_t cashback;       /* Sum of the outcomes' cashback, minor units. */
    bool free_shipping;
    struct pt_rule_outcome *outcomes; /* Rules that fired, in evaluation order; arena */
    unsigned outcome_count;
    const char **messages; /* Of the rules that fired; arena */
    unsigned message_count;
    struct pt_nudge nudges[PT_RULE_NUDGES_MAX];
    unsigned nudge_count;
};

/*
 * The work of evaluating rule r on a cart of lines lines (<= PT_CART_ITEMS_MAX), in units of
 * one test of one value against one line (src/core/rules_cost.c tells what is counted). A
 * pure function of the compiled rule: callers bound it before evaluating, and may charge it.
 */
int64_t pt_rule_eval_cost(const struct pt_rule *r, unsigned lines);
/* Counts r's cost once into r->cost_per_line and r->cost_fixed (pt_rule_compile calls it). */
void pt_rule_cost_prepare(struct pt_rule *r);
/* The work of one evaluation of rules[0..count) (count <= PT_RULES_EVALUATED_MAX) for trigger
 * on a cart of lines lines: the rules of that trigger and the lines themselves.
 * pt_rules_evaluate refuses an evaluation over PT_RULES_EVAL_COST_MAX with PT_ELIMIT. */
int64_t pt_rules_eval_cost(const struct pt_rule *const *rules, unsigned count,
                           enum pt_rule_trigger trigger, unsigned lines);

/* The evaluation order: higher priority first, then by id. A caller that passes its rules in
 * this order saves the evaluation a sort. */
int pt_rules_compare(const struct pt_rule *a, const struct pt_rule *b);

/*
 * Evaluates rules[0..count) (the caller passes the active ones of the trigger; any order:
 * they are evaluated by priority, then id) with room[i] the limits left of rules[i]. Rules
 * outside their validity window or without room do not fire. OUT: *out (arrays in arena).
 * PT_ELIMIT when the cart or the set passes a limit, among them the cost of the evaluation
 * (pt_rules_eval_cost over PT_RULES_EVAL_COST_MAX: code limit_exceeded, field items, nothing
 * evaluated), PT_ENOMEM when the arena is full.
 */
PT_MUSTCHECK enum pt_rc pt_rules_evaluate(const struct pt_rule *const *rules,
                                          const struct pt_rule_room *room, unsigned count,
                                          const struct pt_eval_input *in, struct pt_arena *arena,
                                          struct pt_eval_result *out, struct pt_err *err);

/* ---- Stored rules, their usage, activities ---- */

struct pt_rule_row {
    char id[PT_ID_BUF_BYTES]; /* "rul_..." */
    int64_t version;          /* 1 on creation, +1 on every change */
    enum pt_rule_status status;
    const char *name;    /* arena */
    const char *trigger; /* "purchase", "activity:review", ...; arena */
    int64_t priority;
    const char *document; /* The rule document (JSON) without status; arena */
    const char *key_id;   /* The key that made this version; nullable; arena */
    int64_t created_at_ms;
    int64_t updated_at_ms; /* When this version was made. */
    int64_t points_issued; /* Against the budget (read only). */
    int64_t uses;          /* Across all members (read only). */
    int64_t amount_issued; /* Against budget_amount (read only). */
};

/* What one rule gave one member: uses, and points on `day` (the program's local date). */
struct pt_rule_usage {
    char rule_id[PT_ID_BUF_BYTES];
    int64_t uses;
    int64_t points;
    char day[11];
    int64_t points_day;
};

struct pt_activity_row {
    char id[PT_ID_BUF_BYTES]; /* "act_..." */
    char member_id[PT_ID_BUF_BYTES];
    const char *external_id; /* unique in the program (member_keys kind "activity") */
    const char *type;
    int64_t occurred_at_ms;
    const char *properties; /* JSON object text */
    int64_t points_earned;
    char entry_id[PT_ID_BUF_BYTES]; /* "" when it earned nothing */
    int64_t created_at_ms;
};

/* The allowed moves of a rule's status: PT_ELIMIT rule_archived from archived (final),
 * rule_not_active when pausing a draft. */
PT_MUSTCHECK enum pt_rc pt_rule_status_move(enum pt_rule_status from, enum pt_rule_status to,
                                            struct pt_err *err);

/* The refusal of a rule's use that would take the member's usage past PT_METRIC_MAX
 * (PT_ELIMIT limit_exceeded, field points): the store's guard. */
PT_MUSTCHECK enum pt_rc pt_rule_usage_refused(struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No rule has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_rule_not_found(struct pt_err *err);

/* The rule was changed by another write since it was read (PT_EBUSY). */
PT_MUSTCHECK enum pt_rc pt_rule_changed(struct pt_err *err);

/* Why pt_rules_evaluate_offers left a rule out. */
enum pt_rule_drop {
    PT_RULE_KEPT,
    PT_RULE_STOPPED_BY_EXCLUSIVE, /* A coupon's order-wide discount, which does not combine. */
    PT_RULE_NOT_THE_BEST,         /* best_discount_only: another order-wide discount is larger. */
};

/* Order-wide discounts compared for best_discount_only: those that took the most off. */
#define PT_RULES_BEST_CANDIDATES_MAX 4

/* pt_rules_evaluate, then (core/rules_offers.c) without the coupons an exclusive rule stops and,
 * with best_discount_only, with only the largest order-wide discount. OUT: dropped[count], why
 * each rule was left out (PT_RULE_KEPT: it was not); *runs, the evaluations it took (at most
 * 2 + PT_RULES_BEST_CANDIDATES_MAX: the caller charges each). */
PT_MUSTCHECK enum pt_rc
pt_rules_evaluate_offers(const struct pt_rule *const *rules, const struct pt_rule_room *room,
                         unsigned count, const struct pt_eval_input *in, bool best_discount_only,
                         struct pt_arena *arena, struct pt_eval_result *out,
                         enum pt_rule_drop *dropped, unsigned *runs, struct pt_err *err);

#endif
