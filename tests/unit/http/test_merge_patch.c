/* SPDX-License-Identifier: MIT */
/*
 * Goal: pt_json_merge_patch follows RFC 7396 exactly, leaves the patch untouched, refuses (NULL)
 * a patch nesting deeper than max_depth while releasing the target it took, and survives an
 * allocation failure at any point without a leak; pt_json_depth_ok is exact at the limit.
 * Method: every example of RFC 7396 Appendix A and the example of section 3, parsed with
 * json_loads and compared with json_equal; patches and documents built to depth N and N+1;
 * a fault sweep with pt_alloc_fail_at. jansson allocates through src/base/alloc.c
 * (json_set_alloc_funcs in main), so the teardown of every test checks that nothing leaked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "http/http_int.h"

static void *json_alloc(size_t n)
{
    return pt_malloc(n);
}

/* Parses text (any JSON value) or fails the test. new */
static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        fail_msg("cannot parse '%s': %s", text, jerr.text);
    }
    return v;
}

static void check_case(const char *target, const char *patch, const char *expected)
{
    json_t *t = load(target);
    json_t *p = load(patch);
    json_t *p_before = load(patch);
    json_t *e = load(expected);
    json_t *r = pt_json_merge_patch(t, p, PT_JSON_DEPTH_MAX);
    if (r == NULL) {
        fail_msg("merge(%s, %s) returned NULL", target, patch);
    }
    if (!json_equal(r, e)) {
        char *got = json_dumps(r, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        fail_msg("merge(%s, %s) = %s, want %s", target, patch, got, expected);
    }
    /* The patch is borrowed: unchanged. */
    assert_true(json_equal(p, p_before));
    json_decref(r);
    json_decref(p);
    json_decref(p_before);
    json_decref(e);
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

static void test_pt_json_merge_patch__rfc7396_section_3_example(void **state)
{
    (void)state;
    check_case("{\"title\":\"Goodbye!\","
               "\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
               "\"tags\":[\"example\",\"sample\"],"
               "\"content\":\"This will be unchanged\"}",
               "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
               "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
               "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},"
               "\"tags\":[\"example\"],\"content\":\"This will be unchanged\","
               "\"phoneNumber\":\"+01-123-456-7890\"}");
}

static void test_pt_json_merge_patch__more_cases(void **state)
{
    (void)state;
    /* An empty patch changes nothing; deleting an absent key is no error. */
    check_case("{\"a\":1,\"b\":{\"c\":2}}", "{}", "{\"a\":1,\"b\":{\"c\":2}}");
    check_case("{\"a\":1}", "{\"zz\":null}", "{\"a\":1}");
    /* An object patch over a scalar member replaces it, without its nulls. */
    check_case("{\"a\":5}", "{\"a\":{\"b\":1,\"c\":null}}", "{\"a\":{\"b\":1}}");
    /* Scalars of every type replace, and a patch of a scalar over a scalar target. */
    check_case("{\"a\":\"x\"}", "{\"a\":true,\"b\":1.5,\"c\":-3,\"d\":false}",
               "{\"a\":true,\"b\":1.5,\"c\":-3,\"d\":false}");
    check_case("7", "{\"a\":1}", "{\"a\":1}");
    check_case("null", "{\"a\":null}", "{}");
    check_case("\"s\"", "7", "7");
    /* Deep merges keep the untouched siblings at every level. */
    check_case("{\"a\":{\"b\":{\"c\":1,\"d\":2},\"e\":3},\"f\":4}",
               "{\"a\":{\"b\":{\"c\":null,\"x\":9}}}",
               "{\"a\":{\"b\":{\"d\":2,\"x\":9},\"e\":3},\"f\":4}");
}

static void test_pt_json_merge_patch__objects_merge_in_place(void **state)
{
    json_t *target = load("{\"a\":1}");
    json_t *patch = load("{\"b\":{\"c\":[1,2]}}");
    json_t *r;
    (void)state;
    r = pt_json_merge_patch(target, patch, PT_JSON_DEPTH_MAX);
    assert_ptr_equal(r, target);
    /* The result owns copies: changing it leaves the patch alone. */
    assert_int_equal(
        json_array_append_new(json_object_get(json_object_get(r, "b"), "c"), json_integer(3)), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(patch, "b"), "c")), 2);
    json_decref(r);
    json_decref(patch);
}

