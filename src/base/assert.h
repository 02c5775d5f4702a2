/* SPDX-License-Identifier: MIT */
/*
 * Assertions (docs/style.md, "Assertions"). pt_assert states a proven invariant and stays on
 * in every build: a ledger should stop rather than write a wrong balance. PT_ALWAYS/PT_NEVER
 * mark beliefs that are checked in debug builds and fall through to a trivial branch in release
 * builds.
 */
#ifndef PT_BASE_ASSERT_H
#define PT_BASE_ASSERT_H

_Noreturn void pt_assert_fail(const char *expr, const char *file, int line);

#define pt_assert(x) ((x) ? (void)0 : pt_assert_fail(#x, __FILE__, __LINE__))
#ifdef PT_DEBUG
#define pt_debug_assert(x) pt_assert(x)
#define PT_ALWAYS(x) ((x) ? 1 : (pt_assert_fail(#x, __FILE__, __LINE__), 0))
#define PT_NEVER(x) ((x) ? (pt_assert_fail(#x, __FILE__, __LINE__), 1) : 0)
#else
#define pt_debug_assert(x) ((void)0)
#define PT_ALWAYS(x) (x)
#define PT_NEVER(x) (x)
#endif

#endif
