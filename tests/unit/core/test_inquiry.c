/* SPDX-License-Identifier: MIT */
/*
 * Goal: the status moves of an inquiry are exactly the table of docs/crm.md ("Status moves"),
 * and an inquiry is valid exactly within its bounds (each at N and N+1), with a way to reach
 * the one who asked.
 * Method: all sixteen pairs of statuses against the table written out here; one valid inquiry
 * changed one field at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/inquiry.h"

static void test_pt_inquiry_move_allowed__the_table(void **state)
{
    /* Rows: from open, pending, resolved, closed; columns: to the same order. */
    static const bool table[PT_INQUIRY_STATUSES][PT_INQUIRY_STATUSES] = {
        {false, true, true, true},
        {true, false, true, true},
        {true, false, false, true},
        {false, false, false, false},
    };
    int from;
    int to;
    (void)state;
    for (from = 0; from < PT_INQUIRY_STATUSES; from++) {
        for (to = 0; to < PT_INQUIRY_STATUSES; to++) {
            assert_int_equal(
                pt_inquiry_move_allowed((enum pt_inquiry_status)from, (enum pt_inquiry_status)to),
                table[from][to]);
        }
    }
    assert_false(pt_inquiry_move_allowed(PT_INQUIRY_STATUSES, PT_INQUIRY_OPEN));
    assert_false(pt_inquiry_move_allowed(PT_INQUIRY_OPEN, PT_INQUIRY_STATUSES));
    assert_string_equal(pt_inquiry_status_names[PT_INQUIRY_RESOLVED], "resolved");
}

static void inquiry_init(struct pt_inquiry *q)
{
    memset(q, 0, sizeof(*q));
    memcpy(q->member_id, "mem_x", 6);
    q->channel = PT_INQUIRY_EMAIL;
    q->subject = "Missing points";
    q->body = "Line one\nline two\ttabbed";
    q->priority = PT_INQUIRY_NORMAL;
}

static void check(const struct pt_inquiry *q, const char *field)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_inquiry_validate(q, &err);
    if (field == NULL) {
        assert_int_equal(rc, PT_OK);
    } else {
        assert_int_equal(rc, PT_EINVAL);
        assert_string_equal(err.field, field);
    }
}

static void test_pt_inquiry_validate__bounds_at_n_and_n_plus_1(void **state)
{
    static char subject[PT_INQUIRY_SUBJECT_MAX + 2];
    static char body[PT_INQUIRY_BODY_MAX + 2];
    static char tag[PT_INQUIRY_TAG_MAX + 2];
    const char *tags[PT_INQUIRY_TAGS_MAX + 1];
    static char names[PT_INQUIRY_TAGS_MAX + 1][8];
    struct pt_inquiry q;
    int i;
    (void)state;
    inquiry_init(&q);
    check(&q, NULL);
    memset(subject, 's', PT_INQUIRY_SUBJECT_MAX);
    q.subject = subject;
    check(&q, NULL);
    subject[PT_INQUIRY_SUBJECT_MAX] = 's';
    check(&q, "subject");
    q.subject = "";
    check(&q, "subject");
    q.subject = "a\nb";
    check(&q, "subject");
    inquiry_init(&q);
    memset(body, 'b', PT_INQUIRY_BODY_MAX);
    q.body = body;
    check(&q, NULL);
    body[PT_INQUIRY_BODY_MAX] = 'b';
    check(&q, "body");
    q.body = "bell\a";
    check(&q, "body");
    inquiry_init(&q);
    for (i = 0; i <= PT_INQUIRY_TAGS_MAX; i++) {
        (void)snprintf(names[i], sizeof(names[i]), "t%d", i);
        tags[i] = names[i];
    }
    q.tags = tags;
    q.tag_count = PT_INQUIRY_TAGS_MAX;
    check(&q, NULL);
    q.tag_count = PT_INQUIRY_TAGS_MAX + 1;
    check(&q, "tags");
    memset(tag, 't', PT_INQUIRY_TAG_MAX);
    tags[0] = tag;
    q.tag_count = 1;
    check(&q, NULL);
    tag[PT_INQUIRY_TAG_MAX] = 't';
    check(&q, "tags");
    tags[0] = "dup";
    tags[1] = "dup";
    q.tag_count = 2;
    check(&q, "tags");
}

static void test_pt_inquiry_validate__a_way_to_reach_them(void **state)
{
    struct pt_inquiry q;
    (void)state;
    inquiry_init(&q);
    q.member_id[0] = '\0';
    check(&q, "member_id");
    q.contact_name = "Ann";
    check(&q, "member_id");
    q.contact_phone = "+15550100";
    check(&q, NULL);
    q.contact_phone = NULL;
    q.contact_email = "ann";
    check(&q, "contact.email");
    q.contact_email = "ann@example.com";
    check(&q, NULL);
    q.channel = PT_INQUIRY_CHANNELS;
    check(&q, "channel");
}

static void test_pt_inquiry_seconds__none_and_whole_seconds(void **state)
{
    (void)state;
    assert_int_equal(pt_inquiry_seconds(1000, 0), -1);
    assert_int_equal(pt_inquiry_seconds(1000, 1000), 0);
    assert_int_equal(pt_inquiry_seconds(1000, 4999), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_inquiry_move_allowed__the_table),
        PT_TEST(test_pt_inquiry_validate__bounds_at_n_and_n_plus_1),
        PT_TEST(test_pt_inquiry_validate__a_way_to_reach_them),
        PT_TEST(test_pt_inquiry_seconds__none_and_whole_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
