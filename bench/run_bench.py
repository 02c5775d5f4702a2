#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench`: Patron's speed beside baselines measured in the same run.

Baselines: the disk's fsync rate (fsync_rate.c), the HTTP ceiling (`GET /healthz` with wrk),
and the SQL peer (PostgreSQL 15, a throw-away cluster, the same purchase as plain SQL through
pgbench with 16 clients, synchronous_commit=on). Then Patron on SQLite (WAL,
synchronous=FULL) with 100,000 members over 64 keep-alive connections: purchases with 3
items, balance reads, and a 70/20/8/2 mix; purchases at half the measured peak from an
open-loop generator (openloop.c: latency from the due time, so queueing is not hidden); the
server's peak RSS; overload: purchases offered at twice the measured peak over 1,024
connections, where the excess must be shed with 503 + Retry-After and memory stay bounded.
The purchases stored are counted in the database after the purchase run, so that a replayed
receipt number cannot pass for a purchase. Last, Patron itself on PostgreSQL (a throw-away
cluster, synchronous_commit=on, the same members bulk-loaded): purchases and balance reads
with the same load, beside the SQLite figures.

Promotion codes in bulk: a batch of BATCH_CODES (1,000,000) codes made by a server on each
engine, timed from the POST to the batch's ready state, and its codes.csv downloaded; beside
the engine's own bulk insert of as many rows of the same shape in one transaction (the
floor). `run_bench.py batches` runs only these.

