/* SPDX-License-Identifier: MIT */
/*
 * Inquiries (service requests) and staff notes on a member (docs/crm.md): what they hold, what
 * a valid one is, and the moves of an inquiry's status (the table in docs/crm.md, "Status
 * moves"). Pure: strings are borrowed, times are passed in.
 */
#ifndef PT_CORE_INQUIRY_H
#define PT_CORE_INQUIRY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

enum pt_inquiry_channel {
    PT_INQUIRY_EMAIL,
    PT_INQUIRY_PHONE,
    PT_INQUIRY_CHAT,
    PT_INQUIRY_IN_STORE,
    PT_INQUIRY_WEB,
    PT_INQUIRY_SOCIAL,
    PT_INQUIRY_CHANNELS,
};

enum pt_inquiry_status {
    PT_INQUIRY_OPEN,
    PT_INQUIRY_PENDING,
    PT_INQUIRY_RESOLVED,
    PT_INQUIRY_CLOSED,
    PT_INQUIRY_STATUSES,
};

enum pt_inquiry_priority {
    PT_INQUIRY_LOW,
    PT_INQUIRY_NORMAL,
    PT_INQUIRY_HIGH,
    PT_INQUIRY_URGENT,
    PT_INQUIRY_PRIORITIES,
};

enum pt_reply_author {
    PT_REPLY_STAFF,  /* A user or a key of the program (author_id names it). */
    PT_REPLY_MEMBER, /* The one who asked: the member, or the contact (author_id "" then). */
    PT_REPLY_AUTHORS,
};

/* As the API and the store spell them. */
extern const char *const pt_inquiry_channel_names[PT_INQUIRY_CHANNELS];
extern const char *const pt_inquiry_status_names[PT_INQUIRY_STATUSES];
extern const char *const pt_inquiry_priority_names[PT_INQUIRY_PRIORITIES];
extern const char *const pt_reply_author_names[PT_REPLY_AUTHORS];

struct pt_inquiry {
    char id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES]; /* "" for a contact without membership. */
    const char *contact_name;        /* Each NULL when not given. */
    const char *contact_email;
    const char *contact_phone;
    enum pt_inquiry_channel channel;
    const char *subject;
    const char *body;
    enum pt_inquiry_status status;
    enum pt_inquiry_priority priority;
    char assignee[PT_ID_BUF_BYTES]; /* A user's id, "" for none. */
    const char *const *tags;
    unsigned tag_count;
    int64_t created_at_ms;
    int64_t updated_at_ms;
    int64_t first_response_at_ms; /* The first staff reply that is not internal; 0: none yet. */
    int64_t resolved_at_ms;       /* The last move to resolved; 0: not resolved now. */
    int64_t replies;              /* How many replies it has (internal ones too). */
    int64_t internal_replies;     /* How many of them are internal. */
};

struct pt_inquiry_reply {
    char id[PT_ID_BUF_BYTES];
    char inquiry_id[PT_ID_BUF_BYTES];
    enum pt_reply_author author;
    char author_id[PT_ID_BUF_BYTES]; /* A user's or key's id (staff), the member's, or "". */
    bool internal;                   /* Staff only; never shown to the member. */
    const char *body;
    int64_t created_at_ms;
};

struct pt_member_note {
    char id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    const char *body;
    bool pinned;
    char author_id[PT_ID_BUF_BYTES]; /* The user's id for a session, else the key's. */
    int64_t created_at_ms;
};

/* Whether an inquiry may move from one status to another (docs/crm.md, "Status moves"). A
 * "move" to the same status is no move: false here, and a PATCH leaves the status alone. */
bool pt_inquiry_move_allowed(enum pt_inquiry_status from, enum pt_inquiry_status to);

/* PT_EINVAL naming the field: subject 1..PT_INQUIRY_SUBJECT_MAX, body 1..PT_INQUIRY_BODY_MAX,
 * tags (at most PT_INQUIRY_TAGS_MAX of 1..PT_INQUIRY_TAG_MAX bytes, no control character, no
 * two alike), the contact's fields, and at least one way to reach the one who asked: a member,
 * or a contact with an email or a phone. Texts hold no control character except, in a body,
 * line breaks and tabs. */
PT_MUSTCHECK enum pt_rc pt_inquiry_validate(const struct pt_inquiry *q, struct pt_err *err);

/* PT_EINVAL naming "body": 1..max bytes, no control character but line breaks and tabs. */
PT_MUSTCHECK enum pt_rc pt_inquiry_text_check(const char *text, const char *field, size_t max,
                                              bool multiline, struct pt_err *err);

/* Seconds from created to at (0: none yet), or -1 when there is none. */
int64_t pt_inquiry_seconds(int64_t created_at_ms, int64_t at_ms);

#endif
