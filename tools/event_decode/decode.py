#!/usr/bin/python3
"""Independent reference decoder for soma's event file readers (numpy only, plus ctypes for
liblz4/libzstd). It shares no code with src/data/readers/ and is written straight from the
format descriptions in datasets/README.md; its numbers are hard-coded into
tests/data/readers/*.cpp.

Usage:  /usr/bin/python3 tools/event_decode/decode.py [DATASETS_DIR]     (default: ./datasets)

Per file (or per group of files) it prints: event count, min/max of x, y, t, ON and OFF counts
and a checksum defined as

    checksum = sum over events of (t*31 + x*7 + y*3 + p)  mod 2^64

with t the unwrapped timestamp in µs (int64, two's complement), x, y the decoded coordinates
and p in {0, 1} (1 = ON), all under soma's conventions (docs/event_formats.md):
  * ATIS .bin/.bs2: 23-bit t unwrapped (+2^23 when t drops by more than 2^22);
  * .bs1: x = channel, y = 0;
  * AEDAT 2.0 DVS128: jAER convention, p = 1 - (addr & 1), x = 127 - ((addr >> 1) & 0x7F),
    y = (addr >> 8) & 0x7F;
  * everything else as the format stores it (p = 1 for ON).
"""
import ctypes
import glob
import os
import re
import struct
import sys

import numpy as np

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def checksum(t, x, y, p):
    with np.errstate(over="ignore"):
        v = (t.astype(np.int64).view(np.uint64) * np.uint64(31)
             + x.astype(np.uint64) * np.uint64(7)
             + y.astype(np.uint64) * np.uint64(3)
             + p.astype(np.uint64))
        return int(np.sum(v, dtype=np.uint64))


def stats(t, x, y, p):
    n = len(t)
    if n == 0:
        return dict(n=0, xmin=0, xmax=0, ymin=0, ymax=0, tmin=0, tmax=0, on=0, off=0, sum=0,
                    mono=True)
    return dict(n=n, xmin=int(x.min()), xmax=int(x.max()), ymin=int(y.min()), ymax=int(y.max()),
                tmin=int(t.min()), tmax=int(t.max()), on=int((p == 1).sum()),
                off=int((p == 0).sum()), sum=checksum(t, x, y, p),
                mono=bool(np.all(np.diff(t) >= 0)))


# --- ATIS 40-bit ---------------------------------------------------------------------------
def unwrap23(raw):
    raw = raw.astype(np.int64)
    drops = np.zeros(len(raw), np.int64)
    if len(raw) > 1:
        drops[1:] = (raw[1:] + (1 << 22) < raw[:-1]).astype(np.int64)
    return raw + (np.cumsum(drops) << 23)


def atis(path, one_d=False):
    b = np.fromfile(path, np.uint8)
    assert len(b) % 5 == 0, path
    b = b.reshape(-1, 5).astype(np.uint32)
    raw_t = ((b[:, 2] & 0x7F) << 16) | (b[:, 3] << 8) | b[:, 4]
    p = b[:, 2] >> 7
    if one_d:
        x = (b[:, 0] << 8) | b[:, 1]
        y = np.zeros_like(x)
    else:
        x, y = b[:, 0], b[:, 1]
    return unwrap23(raw_t), x, y, p


# --- AEDAT 2.0 -----------------------------------------------------------------------------
def aedat2_body_offset(d):
    pos = 0
    while pos < len(d) and d[pos:pos + 1] == b"#":
        eol = d.find(b"\n", pos)
        eol = len(d) if eol < 0 else eol + 1
        line = d[pos:eol]
        pos = eol
        if line.startswith(b"#End Of ASCII Header"):
            break
    return pos


def aedat2(path, raw=False):
    d = open(path, "rb").read()
    off = aedat2_body_offset(d)
    assert (len(d) - off) % 8 == 0, path
    w = np.frombuffer(d[off:], ">u4").reshape(-1, 2)
    a, t = w[:, 0], w[:, 1].astype(np.int64)
    rawx = (a >> 1) & 0x7F
    y = (a >> 8) & 0x7F
    rawp = a & 1
    if raw:
        return t, rawx, y, rawp
    return t, 127 - rawx, y, 1 - rawp


