/* SPDX-License-Identifier: MIT */
/*
 * Inquiries and staff notes on members (inquiries.c; docs/crm.md). Include it beside
 * service/service.h. A member's session (who->kind PT_PRINCIPAL_MEMBER) sees only its own
 * inquiries (another's is 404) and no internal reply.
 */
#ifndef PT_SERVICE_SERVICE_INQUIRIES_H
#define PT_SERVICE_SERVICE_INQUIRIES_H

#include "core/inquiry.h"
#include "service/service.h"
#include "store/store.h"

/* Changes the stored inquiry (in the write): the request's merge patch. */
typedef enum pt_rc (*pt_inquiry_patch_fn)(void *ctx, struct pt_arena *arena, struct pt_inquiry *q,
                                          struct pt_err *err);

/* Creates q (validated here; its id, status open and times are set). A member's session
 * creates for itself only. PT_EINVAL (member_id or assignee not of the program, named);
 * PT_ELIMIT too_many_inquiries past PT_INQUIRIES_PER_MEMBER_MAX. Event
 * inquiry.created. */
PT_MUSTCHECK enum pt_rc pt_service_inquiry_create(struct pt_service *svc,
                                                  const struct pt_principal *who,
                                                  struct pt_inquiry *q, struct pt_idem *idem,
                                                  struct pt_arena *arena, struct pt_err *err);
/* The inquiry and its replies (oldest first; without the internal ones for a member).
 * PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_service_inquiry_get(struct pt_service *svc,
                                               const struct pt_principal *who, const char *id,
                                               struct pt_arena *arena, struct pt_inquiry *out,
                                               struct pt_inquiry_reply **replies,
                                               unsigned *reply_count, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_inquiry_list(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                struct pt_inquiry_filter *f, const char *cursor_id,
                                                unsigned limit, struct pt_arena *arena,
                                                struct pt_inquiry **out, unsigned *count,
                                                struct pt_err *err);
/* Applies patch to the stored inquiry in one write: a status move not in the table is 409
 * status_move_refused; an assignee not a user of the program PT_EINVAL. Events
 * inquiry.updated, and inquiry.resolved on a move to resolved. */
PT_MUSTCHECK enum pt_rc pt_service_inquiry_update(struct pt_service *svc,
                                                  const struct pt_principal *who, const char *id,
                                                  pt_inquiry_patch_fn patch, void *patch_ctx,
                                                  struct pt_arena *arena, struct pt_inquiry *out,
                                                  struct pt_err *err);
/* Adds r to the inquiry (r->author and r->internal as asked; a member's session replies as
 * the member, never internal). The first staff reply that is not internal records the
 * inquiry's first response. PT_ELIMIT too_many_replies; 409 inquiry_closed. Event
 * inquiry.replied. */
PT_MUSTCHECK enum pt_rc pt_service_inquiry_reply(struct pt_service *svc,
                                                 const struct pt_principal *who, const char *id,
                                                 struct pt_inquiry_reply *r, struct pt_idem *idem,
                                                 struct pt_arena *arena, struct pt_err *err);
/* Adds a staff note on the member (author: the session's user, else the key). PT_ENOTFOUND;
 * PT_EINVAL body; PT_ELIMIT too_many_notes. */
PT_MUSTCHECK enum pt_rc pt_service_note_create(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               struct pt_member_note *n, struct pt_idem *idem,
                                               struct pt_arena *arena, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_note_list(struct pt_service *svc, const struct pt_principal *who,
                                             const char *member_id, const char *cursor_id,
                                             unsigned limit, struct pt_arena *arena,
                                             struct pt_member_note **out, unsigned *count,
                                             struct pt_err *err);

/* What the member's export holds of inquiries and notes (docs/crm.md, "In the export"). */
struct pt_inquiry_export {
    struct pt_inquiry *inquiries; /* The member's, newest first. */
    unsigned inquiry_count;
    struct pt_inquiry_reply **replies; /* [i]: inquiry i's replies, internal ones too. */
    unsigned *reply_counts;
    struct pt_member_note *notes; /* Newest first. */
    unsigned note_count;
};

/* Everything held about the member's inquiries and the staff notes on it, in one read.
 * PT_ELIMIT (limit_exceeded) past PT_EXPORT_ROWS_MAX rows; PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_service_inquiry_export(struct pt_service *svc,
                                                  const struct pt_principal *who,
                                                  const char *member_id, struct pt_arena *arena,
                                                  struct pt_inquiry_export *out,
                                                  struct pt_err *err);

#endif
