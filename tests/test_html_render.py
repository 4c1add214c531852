"""The HTML report: self-contained, escaped, and rendered by a real
browser (headless Chromium) with its plot on screen."""

import os
import re
import struct
import subprocess
import zlib

import numpy as np
import pytest

from handmade import refuted
from mechanisms import CATALOGUE
from verifier import report

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
CURVE = (0x1F, 0x5F, 0xBF)          # plot.COLOURS["curve"]


def _page(tmp_path, verdict=None):
    verdict = verdict or refuted()
    path = str(tmp_path / "report.html")
    report.write_report(path, verdict, CATALOGUE["first-price"].mechanism)
    return path


def test_the_page_loads_nothing_from_outside(tmp_path):
    text = open(_page(tmp_path)).read()

    without_namespace = text.replace('xmlns="http://www.w3.org/2000/svg"',
                                     "")
    for outside in ("http:", "https:", "src=", "href=", "url(", "@import",
                    "<link", "<script"):
        assert outside not in without_namespace


def test_every_user_string_is_escaped(tmp_path):
    hostile = "<script>alert(1)</script> & \"quoted\""
    verdict = refuted(mechanism=hostile, tie_rule=hostile,
                      stop_reason=hostile)

    text = open(_page(tmp_path, verdict)).read()

    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;" \
        in text


def _chromium(tmp_path, *args):
    if not os.path.exists(CHROMIUM):
        reason = (f"{CHROMIUM} is missing: install Debian's chromium "
                  f"(apt-get install -y chromium) to render the report")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
               *args]
    return subprocess.run(command, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_chromium_builds_the_page_with_its_plot(tmp_path):
    page = _page(tmp_path)

    done = _chromium(tmp_path, "--dump-dom", f"file://{page}")

    dom = done.stdout.decode()
    assert "REFUTED: first-price is not DSIC" in dom
    assert re.search(r"<svg[^>]*utility-plot", dom)
    assert dom.count("<polyline") == 2
    assert 'class="open"' in dom and 'class="closed"' in dom


def test_chromium_paints_the_plot(tmp_path):
    page = _page(tmp_path)
    shot = tmp_path / "shot.png"

    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=900,1300",
              f"file://{page}")

    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (900, 1300)
    painted = np.any(pixels != 255, axis=2).sum()
    curve = np.all(np.abs(pixels.astype(int) - CURVE) <= 40, axis=2).sum()
    assert painted > 0.02 * width * height
    assert curve > 300


def read_png(data):
    """(width, height, pixels) of an 8-bit RGB or RGBA PNG; pixels is an
    array of shape (height, width, 3)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat = 8, b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8)
    rows = _unfilter(raw.reshape(height, width * step + 1), step)
    return width, height, rows.reshape(height, width, step)[:, :, :3]


def _unfilter(raw, step):
    """Undo the PNG filter of every row (none, sub, up, average, Paeth)."""
    out = np.zeros((raw.shape[0], raw.shape[1] - 1), dtype=np.uint8)
    previous = np.zeros(raw.shape[1] - 1, dtype=np.int64)
    for y, (kind, *_) in enumerate(raw):
        line = raw[y, 1:].astype(np.int64)
        if kind == 1:
            line = np.cumsum(line.reshape(-1, step), axis=0).reshape(-1)
        elif kind == 2:
            line = line + previous
        elif kind in (3, 4):
            line = _sequential(line.tolist(), previous.tolist(), step, kind)
        out[y] = line & 0xFF
        previous = out[y].astype(np.int64)
    return out


def _sequential(line, previous, step, kind):
    for x in range(len(line)):
        a = line[x - step] if x >= step else 0
        b = previous[x]
        if kind == 3:
            line[x] = (line[x] + (a + b) // 2) & 0xFF
            continue
        c = previous[x - step] if x >= step else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        guess = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[x] = (line[x] + guess) & 0xFF
    return np.array(line, dtype=np.int64)
