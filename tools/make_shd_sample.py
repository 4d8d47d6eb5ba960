#!/usr/bin/python3
"""Builds small SHD-layout HDF5 files (Cramer et al. 2022, Spiking Heidelberg Digits) from the
real N-TIDIGITS spike sample datasets/ntidigits_slayer/NTIDIGITS_1.bs1 (64 cochlea channels).

No real SHD file is bundled (too large); these files have the genuine SHD layout so that
soma's SHD reader and `shd` dataset can be tested on real spikes:

  spikes/times   ragged (vlen) float16, spike times in seconds, per sample
  spikes/units   ragged (vlen) uint16, channel ids (here 0..63 of SHD's 0..699)
  labels         uint16, one per sample
  extra/speaker  uint16, one per sample (0 here)
  extra/keys     the class names (bytes)

Samples: the 1.079 s recording cut into equal time slices, each rebased to start at 0
(train: 4 quarters, labels 0, 1, 2, 3; test: 2 halves, labels 0, 1). The N-TIDIGITS sample has
no label, so the labels are placeholders: the files test parsing and binning, not accuracy.

Usage: /usr/bin/python3 tools/make_shd_sample.py datasets/ntidigits_slayer/NTIDIGITS_1.bs1 tests/data/shd
The command is stored in the root attribute `soma_command` of each file.
"""
import os
import sys

import h5py
import numpy as np


def read_bs1(path):
    raw = np.fromfile(path, dtype=np.uint8)
    assert raw.size % 5 == 0, "a .bs1 file is a sequence of 5-byte events"
    b = raw.reshape(-1, 5).astype(np.uint64)
    word = (b[:, 0] << 32) | (b[:, 1] << 24) | (b[:, 2] << 16) | (b[:, 3] << 8) | b[:, 4]
    chan = (word >> 24) & 0xFFFF
    t_us = word & 0x7FFFFF
    return t_us.astype(np.int64), chan.astype(np.int64)


def slices(t_us, chan, parts):
    span = int(t_us.max()) + 1
    out = []
    for k in range(parts):
        lo, hi = span * k // parts, span * (k + 1) // parts
        m = (t_us >= lo) & (t_us < hi)
        out.append(((t_us[m] - lo) / 1e6, chan[m]))
    return out


def write(path, samples, command):
    vf16 = h5py.vlen_dtype(np.dtype("float16"))
    vu16 = h5py.vlen_dtype(np.dtype("uint16"))
    with h5py.File(path, "w") as f:
        times = f.create_dataset("spikes/times", (len(samples),), dtype=vf16)
        units = f.create_dataset("spikes/units", (len(samples),), dtype=vu16)
        for i, (t, c) in enumerate(samples):
            times[i] = t.astype(np.float16)
            units[i] = c.astype(np.uint16)
        f.create_dataset("labels", data=np.arange(len(samples), dtype=np.uint16))
        f.create_dataset("extra/speaker", data=np.zeros(len(samples), dtype=np.uint16))
        f.create_dataset("extra/keys", data=[b"slice%d" % i for i in range(len(samples))])
        f.attrs["soma_command"] = command
        f.attrs["soma_source"] = "datasets/ntidigits_slayer/NTIDIGITS_1.bs1 (slayerPytorch)"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    t_us, chan = read_bs1(src)
    command = "/usr/bin/python3 tools/make_shd_sample.py " + " ".join(sys.argv[1:])
    write(os.path.join(out_dir, "shd_train.h5"), slices(t_us, chan, 4), command)
    write(os.path.join(out_dir, "shd_test.h5"), slices(t_us, chan, 2), command)


if __name__ == "__main__":
    main()
