/* SPDX-License-Identifier: MIT */
/*
 * Inquiries and staff notes (inquiry.h; docs/crm.md): the names, the status moves, validation.
 */
#include "core/inquiry.h"

#include <string.h>

const char *const pt_inquiry_channel_names[PT_INQUIRY_CHANNELS] = {"email",    "phone", "chat",
                                                                   "in_store", "web",   "social"};
const char *const pt_inquiry_status_names[PT_INQUIRY_STATUSES] = {"open", "pending", "resolved",
                                                                  "closed"};
const char *const pt_inquiry_priority_names[PT_INQUIRY_PRIORITIES] = {"low", "normal", "high",
                                                                      "urgent"};
const char *const pt_reply_author_names[PT_REPLY_AUTHORS] = {"staff", "member"};

/* [from][to]: open -> pending, resolved, closed; pending -> open, resolved, closed; resolved ->
 * open (reopened), closed; closed -> nothing (final: a new question is a new inquiry). */
static const bool moves[PT_INQUIRY_STATUSES][PT_INQUIRY_STATUSES] = {
    [PT_INQUIRY_OPEN] =
        {[PT_INQUIRY_PENDING] = true, [PT_INQUIRY_RESOLVED] = true, [PT_INQUIRY_CLOSED] = true},
    [PT_INQUIRY_PENDING] =
        {[PT_INQUIRY_OPEN] = true, [PT_INQUIRY_RESOLVED] = true, [PT_INQUIRY_CLOSED] = true},
    [PT_INQUIRY_RESOLVED] = {[PT_INQUIRY_OPEN] = true, [PT_INQUIRY_CLOSED] = true},
    [PT_INQUIRY_CLOSED] = {false},
};

bool pt_inquiry_move_allowed(enum pt_inquiry_status from, enum pt_inquiry_status to)
{
    if ((unsigned)from >= PT_INQUIRY_STATUSES || (unsigned)to >= PT_INQUIRY_STATUSES) {
        return false;
    }
    return moves[from][to];
}

enum pt_rc pt_inquiry_text_check(const char *text, const char *field, size_t max, bool multiline,
                                 struct pt_err *err)
{
    size_t n = text != NULL ? strlen(text) : 0;
    size_t i;
    if (n == 0 || n > max) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be 1 to %zu characters", field, max);
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        bool allowed_space = multiline && (c == '\n' || c == '\r' || c == '\t');
        if ((c < 0x20 || c == 0x7f) && !allowed_space) {
            return pt_err_set(err, PT_EINVAL, field, "%s holds a control character", field);
        }
    }
    return PT_OK;
}

/* An optional contact field: absent, or 1..max bytes on one line. */
static enum pt_rc contact_check(const char *text, const char *field, size_t max, struct pt_err *err)
{
    return text == NULL ? PT_OK : pt_inquiry_text_check(text, field, max, false, err);
}

static enum pt_rc tags_check(const struct pt_inquiry *q, struct pt_err *err)
{
    unsigned i;
    unsigned j;
    if (q->tag_count > PT_INQUIRY_TAGS_MAX) {
        return pt_err_set(err, PT_EINVAL, "tags", "at most %d tags", PT_INQUIRY_TAGS_MAX);
    }
    for (i = 0; i < q->tag_count; i++) {
        enum pt_rc rc = pt_inquiry_text_check(q->tags[i], "tags", PT_INQUIRY_TAG_MAX, false, err);
        if (rc != PT_OK) {
            return pt_err_set(err, PT_EINVAL, "tags", "a tag is 1 to %d characters on one line",
                              PT_INQUIRY_TAG_MAX);
        }
        for (j = 0; j < i; j++) {
            if (strcmp(q->tags[i], q->tags[j]) == 0) {
                return pt_err_set(err, PT_EINVAL, "tags", "tag %s is given twice", q->tags[i]);
            }
        }
    }
    return PT_OK;
}

enum pt_rc pt_inquiry_validate(const struct pt_inquiry *q, struct pt_err *err)
{
    enum pt_rc rc =
        contact_check(q->contact_name, "contact.name", PT_INQUIRY_CONTACT_NAME_MAX, err);
    if (rc == PT_OK) {
        rc = contact_check(q->contact_email, "contact.email", PT_INQUIRY_CONTACT_EMAIL_MAX, err);
    }
    if (rc == PT_OK && q->contact_email != NULL && strchr(q->contact_email, '@') == NULL) {
        rc = pt_err_set(err, PT_EINVAL, "contact.email", "contact.email must be an email address");
    }
    if (rc == PT_OK) {
        rc = contact_check(q->contact_phone, "contact.phone", PT_INQUIRY_CONTACT_PHONE_MAX, err);
    }
    if (rc == PT_OK && q->member_id[0] == '\0' && q->contact_email == NULL &&
        q->contact_phone == NULL) {
        rc = pt_err_set(err, PT_EINVAL, "member_id",
                        "an inquiry needs a member_id or a contact with an email or a phone");
    }
    if (rc == PT_OK && (unsigned)q->channel >= PT_INQUIRY_CHANNELS) {
        rc = pt_err_set(err, PT_EINVAL, "channel", "unknown channel");
    }
    if (rc == PT_OK) {
        rc = pt_inquiry_text_check(q->subject, "subject", PT_INQUIRY_SUBJECT_MAX, false, err);
    }
    if (rc == PT_OK) {
        rc = pt_inquiry_text_check(q->body, "body", PT_INQUIRY_BODY_MAX, true, err);
    }
    return rc == PT_OK ? tags_check(q, err) : rc;
}

int64_t pt_inquiry_seconds(int64_t created_at_ms, int64_t at_ms)
{
    if (at_ms == 0) {
        return -1;
    }
    return at_ms > created_at_ms ? (at_ms - created_at_ms) / 1000 : 0;
}
