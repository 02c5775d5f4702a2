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
        # Entry k belongs to member (k % members) + 1 and earns (k % 50) + 1 points.
        con.execute("""
            WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?)
            INSERT INTO entries (program_id, id, type, reference, created_at_ms)
            SELECT ?, 'ent_' || printf('%026d', k), 'earn', 'txn_' || printf('%026d', k), ?
            FROM n
        """, (entries, program, now))
        con.execute("""
            INSERT INTO postings (program_id, entry_id, account_id, member_id, points,
                                  balance_after)
            SELECT ?, id, 'mem_' || printf('%026d', (CAST(substr(id, 5) AS INTEGER) % ?) + 1),
                   'mem_' || printf('%026d', (CAST(substr(id, 5) AS INTEGER) % ?) + 1),
                   (CAST(substr(id, 5) AS INTEGER) % 50) + 1, 0
            FROM entries WHERE program_id = ?
        """, (program, members, members, program))
        con.execute("""
            INSERT INTO postings (program_id, entry_id, account_id, member_id, points,
                                  balance_after)
            SELECT ?, id, 'program:issued', NULL, -((CAST(substr(id, 5) AS INTEGER) % 50) + 1), 0
            FROM entries WHERE program_id = ?
        """, (program, program))
        con.execute("""
            INSERT INTO lots (program_id, member_id, id, entry_id, source_id, points_earned,
                              points_remaining, earned_at_ms, available_at_ms, expires_at_ms)
            SELECT p.program_id, p.member_id, 'lot_' || substr(p.entry_id, 5), p.entry_id,
                   'txn_' || substr(p.entry_id, 5), p.points, p.points, ?, ?,
                   9223372036854775807
            FROM postings p WHERE p.program_id = ? AND p.member_id IS NOT NULL
        """, (now, now, program))
        con.execute("""
            INSERT INTO purchases (program_id, id, external_id, member_id, occurred_at_ms,
                                   currency, amount, eligible_amount, points_earned, lot_id,
                                   entry_id, created_at_ms)
            SELECT p.program_id, 'txn_' || substr(p.entry_id, 5), 'big-' || substr(p.entry_id, 5),
                   p.member_id, ?, 'USD', p.points * 100, p.points * 100, p.points,
                   'lot_' || substr(p.entry_id, 5), p.entry_id, ?
            FROM postings p WHERE p.program_id = ? AND p.member_id IS NOT NULL
        """, (now, now, program))
        con.execute("""
            INSERT INTO accounts (program_id, id, member_id, balance, lifetime_earned)
            SELECT program_id, account_id, member_id, sum(points),
                   CASE WHEN member_id IS NULL THEN 0 ELSE sum(points) END
            FROM postings WHERE program_id = ? GROUP BY program_id, account_id
        """, (program,))
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    print("big_dataset: %d members, %d entries in %.0f s" % (members, entries, time.time() - start))


if __name__ == "__main__":
    main()
