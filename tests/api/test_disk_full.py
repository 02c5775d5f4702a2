# SPDX-License-Identifier: MIT
"""Disk full: on a small tmpfs, purchases until the disk fills. Every refused write answers 503
`unavailable` (never a 2xx for a write that is not stored), reads keep working, `patron audit`
passes, and once space is freed writes resume without a restart.

Mounting a tmpfs needs root (CI runs as root); elsewhere the test is skipped with its reason.
"""
import os
import subprocess
import tempfile

import pytest

from conftest import Client, Server, new_member, run_cli


@pytest.fixture
def small_disk():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the disk-full test cannot run here")
    mnt = tempfile.mkdtemp(prefix="patron-full-")
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt],
                         capture_output=True, text=True)
    if out.returncode != 0:
        os.rmdir(mnt)
        pytest.skip("cannot mount a tmpfs here: " + out.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)
        os.rmdir(mnt)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_disk_full_pauses_writes_cleanly(small_disk):
    db = os.path.join(small_disk, "patron.db")
    key = run_cli("init", "--db", db, "--min-free-mb", "4").stdout.strip().splitlines()[-1]
    server = Server(db, ("--min-free-mb", "4"))
    try:
        c = Client(server.port, key)
        member = new_member(c)["id"]
        # Leave about 6 MiB: the margin (4 MiB) is reached after a couple of MiB of purchases.
        ballast = os.path.join(small_disk, "ballast")
        with open(ballast, "wb") as f:
            f.write(b"\0" * max(0, free_bytes(small_disk) - 6 * 1024 * 1024))
        acknowledged, refused = [], 0
        for i in range(20000):
            r = c.post("/v1/transactions", {
                "external_id": "full-%d" % i, "member_id": member, "currency": "USD",
                "amount": 100, "channel": "x" * 128})
            if r.status == 201:
                acknowledged.append(r.json["id"])
                continue
            assert r.status == 503 and r.error["code"] == "unavailable", r
            assert r.headers.get("retry-after") == "1"
            refused += 1
            if refused >= 5:
                break
        print("acknowledged %d before the disk filled" % len(acknowledged))
        assert refused == 5, "the disk never filled"
        assert len(acknowledged) > 0
        # Reads keep working, and every acknowledged purchase is there.
        b = c.get("/v1/members/%s/balance" % member)
        assert b.status == 200 and b.json["available"] == len(acknowledged)
        # Free the space: writes resume without a restart.
        os.remove(ballast)
        r = c.post("/v1/transactions", {"external_id": "after", "member_id": member,
                                        "currency": "USD", "amount": 100})
        assert r.status == 201, r
        assert c.get("/v1/members/%s/balance" % member).json["available"] == len(acknowledged) + 1
    finally:
        server.stop()
    assert run_cli("audit", "--db", db).returncode == 0
