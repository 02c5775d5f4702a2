# SPDX-License-Identifier: MIT
"""Pictures for the till and the phone: the member's card number as a QR code and as a Code
128 barcode (SVG), decoded back by a real reader: the SVG is drawn to PNG by rsvg-convert
(librsvg) and read by zbarimg (ZBar), both Debian packages."""
import os
import subprocess
import tempfile

from conftest import new_member


def decode(svg_bytes, width):
    with tempfile.TemporaryDirectory() as tmp:
        svg = os.path.join(tmp, "code.svg")
        png = os.path.join(tmp, "code.png")
        with open(svg, "wb") as f:
            f.write(svg_bytes.encode())
        subprocess.run(["rsvg-convert", "-w", str(width), "-b", "white", "-o", png, svg],
                       check=True, timeout=30)
        out = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()


def test_member_card_qr_decodes_to_the_card_number(dep):
    m = new_member(dep.a)
    r = dep.a.get("/v1/members/%s/card/qr.svg" % m["id"])
    assert r.status == 200, r
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.body.startswith("<svg") and "</svg>" in r.body
    assert decode(r.body, 400) == m["card_number"]


def test_member_card_barcode_decodes_to_the_card_number(dep):
    m = new_member(dep.a)
    r = dep.a.get("/v1/members/%s/card/barcode.svg" % m["id"])
    assert r.status == 200, r
    assert r.headers["content-type"] == "image/svg+xml"
    assert m["card_number"] in r.body  # The human-readable line under the bars.
    assert decode(r.body, 800) == m["card_number"]


def test_pictures_need_a_key_and_a_member_of_the_program(dep):
    m = new_member(dep.a)
    for path in ("qr.svg", "barcode.svg"):
        assert dep.anon().get("/v1/members/%s/card/%s" % (m["id"], path)).status == 401
        assert dep.b.get("/v1/members/%s/card/%s" % (m["id"], path)).status == 404
        assert dep.a.get("/v1/members/mem_nobody/card/%s" % path).status == 404