# --- AEDAT 4.0 -----------------------------------------------------------------------------
_lz4 = ctypes.CDLL("liblz4.so.1")
_zstd = ctypes.CDLL("libzstd.so.1")


def lz4_frame_decompress(src):
    ctx = ctypes.c_void_p()
    assert _lz4.LZ4F_createDecompressionContext(ctypes.byref(ctx), 100) == 0
    out = bytearray()
    buf = ctypes.create_string_buffer(1 << 20)
    pos = 0
    while True:
        dst_size = ctypes.c_size_t(len(buf))
        src_size = ctypes.c_size_t(len(src) - pos)
        srcp = ctypes.c_char_p(src[pos:])
        r = _lz4.LZ4F_decompress(ctx, buf, ctypes.byref(dst_size), srcp, ctypes.byref(src_size),
                                 None)
        out += buf.raw[:dst_size.value]
        pos += src_size.value
        if r == 0:
            break
        assert r < (1 << 63) and (src_size.value or dst_size.value), "lz4 error"
    _lz4.LZ4F_freeDecompressionContext(ctx)
    return bytes(out)


def zstd_decompress(src):
    _zstd.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
    n = _zstd.ZSTD_getFrameContentSize(src, ctypes.c_size_t(len(src)))
    buf = ctypes.create_string_buffer(n)
    _zstd.ZSTD_decompress.restype = ctypes.c_size_t
    r = _zstd.ZSTD_decompress(buf, ctypes.c_size_t(n), src, ctypes.c_size_t(len(src)))
    assert r == n
    return buf.raw


def fb_table_field(buf, table, index):
    """Absolute position of field `index` of the FlatBuffer table at `table`, or None."""
    vt = table - struct.unpack_from("<i", buf, table)[0]
    vt_len = struct.unpack_from("<H", buf, vt)[0]
    if 4 + 2 * index >= vt_len:
        return None
    off = struct.unpack_from("<H", buf, vt + 4 + 2 * index)[0]
    return table + off if off else None


def aedat4(path):
    d = open(path, "rb").read()
    assert d[:14] == b"#!AER-DAT4.0\r\n"
    n = struct.unpack_from("<I", d, 14)[0]
    fb = d[18:18 + n]
    root = struct.unpack_from("<I", fb, 0)[0]
    assert fb[4:8] == b"IOHE"
    comp = struct.unpack_from("<i", fb, fb_table_field(fb, root, 0))[0]
    f1 = fb_table_field(fb, root, 1)
    table_pos = struct.unpack_from("<q", fb, f1)[0] if f1 else -1
    f2 = fb_table_field(fb, root, 2)
    s = f2 + struct.unpack_from("<I", fb, f2)[0]
    desc = fb[s + 4:s + 4 + struct.unpack_from("<I", fb, s)[0]].decode()
    evts = set(int(m) for m in re.findall(
        r'<node name="(\d+)"[^>]*>\s*(?:<attr[^>]*>[^<]*</attr>\s*)*?'
        r'<attr key="typeIdentifier" type="string">EVTS</attr>', desc))
    pos = 18 + n
    end = table_pos if table_pos > 0 else len(d)
    ts, xs, ys, ps = [], [], [], []
    packets = 0
    while pos < end:
        sid, size = struct.unpack_from("<ii", d, pos)
        payload = d[pos + 8:pos + 8 + size]
        pos += 8 + size
        if sid not in evts:
            continue
        packets += 1
        if comp in (1, 2):
            payload = lz4_frame_decompress(payload)
        elif comp in (3, 4):
            payload = zstd_decompress(payload)
        fbp = payload[4:]  # size-prefixed
        assert fbp[4:8] == b"EVTS"
        root = struct.unpack_from("<I", fbp, 0)[0]
        f0 = fb_table_field(fbp, root, 0)
        vec = f0 + struct.unpack_from("<I", fbp, f0)[0]
        cnt = struct.unpack_from("<I", fbp, vec)[0]
        ev = np.frombuffer(fbp, np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("on", "u1"),
                                          ("pad", "V3")]), cnt, vec + 4)
        ts.append(ev["t"]); xs.append(ev["x"]); ys.append(ev["y"]); ps.append(ev["on"])
    return (np.concatenate(ts), np.concatenate(xs).astype(np.int64),
            np.concatenate(ys).astype(np.int64), np.concatenate(ps).astype(np.int64)), packets


