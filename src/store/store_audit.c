/* SPDX-License-Identifier: MIT */
/*
 * The audit behind `patron audit`: each check is one query that names its first violation of an
 * invariant of the ledger, the lots, the wallets, the coupons, the batches and the tier metrics.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

/* Each check selects a description of its first violation, or no row when it holds. */
static const char *const audit_checks[] = {
    "SELECT 'entry ' || entry_id || ' of member ' || member_id || ' sums to ' || sum(points) "
    "FROM postings GROUP BY program_id, member_id, entry_id HAVING sum(points) <> 0 LIMIT 1",
    "SELECT 'entry ' || e.id || ' has fewer than two postings' FROM entries e LEFT JOIN "
    "(SELECT program_id, member_id, entry_id, count(*) AS n FROM postings "
    "GROUP BY program_id, member_id, entry_id) p ON p.program_id = e.program_id "
    "AND p.member_id = e.member_id AND p.entry_id = e.id WHERE coalesce(p.n, 0) < 2 LIMIT 1",
    /* A posting carries its entry's time (the program's summary reads it; migration 24). */
    "SELECT 'posting of entry ' || p.entry_id || ' has no entry of its time' FROM postings p "
    "WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.program_id = p.program_id "
    "AND e.member_id = p.member_id AND e.id = p.entry_id AND e.created_at_ms = p.created_at_ms) "
    "LIMIT 1",
    "SELECT 'account ' || a.id || ' of member ' || a.member_id || ' holds ' || a.balance || "
    "' in ' || a.postings || ' postings but its postings sum to ' || coalesce(p.s, 0) || "
    "' in ' || coalesce(p.n, 0) FROM accounts a LEFT JOIN "
    "(SELECT program_id, member_id, account_id, sum(points) AS s, count(*) AS n, max(n) AS top "
    "FROM postings GROUP BY program_id, member_id, account_id) p "
    "ON p.program_id = a.program_id AND p.member_id = a.member_id AND p.account_id = a.id "
    "WHERE a.balance <> coalesce(p.s, 0) OR a.postings <> coalesce(p.n, 0) "
    "OR a.postings <> coalesce(p.top, 0) LIMIT 1",
    "SELECT 'member ' || a.id || ': balance ' || a.balance || ' is not open lots ' || "
    "coalesce(l.s, 0) || ' less owed ' || a.owed FROM accounts a LEFT JOIN "
    "(SELECT program_id, member_id, sum(points_remaining) AS s FROM lots "
    "GROUP BY program_id, member_id) l ON l.program_id = a.program_id AND l.member_id = a.id "
    "WHERE a.id = a.member_id AND a.balance <> coalesce(l.s, 0) - a.owed LIMIT 1",
    "SELECT 'lot ' || id || ' has ' || points_remaining || ' of ' || points_earned || ' points' "
    "FROM lots WHERE points_remaining < 0 OR points_remaining > points_earned LIMIT 1",
    "SELECT 'account ' || id || ' owes ' || owed FROM accounts WHERE owed < 0 LIMIT 1",
    "SELECT 'the postings of program ' || program_id || ' sum to ' || sum(points) "
    "FROM postings GROUP BY program_id HAVING sum(points) <> 0 LIMIT 1",
    "SELECT 'the legs of transfer entry ' || entry_id || ' sum to ' || sum(points) "
    "FROM postings WHERE account_id = 'program:transfers' GROUP BY program_id, entry_id "
    "HAVING sum(points) <> 0 OR count(*) <> 2 LIMIT 1",
    "SELECT 'idempotency key ' || key || ' points at ' || ref_id || ', which does not exist' "
    "FROM idempotency_keys k WHERE k.ref_id IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM members x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM api_keys x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM users x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM purchases x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM returns x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM rules x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM activities x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM stamp_cards x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM wallet_debits x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM rewards x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM coupons x WHERE x.program_id = k.program_id AND x.code = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM coupon_batches x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM inquiries x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM inquiry_replies x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM member_notes x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM surveys x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM survey_responses x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.program_id = k.program_id AND e.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.program_id = k.program_id "
    "AND e.reference = k.ref_id) LIMIT 1",
    "SELECT 'purchase ' || id || ' earned ' || points_earned || ' points but has no entry' "
    "FROM purchases p WHERE points_earned > 0 AND NOT EXISTS (SELECT 1 FROM entries e "
    "WHERE e.program_id = p.program_id AND e.member_id = p.member_id AND e.id = p.entry_id "
    "AND e.reference = p.id) LIMIT 1",
    "SELECT 'return ' || id || ' reversed ' || points_reversed || ' points but has no entry' "
    "FROM returns r WHERE points_reversed > 0 AND NOT EXISTS (SELECT 1 FROM entries e "
    "WHERE e.program_id = r.program_id AND e.member_id = r.member_id AND e.id = r.entry_id) "
    "LIMIT 1",
    "SELECT 'redemption ' || id || ' has no entry' FROM redemptions r WHERE NOT EXISTS "
    "(SELECT 1 FROM entries e WHERE e.program_id = r.program_id AND e.member_id = r.member_id "
    "AND e.id = r.entry_id) LIMIT 1",
    "SELECT 'redemption ' || r.id || ' took ' || coalesce(l.s, 0) || ' of ' || r.points || "
    "' points from its lots' FROM redemptions r LEFT JOIN (SELECT program_id, member_id, "
    "redemption_id, sum(points) AS s FROM redemption_lots "
    "GROUP BY program_id, member_id, redemption_id) l ON l.program_id = r.program_id "
    "AND l.member_id = r.member_id AND l.redemption_id = r.id "
    "WHERE coalesce(l.s, 0) <> r.points LIMIT 1",
    /* Every value unique in the program is claimed in member_keys by its owner, and member_keys
     * holds nothing else. */
    "SELECT 'the ' || v.kind || ' of member ' || v.member_id || ' is not in member_keys' FROM ("
    "SELECT program_id, id AS member_id, 'email' AS kind, email AS value FROM members "
    "WHERE email IS NOT NULL UNION ALL SELECT program_id, id, 'phone', phone FROM members "
    "WHERE phone IS NOT NULL UNION ALL SELECT program_id, id, 'external_id', external_id "
    "FROM members WHERE external_id IS NOT NULL UNION ALL SELECT program_id, id, 'card_number', "
    "card_number FROM members WHERE card_number IS NOT NULL UNION ALL SELECT program_id, id, "
    "'referral_code', referral_code FROM members WHERE referral_code IS NOT NULL UNION ALL "
    "SELECT program_id, member_id, 'purchase', external_id FROM purchases UNION ALL "
    "SELECT program_id, member_id, 'return', external_id FROM returns UNION ALL "
    "SELECT program_id, member_id, 'activity', external_id FROM activities) AS v WHERE NOT EXISTS "
    "(SELECT 1 FROM member_keys k WHERE k.program_id = v.program_id AND k.kind = v.kind "
    "AND k.value = v.value AND k.member_id = v.member_id) LIMIT 1",
    "SELECT 'member_keys holds the ' || k.kind || ' ' || k.value || ' for member ' || "
    "k.member_id || ', who does not have it' FROM member_keys k WHERE NOT CASE k.kind "
    "WHEN 'purchase' THEN EXISTS (SELECT 1 FROM purchases x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "WHEN 'return' THEN EXISTS (SELECT 1 FROM returns x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "WHEN 'activity' THEN EXISTS (SELECT 1 FROM activities x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "ELSE EXISTS (SELECT 1 FROM members m WHERE m.program_id = k.program_id "
    "AND m.id = k.member_id AND k.value = CASE k.kind WHEN 'email' THEN m.email "
    "WHEN 'phone' THEN m.phone WHEN 'external_id' THEN m.external_id "
    "WHEN 'card_number' THEN m.card_number WHEN 'referral_code' THEN m.referral_code END) END "
    "LIMIT 1",
    /* A wallet holds its credits' remaining money less what it owes; a debit took exactly
     * its amount from credits; cashback reversed never passes the cashback. */
    "SELECT 'the wallet of member ' || a.member_id || ' holds ' || a.balance || "
    "' but its credits hold ' || coalesce(c.s, 0) || ' less owed ' || a.owed FROM accounts a "
    "LEFT JOIN (SELECT program_id, member_id, sum(remaining) AS s FROM wallet_credits "
    "GROUP BY program_id, member_id) c ON c.program_id = a.program_id "
    "AND c.member_id = a.member_id WHERE a.id = 'wallet' "
    "AND a.balance <> coalesce(c.s, 0) - a.owed LIMIT 1",
    "SELECT 'wallet credit ' || id || ' has ' || remaining || ' of ' || amount FROM "
    "wallet_credits WHERE remaining < 0 OR remaining > amount LIMIT 1",
    "SELECT 'wallet debit ' || d.id || ' of ' || d.amount || ' took ' || coalesce(t.s, 0) "
    "FROM wallet_debits d LEFT JOIN (SELECT program_id, member_id, debit_id, sum(amount) AS s "
    "FROM wallet_debit_credits GROUP BY program_id, member_id, debit_id) t "
    "ON t.program_id = d.program_id AND t.member_id = d.member_id AND t.debit_id = d.id "
    "WHERE coalesce(t.s, 0) <> d.amount LIMIT 1",
    "SELECT 'purchase ' || id || ' reversed ' || cashback_reversed || ' of its cashback ' || "
    "cashback FROM purchases WHERE cashback_reversed < 0 OR cashback_reversed > cashback "
    "LIMIT 1",
    /* A purchase's payment lines: no return gave back more than a line paid, and a wallet line
     * names a debit of its member of exactly its amount (docs/ledger.md, "Paying with
     * points"). */
    "SELECT 'payment ' || position || ' of purchase ' || purchase_id || ' gave back ' || "
    "refunded_amount || ' of ' || amount || ' (' || refunded_points || ' of ' || points || "
    "' points)' FROM purchase_payments WHERE refunded_amount < 0 OR refunded_amount > amount "
    "OR refunded_points < 0 OR refunded_points > points LIMIT 1",
    "SELECT 'take of ' || redemption_id || ' from lot ' || lot_id || ' put back ' || restored || "
    "' of ' || points FROM redemption_lots WHERE restored < 0 OR restored > points LIMIT 1",
    "SELECT 'wallet payment of purchase ' || y.purchase_id || ' does not match its debit' "
    "FROM purchase_payments y LEFT JOIN wallet_debits d ON d.program_id = y.program_id "
    "AND d.member_id = y.member_id AND d.id = y.wallet_debit_id WHERE y.method = 'wallet' "
    "AND (d.id IS NULL OR d.amount <> y.amount OR d.status = 'cancelled') LIMIT 1",
    /* A reward's issued count is its coupons that were not cancelled; a coupon not cancelled
     * has its redemption, and a cancelled one had it cancelled. */
    "SELECT 'reward ' || r.id || ' counts ' || r.issued || ' coupons but has ' || "
    "coalesce(c.n, 0) FROM rewards r LEFT JOIN (SELECT program_id, reward_id, count(*) AS n "
    "FROM coupons WHERE status <> 'cancelled' GROUP BY program_id, reward_id) c "
    "ON c.program_id = r.program_id AND c.reward_id = r.id "
    "WHERE r.issued <> coalesce(c.n, 0) LIMIT 1",
    "SELECT 'coupon ' || c.code || ' (' || c.status || ') does not match its redemption' "
    "FROM coupons c LEFT JOIN redemptions r ON r.program_id = c.program_id "
    "AND r.member_id = c.member_id AND r.id = c.redemption_id WHERE c.redemption_id IS NOT NULL "
    "AND (r.id IS NULL OR (c.status = 'cancelled') <> (r.status = 'cancelled')) LIMIT 1",
    /* A drawn partner code is on the coupon that drew it; a coupon used by a purchase is
     * redeemed and names a purchase of its member; a promotion code counts its uses. */
    "SELECT 'partner code ' || v.code || ' of reward ' || v.reward_id || "
    "' is not on the coupon that drew it' FROM partner_vouchers v LEFT JOIN coupons c "
    "ON c.program_id = v.program_id AND c.code = v.coupon_code WHERE v.coupon_code IS NOT NULL "
    "AND (c.code IS NULL OR c.partner_code IS NULL OR c.partner_code <> v.code "
    "OR c.reward_id <> v.reward_id) LIMIT 1",
    "SELECT 'coupon ' || c.code || ' names purchase ' || c.purchase_id || "
    "' of another member or is not redeemed' FROM coupons c LEFT JOIN purchases p "
    "ON p.program_id = c.program_id AND p.member_id = c.member_id AND p.id = c.purchase_id "
    "WHERE c.purchase_id IS NOT NULL AND (p.id IS NULL OR c.status <> 'redeemed') LIMIT 1",
    "SELECT 'promotion code ' || p.code || ' counts ' || p.uses || ' uses but has ' || "
    "coalesce(u.n, 0) FROM promo_codes p LEFT JOIN (SELECT program_id, code, count(*) AS n "
    "FROM promo_code_uses GROUP BY program_id, code) u ON u.program_id = p.program_id "
    "AND u.code = p.code WHERE p.uses <> coalesce(u.n, 0) LIMIT 1",
    /* A batch holds codes n = 1..generated (generated of count; all of them when ready), and
     * no code is both a promotion code and a coupon. */
    "SELECT 'coupon batch ' || b.id || ' (' || b.status || ') counts ' || b.generated || ' of ' "
    "|| b.count || ' codes but holds ' || coalesce(p.n, 0) || ' up to n ' || coalesce(p.top, 0) "
    "FROM coupon_batches b LEFT JOIN (SELECT program_id, batch_id, count(*) AS n, max(n) AS top "
    "FROM promo_codes GROUP BY program_id, batch_id) p ON p.program_id = b.program_id "
    "AND p.batch_id = b.id WHERE coalesce(p.n, 0) <> b.generated "
    "OR coalesce(p.top, 0) <> b.generated OR b.generated > b.count "
    "OR (b.status = 'ready' AND b.generated <> b.count) LIMIT 1",
    "SELECT 'code ' || p.code || ' is both a promotion code and a coupon' FROM promo_codes p "
    "JOIN coupons c ON c.program_id = p.program_id AND c.code = p.code LIMIT 1",
    /* What a purchase counted as spend is at most its amount; its returns took back a part
     * of it, all of it once everything is returned. */
    "SELECT 'purchase ' || id || ' counts a spend of ' || spend || ' and returns of ' || "
    "spend_returned FROM purchases WHERE spend < 0 OR spend > amount OR spend_returned < 0 "
    "OR spend_returned > spend OR (returned_amount = amount AND spend_returned <> spend) LIMIT 1",
    /* The tier metric of every member, over all months, is what its purchases hold now. */
    "SELECT 'the tier metrics of member ' || coalesce(p.member_id, t.member_id) || "
    "' do not match the purchases' FROM (SELECT program_id, member_id, "
    "sum(points_earned - points_reversed) AS points, sum(spend - spend_returned) AS spend, "
    "sum(CASE WHEN returned_amount < amount OR amount = 0 THEN 1 ELSE 0 END) AS n FROM purchases "
    "GROUP BY program_id, member_id) p FULL JOIN (SELECT program_id, member_id, "
    "sum(points) AS points, sum(spend) AS spend, sum(purchases) AS n FROM tier_metrics "
    "GROUP BY program_id, member_id) t ON t.program_id = p.program_id "
    "AND t.member_id = p.member_id WHERE coalesce(p.points, 0) <> coalesce(t.points, 0) "
    "OR coalesce(p.spend, 0) <> coalesce(t.spend, 0) OR coalesce(p.n, 0) <> coalesce(t.n, 0) "
    "LIMIT 1",
    NULL,
};

enum pt_rc pt_store_audit(struct pt_store_txn *txn, char *problem, size_t problem_bytes,
                          struct pt_err *err)
{
    size_t i;
    enum pt_rc rc = PT_OK;
    pt_assert(problem_bytes > 0);
    problem[0] = '\0';
    for (i = 0; rc == PT_OK && audit_checks[i] != NULL && problem[0] == '\0'; i++) {
        struct pt_q q;
        (void)pt_q_open(&q, txn, audit_checks[i], err);
        if (pt_q_next(&q)) {
            pt_q_col_copy(&q, 0, problem, problem_bytes);
        }
        rc = pt_q_close(&q);
    }
    return rc;
}
