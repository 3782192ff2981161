#!/usr/bin/env python3
"""Makes the lossless JPEG (SOF3, ITU T.81 Annex H) fixtures in testdata/generated/.

Pillow, libvips and libjpeg-turbo's cjpeg before 3.0 cannot write lossless JPEG, so this script
encodes it itself (pure Python, deterministic): 8-bit samples, one Huffman table (the standard DC
luminance table of Annex K.3, categories 0..11), no subsampling, no restart intervals, point
transform 0. The pixels come from integer formulas that the Rust tests recompute
(tests/it/formats.rs, `lossless_pixel`), so a decode can be checked sample for sample.

Run from this folder: python3 gen_lossless_jpeg.py. The outputs are committed; tests do not need
Python. When Pillow (libjpeg-turbo >= 3.0 in its wheels) is importable, the script also checks
that Pillow decodes each file to exactly the formula's samples, so the files are checked against
an independent decoder.

  generated/jpeg_lossless_rgb.jpg   48x32, 3 components, predictor 7 ((Ra + Rb) / 2)
  generated/jpeg_lossless_gray.jpg  40x24, 1 component,  predictor 4 (Ra + Rb - Rc)
"""

# Annex K.3: the standard luminance DC table.
BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
HUFFVAL = list(range(12))


def rgb_pixel(x, y):
    return ((x * 5 + y * 3) % 256, (x * y * 7 + 13) % 256, ((x ^ y) * 11) % 256)


def gray_pixel(x, y):
    return ((x * 9 + y * y) % 256,)


def huffman_codes():
    """Symbol -> (code, length), Annex C."""
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(BITS[length - 1]):
            codes[HUFFVAL[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0x00)  # byte stuffing
                self.acc, self.n = 0, 0

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with one bits


def predict(predictor, ra, rb, rc):
    return {
        1: ra,
        2: rb,
        3: rc,
        4: ra + rb - rc,
        5: ra + ((rb - rc) >> 1),
        6: rb + ((ra - rc) >> 1),
        7: (ra + rb) >> 1,
    }[predictor]


def encode(width, height, pixel, components, predictor):
    rows = [[pixel(x, y) for x in range(width)] for y in range(height)]
    codes = huffman_codes()
    bits = BitWriter()
    for y in range(height):
        for x in range(width):
            for c in range(components):
                sample = rows[y][x][c]
                if x == 0 and y == 0:
                    pred = 1 << 7  # 2^(P - Pt - 1)
                elif y == 0:
                    pred = rows[y][x - 1][c]
                elif x == 0:
                    pred = rows[y - 1][x][c]
                else:
                    pred = predict(predictor, rows[y][x - 1][c], rows[y - 1][x][c], rows[y - 1][x - 1][c])
                diff = sample - pred
                size = abs(diff).bit_length()
                code, length = codes[size]
                bits.put(code, length)
                if size:
                    bits.put(diff if diff > 0 else diff + (1 << size) - 1, size)
    bits.flush()

    def segment(marker, payload):
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    sof = bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([components])
    sof += b"".join(bytes([c + 1, 0x11, 0]) for c in range(components))
    dht = bytes([0x00]) + bytes(BITS) + bytes(HUFFVAL)
    sos = bytes([components]) + b"".join(bytes([c + 1, 0x00]) for c in range(components))
    sos += bytes([predictor, 0, 0])
    return (b"\xFF\xD8" + segment(0xC3, sof) + segment(0xC4, dht) + segment(0xDA, sos)
            + bytes(bits.out) + b"\xFF\xD9"), rows


def check_with_pillow(path, rows):
    try:
        from PIL import Image
    except ImportError:
        print(f"{path}: Pillow not importable, not cross-checked")
        return
    with Image.open(path) as im:
        im.load()
        got = list(im.get_flattened_data()) if hasattr(im, "get_flattened_data") else list(im.getdata())
    want = [p if len(p) > 1 else p[0] for row in rows for p in row]
    assert got == want, f"{path}: Pillow decodes other samples"
    print(f"{path}: Pillow decodes it exactly ({im.mode} {im.size[0]}x{im.size[1]})")


for name, w, h, pixel, comps, pred in [
    ("generated/jpeg_lossless_rgb.jpg", 48, 32, rgb_pixel, 3, 7),
    ("generated/jpeg_lossless_gray.jpg", 40, 24, gray_pixel, 1, 4),
]:
    data, rows = encode(w, h, pixel, comps, pred)
    with open(name, "wb") as f:
        f.write(data)
    check_with_pillow(name, rows)