/* Builds {"a":{"a":...{}...}}: depth levels of objects. new */
static json_t *nested_objects(unsigned depth)
{
    json_t *root = json_object();
    json_t *cur = root;
    unsigned i;
    assert_non_null(root);
    for (i = 1; i < depth; i++) {
        json_t *child = json_object();
        assert_non_null(child);
        assert_int_equal(json_object_set_new(cur, "a", child), 0);
        cur = child;
    }
    return root;
}

/* Builds [[...[]...]]: depth levels of arrays. new */
static json_t *nested_arrays(unsigned depth)
{
    json_t *root = json_array();
    json_t *cur = root;
    unsigned i;
    assert_non_null(root);
    for (i = 1; i < depth; i++) {
        json_t *child = json_array();
        assert_non_null(child);
        assert_int_equal(json_array_append_new(cur, child), 0);
        cur = child;
    }
    return root;
}

static void test_pt_json_merge_patch__depth_limit_at_n_and_n_plus_1(void **state)
{
    const unsigned limits[] = {1, 2, 3, 4, 8, PT_JSON_DEPTH_MAX};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        unsigned n = limits[i];
        json_t *patch_ok = nested_objects(n);
        json_t *patch_deep = nested_objects(n + 1);
        json_t *r;
        /* At the limit: merged, into an empty object and into a deep existing one. */
        r = pt_json_merge_patch(json_object(), patch_ok, n);
        if (r == NULL || !json_equal(r, patch_ok)) {
            fail_msg("a patch of depth %u should merge at max_depth %u", n, n);
        }
        json_decref(r);
        r = pt_json_merge_patch(nested_objects(n), patch_ok, n);
        assert_non_null(r);
        json_decref(r);
        /* One deeper: NULL, and the target that was taken is released (teardown checks). */
        if (pt_json_merge_patch(json_object(), patch_deep, n) != NULL) {
            fail_msg("a patch of depth %u should be refused at max_depth %u", n + 1, n);
        }
        assert_null(pt_json_merge_patch(nested_objects(n + 1), patch_deep, n));
        assert_null(pt_json_merge_patch(load("[1]"), patch_deep, n));
        json_decref(patch_ok);
        json_decref(patch_deep);
    }
}

static void test_pt_json_merge_patch__depth_of_the_patch_not_the_target(void **state)
{
    json_t *deep_target = nested_objects(10);
    json_t *patch = load("{\"b\":1}");
    json_t *r;
    (void)state;
    /* A deep target with a shallow patch is fine. */
    r = pt_json_merge_patch(deep_target, patch, 2);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "b")), 1);
    json_decref(r);
    json_decref(patch);
}

static void test_pt_json_merge_patch__out_of_memory_anywhere(void **state)
{
    const char *target_text = "{\"a\":{\"b\":\"c\",\"d\":[1,2]},\"x\":1,\"y\":\"z\"}";
    const char *patch_text = "{\"a\":{\"b\":null,\"n\":{\"m\":[true,{\"k\":\"v\"}]}},"
                             "\"x\":null,\"w\":\"new\",\"v\":[1,{\"u\":2}],\"q\":{\"r\":{}}}";
    json_t *expected = load("{\"a\":{\"d\":[1,2],\"n\":{\"m\":[true,{\"k\":\"v\"}]}},"
                            "\"y\":\"z\",\"w\":\"new\",\"v\":[1,{\"u\":2}],\"q\":{\"r\":{}}}");
    json_t *patch = load(patch_text);
    int64_t n;
    int64_t live = pt_alloc_live_count();
    (void)state;
    /* Fail allocation n inside the merge, for n = 1.. until the merge succeeds: each run
     * returns NULL or the right answer, and frees everything it allocated or took. */
    for (n = 1; n < 1000; n++) {
        json_t *target = load(target_text);
        json_t *r;
        pt_alloc_fail_at(n);
        r = pt_json_merge_patch(target, patch, PT_JSON_DEPTH_MAX);
        pt_alloc_fail_at(0);
        if (r == NULL) {
            assert_int_equal(pt_alloc_live_count(), live);
            continue;
        }
        if (!json_equal(r, expected)) {
            fail_msg("allocation %lld failing gave a wrong result", (long long)n);
        }
        json_decref(r);
        assert_int_equal(pt_alloc_live_count(), live);
        break;
    }
    assert_true(n > 1); /* the merge allocates, so the sweep did fail something */
    assert_true(n < 1000);
    json_decref(patch);
    json_decref(expected);
}