Prints one table and writes bench/results/latest.json. BENCH_SECONDS sets each run's length.
"""
import datetime
import glob
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PATRON = os.path.join(ROOT, "build", "patron")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
CONNECTIONS = 64
BIG_MEMBERS = int(os.environ.get("BENCH_BIG_MEMBERS", "1000000"))
BIG_ENTRIES = int(os.environ.get("BENCH_BIG_ENTRIES", "10000000"))
OPENLOOP_SECONDS = int(os.environ.get("BENCH_OPENLOOP_SECONDS", "60"))
OVERLOAD_SECONDS = int(os.environ.get("BENCH_OVERLOAD_SECONDS", "20"))
OVERLOAD_CONNECTIONS = 1024
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
BATCH_CODES = int(os.environ.get("BENCH_BATCH_CODES", "1000000"))


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise SystemExit("%s exited %d: %s%s" % (cmd[0], out.returncode, out.stdout[-2000:],
                                                 out.stderr[-2000:]))
    return out


def fsync_rate(workdir):
    exe = os.path.join(workdir, "fsync_rate")
    run(["cc", "-O2", "-o", exe, os.path.join(HERE, "fsync_rate.c")])
    return json.loads(run([exe, workdir, "3"]).stdout)["fsyncs_per_s"]


def luhn_digit(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def add_members(db, program_id, n):
    """Bulk-loads n members straight into the database (the API would take minutes)."""
    rng = random.Random(1)
    con = sqlite3.connect(db)
    rows = []
    ids = []
    now = int(time.time() * 1000)
    for i in range(n):
        mid = "mem_" + "".join(rng.choice(ALPHABET) for _ in range(26))
        card = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(14))
        rows.append((program_id, mid, "bench%d@example.com" % i, card + luhn_digit(card),
                     "B%07d" % i, now, now))
        ids.append(mid)
    con.executemany("INSERT INTO members (program_id, id, email, card_number, referral_code, "
                    "status, enrolled_at_ms, updated_at_ms, version) "
                    "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, 1)", rows)
    for kind in ("email", "card_number", "referral_code"):
        con.execute("INSERT INTO member_keys SELECT program_id, ?, %s, id FROM members" % kind,
                    (kind,))
    con.commit()
    # Start the runs from a checkpointed database, as a server that has been up a while has.
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return ids


# The benchmark's program raises its rate limits to the maxima (docs/security.md, "Rate
# limits"): the defaults, 2,000 requests a second per key and 5,000 per program, sit below what
# the benchmark sends on its one key, and it measures the server, not the limiter.
UNLIMITED = {bucket: {"per_second": 1000000, "burst": 10000000}
             for bucket in ("key", "program", "expensive")}


class Server:
    def __init__(self, db, key=None):
        # The load generators connect from one address, as a reverse proxy does (docs/security.md):
        # up to 1,024 connections, past the default of 64 per address.
        self.proc = subprocess.Popen([PATRON, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                      "--threads", "64", "--max-connections-per-address", "4096"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                if '"msg":"listening"' in line:
                    self.port = json.loads(line)["port"]
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(60)
        assert self.port, "patron serve did not start"
        if key is not None:
            status, body = http_call(self.port, "PATCH", "/v1/program", key,
                                     {"rate_limits": UNLIMITED})
            assert status == 200, body

    def peak_rss_kib(self, field="VmHWM:"):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def purchases_stored(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute("SELECT count(*) FROM purchases").fetchone()[0]
    finally:
        con.close()


def wrk(url, script, env, seconds=SECONDS, connections=CONNECTIONS):
    out = run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--timeout", "10s",
               "-s", os.path.join(HERE, script), url], env=dict(os.environ, **env))
    line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    r["per_s"] = r["requests"] / (r["duration_us"] / 1e6)
    # Answered with 2xx: a shed request (503) is quick, and must not count as work done.
    r["ok_per_s"] = (r["requests"] - r["errors_status"]) / (r["duration_us"] / 1e6)
    return r


def rules_micro(workdir):
    """The rules engine in process: a 10-item cart against 200 rules (bench/rules_bench.c)."""
    out = run([os.path.join(ROOT, "build", "rules_bench"), "100000"])
    return json.loads(out.stdout.strip().splitlines()[-1])


def openloop(workdir, port, key, members_file, rate, seconds, connections=64):
    exe = os.path.join(workdir, "openloop")
    run(["cc", "-O2", "-o", exe, os.path.join(HERE, "openloop.c")])
    out = run([exe, str(port), key, members_file, "%.0f" % rate, str(seconds), str(connections)])
    return json.loads(out.stdout.strip().splitlines()[-1])


def big_database(workdir):
    """Purchases/s on a database already holding BIG_MEMBERS members and BIG_ENTRIES entries."""
    db = os.path.join(workdir, "big.db")
    created = json.loads(run([PATRON, "init", "--db", db, "--json"]).stdout)
    run([sys.executable, os.path.join(HERE, "big_dataset.py"), db, created["program_id"],
         str(BIG_MEMBERS), str(BIG_ENTRIES)])
    members_file = os.path.join(workdir, "big_members.txt")
    with open(members_file, "w") as f:
        for i in range(1, min(BIG_MEMBERS, 100000) + 1):
            f.write("mem_%026d\n" % (i * (BIG_MEMBERS // min(BIG_MEMBERS, 100000))))
    server = Server(db, created["api_key"])
    env = {"BENCH_KEY": created["api_key"], "BENCH_MEMBERS": members_file}
    try:
        # Warm-up as for the 100k-member run: a server that has been up a while has its pages
        # cached.
        wrk("http://127.0.0.1:%d" % server.port, "purchase.lua", env, seconds=5)
        r = wrk("http://127.0.0.1:%d" % server.port, "purchase.lua", env)
    finally:
        server.stop()
    os.remove(db)
    return r


def http_call(port, method, path, key, body=None):
    import http.client
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": "Bearer " + key}
    if body is not None:
        headers["Content-Type"] = "application/json"
    con.request(method, path, body=json.dumps(body) if body is not None else None,
                headers=headers)
    resp = con.getresponse()
    data = resp.read()
    con.close()
    return resp.status, data


def coupon_batch(port, key):
    """A batch of BATCH_CODES codes: seconds from the POST to ready, and the codes.csv download."""
    t0 = time.monotonic()
    status, body = http_call(port, "POST", "/v1/coupon-batches", key,
                             {"name": "Bench", "count": BATCH_CODES, "prefix": "BNCH",
                              "discount": {"type": "discount_amount", "value": 500}})
    assert status == 202, body
    batch = json.loads(body)
    while batch["status"] == "generating":
        time.sleep(0.05)
        status, body = http_call(port, "GET", "/v1/coupon-batches/" + batch["id"], key)
        batch = json.loads(body)
    made_s = time.monotonic() - t0
    assert batch["status"] == "ready" and batch["generated"] == BATCH_CODES, batch
    t0 = time.monotonic()
    status, body = http_call(port, "GET", "/v1/coupon-batches/%s/codes.csv" % batch["id"], key)
    csv_s = time.monotonic() - t0
    lines = body.decode().splitlines()
    assert status == 200 and len(lines) == BATCH_CODES + 1
    assert len(set(l.split(",")[1] for l in lines[1:])) == BATCH_CODES
    return {"codes": BATCH_CODES, "seconds": made_s, "per_s": BATCH_CODES / made_s,
            "csv_seconds": csv_s, "csv_bytes": len(body)}


def sqlite_bulk_floor(workdir):
    """Seconds SQLite takes to store BATCH_CODES rows shaped as promotion codes in one
    transaction (executemany, synchronous=FULL, WAL): the floor of the batch's insert."""
    path = os.path.join(workdir, "floor.db")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA cache_size=-65536")  # As Patron's writer.
    con.execute("CREATE TABLE promo_codes (program_id TEXT NOT NULL, code TEXT NOT NULL "
                "PRIMARY KEY, batch_id TEXT NOT NULL, n INTEGER NOT NULL, "
                "uses INTEGER NOT NULL DEFAULT 0)")
    con.execute("CREATE UNIQUE INDEX promo_codes_batch ON promo_codes (program_id, batch_id, n)")
    rows = [("prg_bench", "BNCH" + "".join(random.choice(ALPHABET.upper()) for _ in range(13)),
             "cbt_bench", i + 1) for i in range(BATCH_CODES)]
    t0 = time.monotonic()
    with con:
        con.executemany("INSERT INTO promo_codes (program_id, code, batch_id, n) "
                        "VALUES (?, ?, ?, ?)", rows)
    seconds = time.monotonic() - t0
    con.close()
    return seconds


