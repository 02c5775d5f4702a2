/* SPDX-License-Identifier: MIT */
/*
 * The embed's use cases (embed.c; docs/web.md, "The publishable key and the member token"): the
 * program's signing secret and the member a shop's signed token names. Part of the door:
 * include service/service.h, which includes this header.
 */
#ifndef PT_SERVICE_SERVICE_EMBED_H
#define PT_SERVICE_SERVICE_EMBED_H

#include "service/service.h"

/* A newly drawn embed signing secret: shown once, in hex. */
struct pt_embed_secret {
    char hex[2 * PT_EMBED_SECRET_BYTES + 1];
    int64_t created_at_ms;
};

/* Draws a new embed signing secret for the principal's program, in place of the one before
 * (whose tokens then fail). OUT: *out. */
PT_MUSTCHECK enum pt_rc pt_service_embed_secret_draw(struct pt_service *svc,
                                                     const struct pt_principal *who,
                                                     struct pt_embed_secret *out,
                                                     struct pt_err *err);

/* What GET /v1/embed/member shows of the token's member: nothing personal. */
struct pt_embed_member {
    char member_id[PT_ID_BUF_BYTES];
    int64_t points_available;
    const char *tier; /* The member's tier's name (arena), NULL in a program without tiers. */
    char currency[4];
};

/* The member a member token (token, len bytes) names, in the principal's program. PT_EAUTH
 * with code invalid_member_token when the token is malformed, forged, expired, more than a
 * day ahead, signed while the program had no secret, or names a member that is not an active
 * or suspended member of the program. */
PT_MUSTCHECK enum pt_rc pt_service_embed_member(struct pt_service *svc,
                                                const struct pt_principal *who, const char *token,
                                                size_t len, struct pt_arena *arena,
                                                struct pt_embed_member *out, struct pt_err *err);

#endif