# --- Prophesee -----------------------------------------------------------------------------
def percent_header_end(d):
    pos = 0
    while pos < len(d) and d[pos:pos + 1] == b"%":
        eol = d.find(b"\n", pos)
        pos = len(d) if eol < 0 else eol + 1
    return pos


def dat(path):
    d = open(path, "rb").read()
    off = percent_header_end(d)
    etype, esize = d[off], d[off + 1]
    assert etype == 0 and esize == 8
    w = np.frombuffer(d[off + 2:], "<u4").reshape(-1, 2)
    t, v = w[:, 0].astype(np.int64), w[:, 1]
    return t, v & 0x3FFF, (v >> 14) & 0x3FFF, (v >> 28) & 0xF


def evt2(path):
    d = open(path, "rb").read()
    off = percent_header_end(d)
    w = np.frombuffer(d[off:off + (len(d) - off) // 4 * 4], "<u4")
    typ = w >> 28
    idx = np.arange(len(w))
    is_th = typ == 8
    last_th = np.maximum.accumulate(np.where(is_th, idx, -1))
    th = np.where(last_th >= 0, w[np.maximum(last_th, 0)] & 0x0FFFFFFF, 0).astype(np.int64)
    cd = (typ <= 1) & (last_th >= 0)  # CD events before the first TIME_HIGH have no time base
    ww = w[cd]
    t = (th[cd] << 6) | ((ww >> 22) & 0x3F).astype(np.int64)
    return t, (ww >> 11) & 0x7FF, ww & 0x7FF, typ[cd].astype(np.int64)


def evt3(path):
    d = open(path, "rb").read()
    off = percent_header_end(d)
    words = np.frombuffer(d[off:off + (len(d) - off) // 2 * 2], "<u2").tolist()
    ts, xs, ys, ps = [], [], [], []
    y = 0; base_x = 0; vp = 0; tl = 0; th = -1; wraps = 0; have_time = False
    for w in words:
        typ = w >> 12
        if typ == 0x0:
            y = w & 0x7FF
        elif typ == 0x8:
            v = w & 0xFFF
            if th >= 0 and v < th:
                wraps += 1
            th = v
            have_time = True
        elif typ == 0x6:
            tl = w & 0xFFF
        elif typ == 0x2:
            if have_time:
                ts.append((wraps << 24) | (th << 12) | tl); xs.append(w & 0x7FF); ys.append(y)
                ps.append((w >> 11) & 1)
        elif typ == 0x3:
            base_x = w & 0x7FF; vp = (w >> 11) & 1
        elif typ == 0x4 or typ == 0x5:
            nb = 12 if typ == 0x4 else 8
            if have_time:
                t = (wraps << 24) | (th << 12) | tl
                for i in range(nb):
                    if (w >> i) & 1:
                        ts.append(t); xs.append(base_x + i); ys.append(y); ps.append(vp)
            base_x += nb
    a = lambda v: np.array(v, np.int64)
    return a(ts), a(xs), a(ys), a(ps)


def npy_events(path):
    return np.load(path)


# --- main ----------------------------------------------------------------------------------
def row(name, s):
    print(f'  {{"{name}", {s["n"]}, {s["xmin"]}, {s["xmax"]}, {s["ymin"]}, {s["ymax"]}, '
          f'{s["tmin"]}, {s["tmax"]}, {s["on"]}, {s["off"]}, {s["sum"]}ULL}},'
          f'  // monotonic={s["mono"]}')


def group(name, files, fn):
    tot = dict(n=0, on=0, off=0, sum=0, xmin=1 << 30, xmax=0, ymin=1 << 30, ymax=0,
               tmin=1 << 62, tmax=-(1 << 62), mono=True)
    for f in files:
        s = stats(*fn(f))
        if s["n"] == 0:
            continue
        for k in ("n", "on", "off"):
            tot[k] += s[k]
        tot["sum"] = (tot["sum"] + s["sum"]) % (1 << 64)
        for k in ("xmin", "ymin", "tmin"):
            tot[k] = min(tot[k], s[k])
        for k in ("xmax", "ymax", "tmax"):
            tot[k] = max(tot[k], s[k])
        tot["mono"] &= s["mono"]
    row(name + " (group of %d)" % len(files), tot)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "datasets"
    P = lambda r: os.path.join(root, r)
    print("// name, n, xmin, xmax, ymin, ymax, tmin, tmax, on, off, checksum")
    print("// --- ATIS .bin / .bs2")
    row("tonic_samples/sample_nmnist.bin", stats(*atis(P("tonic_samples/sample_nmnist.bin"))))
    for i in (1, 2, 1000, 60001, 60100):
        row(f"nmnist_small/{i}.bs2", stats(*atis(P(f"nmnist_small/{i}.bs2"))))
    ids = list(range(1, 1001)) + list(range(60001, 60101))
    group("nmnist_small/*.bs2", [P(f"nmnist_small/{i}.bs2") for i in ids], atis)
    for i in range(1, 11):
        row(f"dvs128_clips_slayer/{i}.bs2", stats(*atis(P(f"dvs128_clips_slayer/{i}.bs2"))))
    print("// --- SLAYER .bs1")
    t, x, y, p = atis(P("ntidigits_slayer/NTIDIGITS_1.bs1"), one_d=True)
    row("ntidigits_slayer/NTIDIGITS_1.bs1", stats(t, x, y, p))
    print(f"//   channels used: {len(np.unique(x))}")
    print("// --- AEDAT 2.0 (jAER convention)")
    mn = sorted(glob.glob(P("mnist_dvs_digit0/*.aedat")))
    for f in mn[:2]:
        row(os.path.relpath(f, root), stats(*aedat2(f)))
    group("mnist_dvs_digit0/*.aedat", mn, aedat2)
    raw0 = sum(int((aedat2(f, raw=True)[3] == 0).sum()) for f in mn)
    print(f"//   MNIST-DVS raw_pol0 = {raw0}")
    for f in sorted(glob.glob(P("dvs128_jaer_recordings/*.aedat"))):
        row(os.path.relpath(f, root), stats(*aedat2(f)))
    row("tonic_samples/sample_aedat_header.aedat",
        stats(*aedat2(P("tonic_samples/sample_aedat_header.aedat"))))
    for f in ("mnist_dvs_digit0/mnist_0_scale04_0001.aedat",
              "dvs128_jaer_recordings/DVS128-2017-03-21-short.aedat",
              "tonic_samples/sample_aedat_header.aedat"):
        print(f"//   body offset {f}: {aedat2_body_offset(open(P(f), 'rb').read())}")
    print("// --- AEDAT 4.0")
    ev, packets = aedat4(P("tonic_samples/sample.aedat4"))
    row("tonic_samples/sample.aedat4", stats(*ev))
    print(f"//   EVTS packets: {packets}")
    print("// --- Prophesee DAT")
    for f in ("prophesee_samples/ncars_obj_004397_td.dat", "tonic_samples/sample_ncars.dat"):
        ev = dat(P(f))
        row(f, stats(*ev))
    ref = npy_events(P("prophesee_samples/ncars_obj_004397_td.expelliarmus_ref.npy"))
    ev = dat(P("prophesee_samples/ncars_obj_004397_td.dat"))
    same = (len(ref) == len(ev[0]) and all(np.array_equal(ref[k].astype(np.int64), v.astype(np.int64))
                                           for k, v in zip("txyp", ev)))
    print(f"//   DAT == expelliarmus .npy event-for-event: {same}")
    print("// --- EVT 2.0")
    for f in ("prophesee_samples/evt2_sample.raw", "prophesee_samples/evt2_sparklers_v1.raw"):
        row(f, stats(*evt2(P(f))))
    print("// --- EVT 3.0")
    for f, r in (("prophesee_samples/evt3_sample.raw",
                  "prophesee_samples/evt3_sample.expelliarmus_ref_xyp_only.npy"),
                 ("prophesee_samples/evt3_pedestrians_small.raw",
                  "prophesee_samples/evt3_pedestrians_small.expelliarmus_ref_xyp_only.npy")):
        ev = evt3(P(f))
        row(f, stats(*ev))
        ref = npy_events(P(r))
        same = (len(ref) == len(ev[0]) and all(np.array_equal(ref[k].astype(np.int64), v)
                                               for k, v in zip("xyp", ev[1:])))
        print(f"//   x,y,p == {os.path.basename(r)}: {same}")


if __name__ == "__main__":
    main()