def batches_only():
    """`run_bench.py batches`: the batch figures alone, on SQLite and on PostgreSQL."""
    workdir = tempfile.mkdtemp(prefix="patron-bench-", dir=os.path.join(HERE, "results"))
    os.chmod(workdir, 0o755)
    try:
        db = os.path.join(workdir, "bench.db")
        created = json.loads(run([PATRON, "init", "--db", db, "--json"]).stdout)
        members_file = os.path.join(workdir, "members.txt")
        with open(members_file, "w") as f:
            f.write("\n".join(add_members(db, created["program_id"], 10000)) + "\n")
        env = {"BENCH_KEY": created["api_key"], "BENCH_MEMBERS": members_file}
        server = Server(db, created["api_key"])
        url = "http://127.0.0.1:%d" % server.port
        try:
            batch = coupon_batch(server.port, created["api_key"])
            # Purchases alone, then beside a batch being made: what a batch costs live traffic.
            wrk(url, "purchase.lua", env, seconds=3, connections=16)  # warm-up
            alone = wrk(url, "purchase.lua", env, connections=16)
            # For most of the batch's making (about 20-25 s on this machine).
            during = {}
            thread = threading.Thread(target=lambda: during.update(
                wrk(url, "purchase.lua", env, seconds=20, connections=16)))
            thread.start()
            busy_batch = coupon_batch(server.port, created["api_key"])
            thread.join()
            # Purchases arriving at a batch in full swing (10,000 codes a write): they queue
            # behind a long chunk, and must not be shed for it.
            late = {}
            thread = threading.Thread(target=lambda: late.update(coupon_batch(
                server.port, created["api_key"])))
            thread.start()
            time.sleep(4)
            arriving = wrk(url, "purchase.lua", env, connections=16)
            thread.join()
        finally:
            server.stop()
        floor = sqlite_bulk_floor(workdir)
        pg = patron_on_postgres(workdir, batches_only=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report_batches(batch, floor, pg["batch"], pg["batch_floor_s"])
    print("SQLite     a batch beside those purchases: %.1f s" % busy_batch["seconds"])
    for name, r in (("alone", alone), ("beside a batch", during),
                    ("arriving at one", arriving)):
        print("SQLite purchases %-15s %6.0f/s  p50 %5.1f ms  p99 %6.1f ms  max %6.1f ms  "
              "non-2xx %d" % (name, r["ok_per_s"], r["p50_us"] / 1e3, r["p99_us"] / 1e3,
                              r["max_us"] / 1e3, r["errors_status"]))
    return 0


def report_batches(batch, floor, pg_batch, pg_floor):
    for engine, b, f in (("SQLite", batch, floor), ("PostgreSQL", pg_batch, pg_floor)):
        print("%-10s %d codes made in %.1f s (%.0f codes/s; target < 30 s); the engine's own "
              "bulk insert of as many rows: %.1f s (batch = %.1f x it); codes.csv %.1f MB in "
              "%.1f s" % (engine, b["codes"], b["seconds"], b["per_s"], f, b["seconds"] / f,
                          b["csv_bytes"] / 1e6, b["csv_seconds"]))


def patron_on_postgres(workdir, batches_only=False):
    """Patron itself on PostgreSQL (a throw-away cluster, synchronous_commit=on): purchases and
    balance reads with the same load as on SQLite, on PG_MEMBERS members."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    data = os.path.join(workdir, "pgp")
    sock = os.path.join(workdir, "pgpsock")
    os.makedirs(sock)
    user = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the unprivileged nobody user.
        shutil.chown(workdir, "nobody")
        shutil.chown(sock, "nobody")
        user = ["runuser", "-u", "nobody", "--"]
    run(user + [bindir + "/initdb", "-D", data, "-A", "trust", "-U", "bench"])
    opts = "-c listen_addresses='' -c unix_socket_directories=%s -c synchronous_commit=on " \
           "-c fsync=on -c max_connections=200 -c shared_buffers=256MB" % sock
    run(user + [bindir + "/pg_ctl", "-D", data, "-o", opts, "-w", "-l",
                os.path.join(data, "log"), "start"])
    try:
        run([bindir + "/psql", "-h", sock, "-U", "bench", "-d", "postgres", "-q", "-c",
             "CREATE DATABASE patron"])
        dsn = "host=%s dbname=patron user=bench" % sock
        created = json.loads(run([PATRON, "init", "--db", dsn, "--json"]).stdout)
        run([bindir + "/psql", "-h", sock, "-U", "bench", "-d", "patron", "-q", "-c",
             "INSERT INTO members (program_id, id, email, card_number, referral_code, status, "
             "enrolled_at_ms, updated_at_ms, version) SELECT '%s', 'mem_' || lpad(i::text, 26, "
             "'0'), 'pg' || i || '@example.com', '9' || lpad(i::text, 14, '0') || '0', "
             "'P' || lpad(i::text, 7, '0'), 'active', 0, 0, 1 "
             "FROM generate_series(1, %d) AS i;"
             "INSERT INTO member_keys SELECT program_id, 'email', email, id FROM members;"
             "INSERT INTO member_keys SELECT program_id, 'card_number', card_number, id "
             "FROM members;"
             "INSERT INTO member_keys SELECT program_id, 'referral_code', referral_code, id "
             "FROM members" % (created["program_id"], MEMBERS)])
        run([bindir + "/psql", "-h", sock, "-U", "bench", "-d", "patron", "-q", "-c",
             "VACUUM ANALYZE"])
        if batches_only:
            return pg_batches(bindir, sock, dsn, created)
        members_file = os.path.join(workdir, "pg_members.txt")
        with open(members_file, "w") as f:
            for i in range(1, MEMBERS + 1):
                f.write("mem_%026d\n" % i)
        env = {"BENCH_KEY": created["api_key"], "BENCH_MEMBERS": members_file}
        server = Server(dsn, created["api_key"])
        url = "http://127.0.0.1:%d" % server.port
        try:
            wrk(url, "purchase.lua", env, seconds=3)  # warm-up, not reported
            result = {"purchases": wrk(url, "purchase.lua", env),
                      "balance_reads": wrk(url, "balance.lua", env)}
        finally:
            server.stop()
        result.update(pg_batches(bindir, sock, dsn, created))
        result["audit_ok"] = subprocess.run([PATRON, "audit", "--db", dsn],
                                            capture_output=True).returncode == 0
        return result
    finally:
        subprocess.run(user + [bindir + "/pg_ctl", "-D", data, "-m", "fast", "stop"],
                       capture_output=True)


def pg_batches(bindir, sock, dsn, created):
    """The batch on PostgreSQL, and PostgreSQL's own insert of as many rows of the same shape
    in one statement (generate_series, md5 for the codes): the floor."""
    server = Server(dsn, created["api_key"])
    try:
        batch = coupon_batch(server.port, created["api_key"])
    finally:
        server.stop()
    psql = [bindir + "/psql", "-h", sock, "-U", "bench", "-d", "patron", "-q", "-c"]
    run(psql + ["CREATE TABLE floor_codes (program_id TEXT NOT NULL, code TEXT NOT NULL "
                "PRIMARY KEY, batch_id TEXT NOT NULL, n BIGINT NOT NULL, "
                "uses BIGINT NOT NULL DEFAULT 0); CREATE UNIQUE INDEX floor_codes_batch ON "
                "floor_codes (program_id, batch_id, n)"])
    t0 = time.monotonic()
    run(psql + ["INSERT INTO floor_codes (program_id, code, batch_id, n) SELECT 'prg_bench', "
                "'BNCH' || upper(substr(md5(random()::text), 1, 13)), 'cbt_bench', i "
                "FROM generate_series(1, %d) AS i" % BATCH_CODES])
    return {"batch": batch, "batch_floor_s": time.monotonic() - t0}


def postgres_peer(workdir):
    """TPS of the purchase as plain SQL on PostgreSQL 15, 16 clients, synchronous_commit=on."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    data = os.path.join(workdir, "pg")
    sock = os.path.join(workdir, "pgsock")
    os.makedirs(sock)
    env = dict(os.environ)
    user = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as the unprivileged nobody user.
        shutil.chown(workdir, "nobody")
        for d in (sock,):
            shutil.chown(d, "nobody")
        user = ["runuser", "-u", "nobody", "--"]
    run(user + [bindir + "/initdb", "-D", data, "-A", "trust", "-U", "bench"], env=env)
    opts = "-c listen_addresses='' -c unix_socket_directories=%s -c synchronous_commit=on " \
           "-c fsync=on -c max_connections=50 -c shared_buffers=256MB" % sock
    run(user + [bindir + "/pg_ctl", "-D", data, "-o", opts, "-w", "-l",
                os.path.join(data, "log"), "start"], env=env)
    try:
        psql = [bindir + "/psql", "-h", sock, "-U", "bench", "-d", "postgres", "-q"]
        run(psql + ["-f", os.path.join(HERE, "pg_schema.sql")])
        out = run([bindir + "/pgbench", "-h", sock, "-U", "bench", "-n", "-c", "16", "-j", "2",
                   "-T", str(SECONDS), "-f", os.path.join(HERE, "pg_purchase.sql"), "postgres"])
        tps = [l for l in out.stdout.splitlines() if l.startswith("tps")][0]
        return float(tps.split()[2])
    finally:
        subprocess.run(user + [bindir + "/pg_ctl", "-D", data, "-m", "fast", "stop"],
                       capture_output=True)


def main():
    # 1,024 connections for the overload run, in the generator and in the server it starts.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
               "seconds_per_run": SECONDS, "members": MEMBERS, "connections": CONNECTIONS}
    workdir = tempfile.mkdtemp(prefix="patron-bench-", dir=os.path.join(HERE, "results"))
    os.chmod(workdir, 0o755)
    try:
        results["fsync_per_s"] = fsync_rate(workdir)
        db = os.path.join(workdir, "bench.db")
        created = json.loads(run([PATRON, "init", "--db", db, "--json"]).stdout)
        members = add_members(db, created["program_id"], MEMBERS)
        members_file = os.path.join(workdir, "members.txt")
        with open(members_file, "w") as f:
            f.write("\n".join(members) + "\n")
        env = {"BENCH_KEY": created["api_key"], "BENCH_MEMBERS": members_file}
        server = Server(db, created["api_key"])
        url = "http://127.0.0.1:%d" % server.port
        try:
            results["healthz"] = wrk(url + "/healthz", "healthz.lua", env)
            wrk(url, "purchase.lua", env, seconds=3)  # warm-up, not reported
            before = purchases_stored(db)
            results["purchases"] = wrk(url, "purchase.lua", env)
            results["purchases"]["stored"] = purchases_stored(db) - before
            rate = results["purchases"]["ok_per_s"] / 2
            results["openloop"] = openloop(workdir, server.port, created["api_key"], members_file,
                                           rate, OPENLOOP_SECONDS)
            results["openloop"]["rate"] = rate
            results["balance_reads"] = wrk(url, "balance.lua", env)
            results["mix"] = wrk(url, "mix.lua", env)
            results["peak_rss_kib"] = server.peak_rss_kib()
            rss_before = server.peak_rss_kib("VmRSS:")
            results["overload"] = openloop(workdir, server.port, created["api_key"],
                                           members_file, 2 * results["purchases"]["ok_per_s"],
                                           OVERLOAD_SECONDS, OVERLOAD_CONNECTIONS)
            results["overload"]["rate"] = 2 * results["purchases"]["ok_per_s"]
            results["overload"]["rss_before_kib"] = rss_before
            results["overload"]["rss_after_kib"] = server.peak_rss_kib("VmRSS:")
            batch_result = coupon_batch(server.port, created["api_key"])
        finally:
            server.stop()
        audit = subprocess.run([PATRON, "audit", "--db", db], capture_output=True, text=True)
        results["audit_ok"] = audit.returncode == 0
        results["rules"] = rules_micro(workdir)
        results["big"] = big_database(workdir)
        results["batch"] = batch_result
        results["batch_floor_s"] = sqlite_bulk_floor(workdir)
        results["pg_peer_tps"] = postgres_peer(workdir)
        results["on_postgres"] = patron_on_postgres(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(results)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as f:
        json.dump(results, f, indent=2)
    return 0 if results["audit_ok"] and results["on_postgres"]["audit_ok"] else 1


def report(r):
    report_batches(r["batch"], r["batch_floor_s"], r["on_postgres"]["batch"],
                   r["on_postgres"]["batch_floor_s"])
    p, b, m, h = r["purchases"], r["balance_reads"], r["mix"], r["healthz"]
    rows = [
        ("disk fsyncs/s (baseline)", "%.0f" % r["fsync_per_s"], ""),
        ("GET /healthz req/s (HTTP ceiling)", "%.0f" % h["per_s"], ""),
        ("PostgreSQL SQL peer purchases/s (16 clients)", "%.0f" % r["pg_peer_tps"], ""),
        ("Patron durable purchases/s (2xx)", "%.0f" % p["ok_per_s"],
         "%.2f x fsync, %.2f x PostgreSQL (target >= 5 x both)"
         % (p["ok_per_s"] / r["fsync_per_s"], p["ok_per_s"] / r["pg_peer_tps"])),
        ("  purchases stored / answered 2xx", "%d / %d" % (p["stored"], p["requests"]
                                                         - p["errors_status"]), ""),
        ("  purchase p50 / p99 / max ms", "%.1f / %.1f / %.1f"
         % (p["p50_us"] / 1e3, p["p99_us"] / 1e3, p["max_us"] / 1e3), ""),
        ("Patron balance reads/s", "%.0f" % b["per_s"],
         "%.2f x /healthz (target >= 0.5)" % (b["per_s"] / h["per_s"])),
        ("  balance p50 / p99 ms", "%.2f / %.2f" % (b["p50_us"] / 1e3, b["p99_us"] / 1e3),
         "target p99 <= 5 ms"),
        ("Patron mix 70/20/8/2 req/s", "%.0f" % m["per_s"],
         "p99 %.1f ms, non-2xx %d" % (m["p99_us"] / 1e3, m["errors_status"])),
        ("server peak RSS MiB", "%.1f" % (r["peak_rss_kib"] / 1024), ""),
        ("audit after the runs", "ok" if r["audit_ok"] else "FAILED", ""),
        ("open loop at 50%% of peak (%.0f/s): p50 / p99 / max ms" % r["openloop"]["rate"],
         "%.1f / %.1f / %.1f" % (r["openloop"]["p50_us"] / 1e3, r["openloop"]["p99_us"] / 1e3,
                                 r["openloop"]["max_us"] / 1e3),
         "target p99 <= 10 ms, max <= 100 ms; %d errors" % r["openloop"]["errors"]),
        ("overload at 2 x peak (%.0f/s offered, %d conns): accepted/s"
         % (r["overload"]["rate"], OVERLOAD_CONNECTIONS),
         "%.0f" % (r["overload"]["ok"] / r["overload"]["elapsed_s"]),
         "shed %d (503, %d without Retry-After), other errors %d"
         % (r["overload"]["shed"], r["overload"]["shed_without_retry_after"],
            r["overload"]["errors"])),
        ("  accepted p50 / p99 / max ms", "%.1f / %.1f / %.1f"
         % (r["overload"]["ok_p50_us"] / 1e3, r["overload"]["ok_p99_us"] / 1e3,
            r["overload"]["ok_max_us"] / 1e3),
         "target p99 <= 2 x the open-loop p99 (%.1f ms)" % (2 * r["openloop"]["p99_us"] / 1e3)),
        ("  server RSS before / after MiB", "%.0f / %.0f"
         % (r["overload"]["rss_before_kib"] / 1024, r["overload"]["rss_after_kib"] / 1024),
         "memory bounded"),
        ("purchases/s (2xx) at %d members / %d entries" % (BIG_MEMBERS, BIG_ENTRIES),
         "%.0f" % r["big"]["ok_per_s"],
         "%.2f x the 100k-member figure (target >= 0.8); %d shed (503)"
         % (r["big"]["ok_per_s"] / p["ok_per_s"], r["big"]["errors_status"])),
        ("rules: 10-item cart, 200 rules, median / p99 us per evaluation",
         "%.1f / %.1f" % (r["rules"]["median_ns"] / 1e3, r["rules"]["p99_ns"] / 1e3),
         "target median < 20 us; fastest of %d rounds (slowest round's median %.1f us)"
         % (r["rules"]["rounds"], r["rules"]["slowest_round_median_ns"] / 1e3)),
    ]
    pg = r["on_postgres"]
    pg_ok = pg["purchases"]["ok_per_s"]
    rows += [
        ("Patron on PostgreSQL: durable purchases/s (2xx)", "%.0f" % pg_ok,
         "%.2f x Patron on SQLite, %.2f x the SQL peer; p99 %.1f ms; %d shed (503); audit %s"
         % (pg_ok / p["per_s"], pg_ok / r["pg_peer_tps"], pg["purchases"]["p99_us"] / 1e3,
            pg["purchases"]["errors_status"], "ok" if pg["audit_ok"] else "FAILED")),
        ("Patron on PostgreSQL: balance reads/s", "%.0f" % pg["balance_reads"]["per_s"],
         "%.2f x Patron on SQLite; p99 %.2f ms"
         % (pg["balance_reads"]["per_s"] / b["per_s"], pg["balance_reads"]["p99_us"] / 1e3)),
    ]
    width = max(len(x[0]) for x in rows)
    print("Patron benchmark, %s, %d s per run, %d members, %d connections"
          % (r["date"][:19], r["seconds_per_run"], r["members"], r["connections"]))
    for name, value, note in rows:
        print("%-*s  %14s  %s" % (width, name, value, note))


if __name__ == "__main__":
    sys.exit(batches_only() if sys.argv[1:] == ["batches"] else main())
