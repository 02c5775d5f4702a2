#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fills a Patron database with MEMBERS members and ENTRIES earning entries (with their
postings, lots, accounts and purchases), consistent enough that `patron audit` passes, using
set-based SQL so that ten million entries take about a minute rather than hours through the
API. Used by `make bench` to measure how the cost of a purchase grows with the data.

Usage: big_dataset.py DB PROGRAM_ID MEMBERS ENTRIES
"""
import sqlite3
import sys
import time


def main():
    db, program, members, entries = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    now = int(time.time() * 1000) - 86400000
    con = sqlite3.connect(db)
    # A bulk load needs no journal: the file is thrown away if it fails. WAL comes back after.
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-2097152")
    start = time.time()
    with con:
        con.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO members (program_id, id, email, card_number, referral_code, status,
                                 enrolled_at_ms, updated_at_ms, version)
            SELECT ?, 'mem_' || printf('%026d', i), 'big' || i || '@example.com',
                   printf('9%014d', i) || '0', printf('Z%07d', i), 'active', ?, ?, 1 FROM n
        """, (members, program, now, now))
        for kind, column in (("email", "email"), ("card_number", "card_number"),
                             ("referral_code", "referral_code")):
            con.execute("INSERT INTO member_keys SELECT program_id, ?, %s, id FROM members "
                        "WHERE program_id = ?" % column, (kind, program))
        # Entry k belongs to member (k - 1) % members + 1, is that member's posting number
        # (k - 1) / members + 1 on each of its two accounts, and earns k % 50 + 1 points.
        con.execute("""
            WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?)
            INSERT INTO entries (program_id, member_id, id, type, reference, created_at_ms)
            SELECT ?, 'mem_' || printf('%026d', (k - 1) % ? + 1), 'ent_' || printf('%026d', k),
                   'earn', 'txn_' || printf('%026d', k), ?
            FROM n
        """, (entries, program, members, now))
        for account, sign in (("member_id", 1), ("'program:issued'", -1)):
            con.execute("""
                INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points,
                                      balance_after)
                SELECT program_id, member_id, %s,
                       (CAST(substr(id, 5) AS INTEGER) - 1) / ? + 1, id,
                       %d * ((CAST(substr(id, 5) AS INTEGER) %% 50) + 1), 0
                FROM entries WHERE program_id = ?
            """ % (account, sign), (members, program))
        con.execute("""
            INSERT INTO lots (program_id, member_id, id, entry_id, source_id, points_earned,
                              points_remaining, earned_at_ms, available_at_ms, expires_at_ms)
            SELECT p.program_id, p.member_id, 'lot_' || substr(p.entry_id, 5), p.entry_id,
                   'txn_' || substr(p.entry_id, 5), p.points, p.points, ?, ?,
                   9223372036854775807
            FROM postings p WHERE p.program_id = ? AND p.account_id = p.member_id
        """, (now, now, program))
        con.execute("""
            INSERT INTO purchases (program_id, member_id, id, external_id, occurred_at_ms,
                                   currency, amount, eligible_amount, points_earned, lot_id,
                                   entry_id, created_at_ms)
            SELECT p.program_id, p.member_id, 'txn_' || substr(p.entry_id, 5),
                   'big-' || substr(p.entry_id, 5), ?, 'USD', p.points * 100, p.points * 100,
                   p.points, 'lot_' || substr(p.entry_id, 5), p.entry_id, ?
            FROM postings p WHERE p.program_id = ? AND p.account_id = p.member_id
        """, (now, now, program))
        con.execute("INSERT INTO member_keys SELECT program_id, 'purchase', external_id, "
                    "member_id FROM purchases WHERE program_id = ?", (program,))
        con.execute("""
            INSERT INTO accounts (program_id, member_id, id, balance, lifetime_earned, postings)
            SELECT program_id, member_id, account_id, sum(points),
                   CASE WHEN account_id = member_id THEN sum(points) ELSE 0 END, count(*)
            FROM postings WHERE program_id = ? GROUP BY program_id, member_id, account_id
        """, (program,))
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    print("big_dataset: %d members, %d entries in %.0f s" % (members, entries, time.time() - start))


if __name__ == "__main__":
    main()
