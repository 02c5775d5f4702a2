#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What GET /v1/program/summary costs on a large program (docs/ledger.md, "The program's
figures"): fills a new SQLite database with MEMBERS members and ENTRIES entries spread over two
years (85% earnings with their purchases and lots, 10% redemptions, 5% expiries; two postings
each, dated as the server dates them) with set-based SQL, then asks a release `patron serve` for
the summary of the default period, of 36 months and of one month, three times each, and prints
the wall time and the server's CPU time of each answer. Not consistent enough for the audit: it
measures reads only.

Usage: summary_bench.py PATRON_BIN DB [MEMBERS [ENTRIES]]   (default 100000 2400000: about 5 GB
and ten minutes to load)
"""
import http.client
import json
import os
import subprocess
import sqlite3
import sys
import time

DAY_MS = 86400000


def load(patron, db, members, entries):
    init = json.loads(subprocess.run([patron, "init", "--db", db, "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    program = init["program_id"]
    now = int(time.time() * 1000)
    span = 730 * DAY_MS
    start = now - span
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1048576")
    with con:
        con.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO members (program_id, id, email, card_number, referral_code, status,
                                 enrolled_at_ms, updated_at_ms, version)
            SELECT ?, 'mem_' || printf('%026d', i), 'big' || i || '@example.com',
                   printf('9%014d', i) || '0', printf('Z%07d', i),
                   CASE WHEN i % 20 = 0 THEN 'suspended' ELSE 'active' END,
                   ? + (i * 7919 % ?) * (? / ?), ?, 1 FROM n
        """, (members, program, start, members, span, members, now))
        con.execute("""
            WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?)
            INSERT INTO entries (program_id, member_id, id, type, reference, created_at_ms)
            SELECT ?, 'mem_' || printf('%026d', (k * 104729) % ? + 1),
                   'ent_' || printf('%026d', k),
                   CASE WHEN k % 10 = 3 THEN 'redeem' WHEN k % 20 = 7 THEN 'expire'
                        ELSE 'earn' END,
                   'txn_' || printf('%026d', k), ? + k * (? / ?) FROM n
        """, (entries, program, members, start, span, entries))
        # The member's posting, then the program's (program:issued, :redeemed or :expired).
        con.execute("""
            INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points,
                                  balance_after, created_at_ms)
            SELECT program_id, member_id, member_id, CAST(substr(id, 5) AS INTEGER), id,
                   CASE type WHEN 'earn' THEN 1 ELSE -1 END
                   * ((CAST(substr(id, 5) AS INTEGER) % 50) + 1), 0, created_at_ms
            FROM entries
        """)
        con.execute("""
            INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points,
                                  balance_after, created_at_ms)
            SELECT program_id, member_id,
                   CASE type WHEN 'earn' THEN 'program:issued'
                             WHEN 'redeem' THEN 'program:redeemed' ELSE 'program:expired' END,
                   CAST(substr(id, 5) AS INTEGER), id,
                   CASE type WHEN 'earn' THEN -1 ELSE 1 END
                   * ((CAST(substr(id, 5) AS INTEGER) % 50) + 1), 0, created_at_ms
            FROM entries
        """)
        con.execute("""
            INSERT INTO lots (program_id, member_id, id, entry_id, source_id, points_earned,
                              points_remaining, earned_at_ms, available_at_ms, expires_at_ms)
            SELECT program_id, member_id, 'lot_' || substr(id, 5), id, reference, 10,
                   CASE WHEN substr(id, -1) IN ('1', '2') THEN 10 ELSE 0 END, created_at_ms,
                   created_at_ms + 14 * ?, created_at_ms + 365 * ?
            FROM entries WHERE type = 'earn'
        """, (DAY_MS, DAY_MS))
        con.execute("""
            INSERT INTO purchases (program_id, member_id, id, external_id, occurred_at_ms,
                                   currency, amount, eligible_amount, points_earned, lot_id,
                                   entry_id, created_at_ms)
            SELECT program_id, member_id, reference, 'big-' || substr(id, 5), created_at_ms,
                   'USD', 1000 + (CAST(substr(id, 5) AS INTEGER) % 97) * 100, 1000, 10,
                   'lot_' || substr(id, 5), id, created_at_ms
            FROM entries WHERE type = 'earn'
        """)
        con.execute("""
            INSERT INTO accounts (program_id, member_id, id, balance, postings)
            SELECT program_id, member_id, account_id, sum(points), count(*) FROM postings
            GROUP BY program_id, member_id, account_id
        """)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return init["api_key"]


def cpu_ms(pid):
    """The process's user + system CPU time, ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 // os.sysconf("SC_CLK_TCK")


def main():
    patron, db = sys.argv[1], sys.argv[2]
    members = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    entries = int(sys.argv[4]) if len(sys.argv) > 4 else 2400000
    began = time.time()
    key = load(patron, db, members, entries)
    print("loaded %d members and %d entries in %.0f s" % (members, entries, time.time() - began))
    # --test-clock: the scheduled jobs (expiry) stay off, so that only the summary runs.
    server = subprocess.Popen([patron, "serve", "--db", db, "--listen", "127.0.0.1:0",
                               "--threads", "4", "--test-clock"], stderr=subprocess.PIPE,
                              text=True)
    try:
        port = None
        for line in server.stderr:
            if '"listening"' in line:
                port = json.loads(line)["port"]
                break
        assert port, "the server did not start"
        today = time.strftime("%Y-%m-%d", time.gmtime())
        first = int(today[:4]) * 12 + int(today[5:7]) - 1 - 35  # 36 months, this one the last
        for name, query in (("13 months (default)", ""),
                            ("36 months", "?from=%04d-%02d-01&to=%s" % (first // 12,
                                                                        first % 12 + 1, today)),
                            ("this month", "?from=%s01&to=%s" % (today[:8], today))):
            for _ in range(3):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                cpu0, wall0 = cpu_ms(server.pid), time.time()
                conn.request("GET", "/v1/program/summary" + query,
                             headers={"Authorization": "Bearer " + key})
                answer = conn.getresponse()
                answer.read()
                assert answer.status == 200, answer.status
                print("%-22s wall %6.2f s   server CPU %5d ms"
                      % (name, time.time() - wall0, cpu_ms(server.pid) - cpu0))
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    main()
