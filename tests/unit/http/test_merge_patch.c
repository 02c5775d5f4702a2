/* SPDX-License-Identifier: MIT */
/*
 * Goal: JSON merge patch follows RFC 7396 exactly, refuses patches deeper than the limit, and
 * leaks nothing.
 * Method: every example of RFC 7396 Appendix A, compared with json_equal; depth limits at N and
 * N+1; the allocation counter before and after each case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "http/http_int.h"

static void *json_alloc(size_t n)
{
    return pt_malloc(n);
}

static void check_case(const char *target, const char *patch, const char *expected)
{
    int64_t live = pt_alloc_live_count();
    json_t *t = json_loads(target, JSON_DECODE_ANY, NULL);
    json_t *p = json_loads(patch, JSON_DECODE_ANY, NULL);
    json_t *e = json_loads(expected, JSON_DECODE_ANY, NULL);
    json_t *r;
    assert_non_null(t);
    assert_non_null(p);
    assert_non_null(e);
    r = pt_json_merge_patch(t, p, PT_JSON_DEPTH_MAX);
    assert_non_null(r);
    if (!json_equal(r, e)) {
        fail_msg("merge(%s, %s) != %s", target, patch, expected);
    }
    json_decref(r);
    json_decref(p);
    json_decref(e);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_json_merge_patch__rfc7396_appendix_a(void **state)
{
    (void)state;
    check_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
               "{\"a\":{\"b\":\"d\"}}");
    check_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check_case("{\"a\":\"foo\"}", "null", "null");
    check_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    check_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

/* Builds {"a":{"a":...{}...}} nested depth levels. new */
static json_t *nested(unsigned depth)
{
    json_t *root = json_object();
    json_t *cur = root;
    unsigned i;
    for (i = 1; i < depth; i++) {
        json_t *child = json_object();
        assert_int_equal(json_object_set_new(cur, "a", child), 0);
        cur = child;
    }
    return root;
}

static void test_pt_json_merge_patch__depth_limit(void **state)
{
    int64_t live = pt_alloc_live_count();
    json_t *patch_ok = nested(4);
    json_t *patch_deep = nested(5);
    json_t *r;
    (void)state;
    r = pt_json_merge_patch(json_object(), patch_ok, 4);
    assert_non_null(r);
    json_decref(r);
    assert_null(pt_json_merge_patch(json_object(), patch_deep, 4));
    assert_true(pt_json_depth_ok(patch_ok, 4));
    assert_false(pt_json_depth_ok(patch_deep, 4));
    json_decref(patch_ok);
    json_decref(patch_deep);
    assert_int_equal(pt_alloc_live_count(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_json_merge_patch__rfc7396_appendix_a),
        cmocka_unit_test(test_pt_json_merge_patch__depth_limit),
    };
    json_set_alloc_funcs(json_alloc, pt_free);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
