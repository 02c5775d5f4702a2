/* SPDX-License-Identifier: MIT */
/*
 * Referrals (referral.h): whether two members are one person (a self-referral), and the
 * refusals of a referral code at enrollment.
 */
#include "core/referral.h"

#include <ctype.h>
#include <string.h>

/* An email address without its +tag, lower case ("Ann+ref@x.org" and "ann@x.org" are one
 * person). */
static void email_base(const char *email, char *out, size_t out_bytes)
{
    const char *at = strchr(email, '@');
    const char *plus = strchr(email, '+');
    size_t n = 0;
    const char *p;
    for (p = email; *p != '\0' && n + 1 < out_bytes; p++) {
        if (plus != NULL && at != NULL && plus < at && p >= plus && p < at) {
            continue; /* The tag */
        }
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
}

bool pt_referral_same_person(const struct pt_member *a, const struct pt_member *b)
{
    if (a->email != NULL && b->email != NULL) {
        char x[PT_EMAIL_BYTES_MAX + 1];
        char y[PT_EMAIL_BYTES_MAX + 1];
        email_base(a->email, x, sizeof(x));
        email_base(b->email, y, sizeof(y));
        if (strcmp(x, y) == 0) {
            return true;
        }
    }
    return a->phone != NULL && b->phone != NULL && strcmp(a->phone, b->phone) == 0;
}

enum pt_rc pt_referral_refuse(struct pt_err *err, const char *code, const char *message)
{
    (void)pt_err_set(err, PT_ELIMIT, "referred_by", "%s", message);
    return pt_err_code(err, code);
}
