/* SPDX-License-Identifier: MIT */
/*
 * Goal: pt_log_escape makes any bytes a valid inside of a JSON string (issue 16: a client's
 * method or path must not forge or break a log line): quotes, backslashes and control
 * characters are escaped, valid UTF-8 is kept, invalid UTF-8 becomes U+FFFD, and truncation
 * never cuts an escape or a character in two.
 * Method: fixed inputs against their exact expected output, and every output size from 1 to
 * the full length for a mixed input, checking that each output is a prefix of the full one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/log.h"

static void expect_escape(const char *in, size_t n, const char *want)
{
    char out[256];
    pt_log_escape(in, n, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_pt_log_escape__quotes_backslashes_and_controls(void **state)
{
    (void)state;
    expect_escape("GET", 3, "GET");
    expect_escape("a\"b\\c", 5, "a\\\"b\\\\c");
    expect_escape("\",\"level\":\"fatal", 16, "\\\",\\\"level\\\":\\\"fatal");
    expect_escape("\n\r\t\x01\x7f", 5, "\\u000a\\u000d\\u0009\\u0001\\u007f");
    expect_escape("a\0b", 3, "a\\u0000b");
}

static void test_pt_log_escape__utf8_kept_invalid_replaced(void **state)
{
    (void)state;
    expect_escape("caf\xc3\xa9", 5, "caf\xc3\xa9");
    expect_escape("\xe2\x82\xac\xf0\x9f\x98\x80", 7, "\xe2\x82\xac\xf0\x9f\x98\x80");
    expect_escape("\xff\xfe", 2, "\\ufffd\\ufffd");
    expect_escape("\xc3(", 2, "\\ufffd(");          /* a lead byte without its continuation */
    expect_escape("\xc0\xaf", 2, "\\ufffd\\ufffd"); /* overlong '/' */
    expect_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"); /* a surrogate */
    expect_escape("\xe2\x82", 2, "\\ufffd\\ufffd");            /* cut short */
}

static void test_pt_log_escape__truncates_between_characters(void **state)
{
    const char in[] = "a\"\xc3\xa9\n\xff"
                      "bcdef";
    char full[128];
    char out[128];
    size_t size;
    (void)state;
    pt_log_escape(in, sizeof(in) - 1, full, sizeof(full));
    for (size = 1; size < sizeof(out); size++) {
        pt_log_escape(in, sizeof(in) - 1, out, size);
        assert_true(strlen(out) < size);
        assert_memory_equal(out, full, strlen(out)); /* a prefix of the whole escape */
        /* The prefix ends between two escapes/characters of the full output. */
        assert_true(out[0] == '\0' || strlen(out) == strlen(full) || full[strlen(out)] == '\\' ||
                    (unsigned char)full[strlen(out)] < 0x80 ||
                    ((unsigned char)full[strlen(out)] & 0xc0) == 0xc0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_log_escape__quotes_backslashes_and_controls),
        PT_TEST(test_pt_log_escape__utf8_kept_invalid_replaced),
        PT_TEST(test_pt_log_escape__truncates_between_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
