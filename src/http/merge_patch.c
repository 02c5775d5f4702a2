/* SPDX-License-Identifier: MIT */
/*
 * JSON merge patch (RFC 7396), iterative: a stack of (target object, patch object, iterator)
 * frames bounded by the nesting depth, so client input cannot exhaust the C stack.
 */
#include "http/http_int.h"

#include "base/assert.h"

json_t *pt_json_merge_patch(json_t *target, json_t *patch, unsigned max_depth)
{
    struct {
        json_t *target; /* borrowed from the result tree */
        json_t *patch;  /* borrowed from the patch */
        void *iter;
    } stack[PT_JSON_DEPTH_MAX];
    unsigned depth = 0;
    pt_assert(max_depth >= 1 && max_depth <= PT_JSON_DEPTH_MAX);
    if (!json_is_object(patch)) {
        json_decref(target);
        return json_deep_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (target == NULL) {
            return NULL;
        }
    }
    stack[0].target = target;
    stack[0].patch = patch;
    stack[0].iter = json_object_iter(patch);
    while (true) {
        void *iter = stack[depth].iter;
        const char *key;
        json_t *value;
        if (iter == NULL) {
            if (depth == 0) {
                return target;
            }
            depth--;
            continue;
        }
        key = json_object_iter_key(iter);
        value = json_object_iter_value(iter);
        stack[depth].iter = json_object_iter_next(stack[depth].patch, iter);
        if (json_is_null(value)) {
            (void)json_object_del(stack[depth].target, key); /* -1 when absent: fine. */
        } else if (json_is_object(value)) {
            json_t *child = json_object_get(stack[depth].target, key);
            if (depth + 1 >= max_depth) {
                json_decref(target);
                return NULL;
            }
            if (!json_is_object(child)) {
                child = json_object();
                if (child == NULL || json_object_set_new(stack[depth].target, key, child) != 0) {
                    json_decref(target);
                    return NULL;
                }
            }
            depth++;
            stack[depth].target = child;
            stack[depth].patch = value;
            stack[depth].iter = json_object_iter(value);
        } else {
            json_t *copy = json_deep_copy(value);
            if (copy == NULL || json_object_set_new(stack[depth].target, key, copy) != 0) {
                json_decref(target);
                return NULL;
            }
        }
    }
}
