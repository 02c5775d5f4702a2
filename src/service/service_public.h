/* SPDX-License-Identifier: MIT */
/*
 * The use cases of a program's public face (public.c; issue 19): what the member portal and a
 * web shop's script may read without a member's or a staff key, and what a publishable key may
 * read of one member. Part of the door: include service/service.h, which includes this header.
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

#endif