static void test_pt_json_depth_ok__scalars(void **state)
{
    const char *const scalars[] = {"null", "1", "\"s\"", "true", "1.5", NULL};
    size_t i;
    (void)state;
    for (i = 0; scalars[i] != NULL; i++) {
        json_t *v = load(scalars[i]);
        assert_true(pt_json_depth_ok(v, 1));
        assert_true(pt_json_depth_ok(v, PT_JSON_DEPTH_MAX));
        json_decref(v);
    }
}

static void test_pt_json_depth_ok__objects_at_n_and_n_plus_1(void **state)
{
    unsigned n;
    (void)state;
    for (n = 1; n <= PT_JSON_DEPTH_MAX; n++) {
        json_t *ok = nested_objects(n);
        json_t *deep = nested_objects(n + 1);
        if (!pt_json_depth_ok(ok, n)) {
            fail_msg("depth %u should be ok at max_depth %u", n, n);
        }
        if (pt_json_depth_ok(deep, n)) {
            fail_msg("depth %u should be refused at max_depth %u", n + 1, n);
        }
        json_decref(ok);
        json_decref(deep);
    }
}

static void test_pt_json_depth_ok__arrays_at_n_and_n_plus_1(void **state)
{
    unsigned n;
    (void)state;
    for (n = 1; n <= PT_JSON_DEPTH_MAX; n++) {
        json_t *ok = nested_arrays(n);
        json_t *deep = nested_arrays(n + 1);
        assert_true(pt_json_depth_ok(ok, n));
        assert_false(pt_json_depth_ok(deep, n));
        json_decref(ok);
        json_decref(deep);
    }
}

static void test_pt_json_depth_ok__mixed_and_siblings(void **state)
{
    json_t *mixed = load("{\"a\":[{\"b\":[1]}]}");                      /* 4 levels */
    json_t *late = load("{\"a\":1,\"b\":[],\"c\":{\"d\":{\"e\":{}}}}"); /* 4, in the last key */
    json_t *wide = load("{\"a\":{\"b\":{}},\"c\":{\"d\":{}},\"e\":[[],[],[]]}"); /* 3 */
    json_t *array_of_objects = load("[{},{\"a\":1},{},{\"b\":[]}]");             /* 3 */
    (void)state;
    assert_true(pt_json_depth_ok(mixed, 4));
    assert_false(pt_json_depth_ok(mixed, 3));
    assert_true(pt_json_depth_ok(late, 4));
    assert_false(pt_json_depth_ok(late, 3));
    assert_true(pt_json_depth_ok(wide, 3));
    assert_false(pt_json_depth_ok(wide, 2));
    assert_true(pt_json_depth_ok(array_of_objects, 3));
    assert_false(pt_json_depth_ok(array_of_objects, 2));
    json_decref(mixed);
    json_decref(late);
    json_decref(wide);
    json_decref(array_of_objects);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_json_merge_patch__rfc7396_appendix_a),
        PT_TEST(test_pt_json_merge_patch__rfc7396_section_3_example),
        PT_TEST(test_pt_json_merge_patch__more_cases),
        PT_TEST(test_pt_json_merge_patch__objects_merge_in_place),
        PT_TEST(test_pt_json_merge_patch__depth_limit_at_n_and_n_plus_1),
        PT_TEST(test_pt_json_merge_patch__depth_of_the_patch_not_the_target),
        PT_TEST(test_pt_json_merge_patch__out_of_memory_anywhere),
        PT_TEST(test_pt_json_depth_ok__scalars),
        PT_TEST(test_pt_json_depth_ok__objects_at_n_and_n_plus_1),
        PT_TEST(test_pt_json_depth_ok__arrays_at_n_and_n_plus_1),
        PT_TEST(test_pt_json_depth_ok__mixed_and_siblings),
    };
    json_set_alloc_funcs(json_alloc, pt_free);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
