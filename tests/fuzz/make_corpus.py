#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, tests/fuzz/corpus/<target>/: small valid files and a few
broken ones for each reader. Python's standard library only; run from anywhere:

    python3 tests/fuzz/make_corpus.py

Two seeds are kept as they are rather than written here: corpus/{safetensors,mlp}/trained.safetensors,
a checkpoint written by `hebb train --data spirals --arch 2-4-2 --epochs 1 --dropout 0.25` (with its
Adam state and metadata), and the JPEGs, which are stored below as base64 of what stb_image_write's
stbi_write_jpg (quality 50) made of two 8x8 images.
"""
import base64
import gzip
import json
import os
import struct
import zlib

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---- IDX: magic 00 00 08 <rank>, big-endian uint32 dimensions, the bytes ----
def idx(dims, data, type_byte=0x08):
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


images = idx([2, 3, 3], [(i * 29) % 256 for i in range(18)])
labels = idx([2], [3, 9])
mnist_like = idx([2, 28, 28], [(i * 7) % 256 for i in range(2 * 28 * 28)])
idx_seeds = {
    "images-2x3x3": images,
    "images-2x28x28": mnist_like,
    "labels-2": labels,
    "labels-2-out-of-range": idx([2], [3, 10]),
    "labels-3": idx([3], [0, 1, 2]),
    "images-truncated": images[:-3],
    "images-trailing": images + b"\x00\x01",
    "images-zero-dim": idx([2, 0, 3], []),
    "images-float-type": idx([2, 3, 3], [0] * 72, type_byte=0x0D),
    "images-rank-2": idx([2, 9], [0] * 18),
    "images-huge-dims": idx([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], [1, 2, 3]),
    "header-cut": images[:9],
    "magic-only": bytes([0, 0, 8, 3]),
    "empty": b"",
}
for name, data in idx_seeds.items():
    put("idx", name, data)

# ---- gzipped IDX: the streams themselves, valid and damaged ----
images_gz = gz(images)
crc_flipped = bytearray(images_gz)
crc_flipped[-6] ^= 0xFF
deflate_damaged = bytearray(gz(mnist_like))
deflate_damaged[20] ^= 0x55
# A header with FEXTRA, FNAME and FCOMMENT (flags 0x1C), then the same deflate data.
flagged = (b"\x1f\x8b\x08\x1c\x00\x00\x00\x00\x00\x03" + b"\x04\x00abcd" + b"images.idx\x00" + b"note\x00"
           + images_gz[10:])
idx_gz_seeds = {
    "images-2x3x3.gz": images_gz,
    "images-2x28x28.gz": gz(mnist_like),
    "labels-2.gz": gz(labels),
    "labels-3.gz": gz(idx([3], [0, 1, 2])),
    "two-members.gz": gz(images[:10]) + gz(images[10:]),
    "header-flags.gz": flagged,
    "truncated.gz": images_gz[: len(images_gz) // 2],
    "bad-crc.gz": bytes(crc_flipped),
    "damaged-deflate.gz": bytes(deflate_damaged),
    "trailing-garbage.gz": images_gz + b"garbage",
    "empty-member.gz": gz(b""),
    "magic-only.gz": b"\x1f\x8b",
}
for name, data in idx_gz_seeds.items():
    put("idx_gz", name, data)

# ---- CSV: numbers, label in the last column (first with no header, by the size's parity) ----
csv_seeds = {
    "rows-3.csv": "0.5,1.0,0\n1.5,-2,1\n3e2,4,2\n",
    "rows-3-odd.csv": "0,0.5,1.0\n1,1.5,-2\n2,3e2,4.25\n",
    "header.csv": "x,y,label\n0.5,1,0\n1,2,1\n",
    "sklearn-header.csv": "3,2,a,b,c\n0.5,1,0\n1,2,1\n3,4,2\n",
    "crlf.csv": "1,2,0\r\n3,4,1\r\n",
    "cr.csv": "x,y,label\r1,2,0\r3,4,1",
    "bom-crlf.csv": b"\xef\xbb\xbfx,y,label\r\n1,2,0\r\n3,4,1\r\n\r\n",
    "bom-no-header.csv": b"\xef\xbb\xbf1,2,0\n3,4,1",
    "utf16-le.csv": "1,2,0\n".encode("utf-16"),
    "utf16-be.csv": b"\xfe\xff" + "1,2,0\n".encode("utf-16-be"),
    "blanks-spaces.csv": "\n 1 ,\t2, 0\n\n  \n3 , 4 ,1 \n",
    "gzipped.csv.gz": gz(b"0.25,0.5,0\n1,2,1\n3,4,2\n"),
    "ragged.csv": "1,2,0\n3,1\n",
    "text-cell.csv": "1,2,0\n1,abc,1\n",
    "negative-label.csv": "1,2,-1\n",
    "fractional-label.csv": "1,2,1.5\n",
    "huge-label.csv": "1,2,1e9\n",
    "nan.csv": "nan,2,0\n1,2,1\n",
    "inf.csv": "1,inf,0\n",
    "beyond-float.csv": "1e39,2,0\n",
    "empty.csv": "",
    "header-only.csv": "a,b,label\n",
    "one-column.csv": "1\n2\n",
}
for name, data in csv_seeds.items():
    put("csv", name, data)


# ---- images: one file, decoded by stb_image whatever its name ----
def png(width, height, color_type, bit_depth, rows, extra_chunks=(), interlace=0):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)  # filter 0 on every row
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(chunk(k, b) for k, b in extra_chunks)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def ramp(n):
    return [(i * 53) % 256 for i in range(n)]


def bmp(width, height, bits, pixels, palette=b""):
    row = (width * bits // 8 + 3) & ~3
    data = b"".join(bytes(pixels[y * width * bits // 8:(y + 1) * width * bits // 8]).ljust(row, b"\x00")
                    for y in range(height))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, len(data), 2835, 2835,
                       len(palette) // 4, 0)
    return header + info + palette + data


def tga(width, height, pixels, rle=False):
    header = struct.pack("<BBBHHBHHHHBB", 0, 0, 10 if rle else 2, 0, 0, 0, 0, 0, width, height, 24, 0)
    if not rle:
        return header + bytes(pixels)
    body = b""
    for i in range(0, len(pixels), 3):  # one run packet of 1 per pixel
        body += b"\x80" + bytes(pixels[i:i + 3])
    return header + body


def psd(width, height, planes):
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, len(planes), height, width, 8, 3)
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + b"".join(bytes(p) for p in planes)


rgb8_jpg = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1R"
    "V19iZ2hnPk1xeXBkeFxlZ2MBERISGBUYLxoaL2NCOEJjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY//AABEIAAgACAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMF"
    "BQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElK"
    "U1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV"
    "1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncA"
    "AQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZ"
    "WmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri"
    "4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AEjvvepPt3vWXHUld2ApR9ij2VkmE/lP/9k=")
gray8_jpg = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1R"
    "V19iZ2hnPk1xeXBkeFxlZ2MBERISGBUYLxoaL2NCOEJjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY//AABEIAAgACAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMF"
    "BQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElK"
    "U1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV"
    "1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncA"
    "AQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZ"
    "WmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri"
    "4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AGR26TRtYaeypaID9ouc4DgdQD/d9T3+nWH+wNH/AOghY/8Af9P8am0L"
    "/kXr7/r0l/8AQDXH0Af/2Q==")
progressive = rgb8_jpg.replace(b"\xff\xc0", b"\xff\xc2", 1)  # a progressive frame header over baseline scans

gray = png(4, 4, 0, 8, [ramp(16)[r * 4:(r + 1) * 4] for r in range(4)])
image_seeds = {
    "gray-4x4.png": gray,
    "rgb-4x4.png": png(4, 4, 2, 8, [ramp(48)[r * 12:(r + 1) * 12] for r in range(4)]),
    "rgba-4x4.png": png(4, 4, 6, 8, [ramp(64)[r * 16:(r + 1) * 16] for r in range(4)]),
    "gray-alpha-4x4.png": png(4, 4, 4, 8, [ramp(32)[r * 8:(r + 1) * 8] for r in range(4)]),
    "gray16-4x4.png": png(4, 4, 0, 16, [ramp(32)[r * 8:(r + 1) * 8] for r in range(4)]),
    "gray1-8x2.png": png(8, 2, 0, 1, [[0xA5], [0x5A]]),
    "palette-4x4.png": png(4, 4, 3, 8, [[0, 1, 2, 3]] * 4,
                           [(b"PLTE", bytes(ramp(12))), (b"tRNS", b"\xff\x80\x00")]),
    "rgb-4x4.bmp": bmp(4, 4, 24, ramp(48)),
    "palette-4x4.bmp": bmp(4, 4, 8, [i % 4 for i in range(16)], palette=bytes(ramp(16))),
    "gray-4x4.pgm": b"P5\n4 4\n255\n" + bytes(ramp(16)),
    "rgb-4x4.ppm": b"P6\n4 4\n255\n" + bytes(ramp(48)),
    "rgb-4x4.tga": tga(4, 4, ramp(48)),
    "rgb-rle-4x4.tga": tga(4, 4, ramp(48), rle=True),
    "rgb-4x4.psd": psd(4, 4, [ramp(16), ramp(16)[::-1], ramp(16)]),
    "rgb-4x4.hdr": b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4 +X 4\n" + bytes(ramp(64)),
    "1x1.gif": bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000"
                             "010001000002024401003b"),
    "rgb-8x8.jpg": rgb8_jpg,
    "gray-8x8.jpg": gray8_jpg,
    "progressive-header.jpg": progressive,
    "truncated.png": gray[: len(gray) - 20],
    "huge-ihdr.png": png(100000, 100000, 0, 8, [[0]]),
    "not-an-image.png": b"hello, world\n",
    "empty.png": b"",
}
# Adam7 interlacing: with filter 0, each pass's rows of a 4x4 gray image, in pass order.
passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
adam7_rows = []
for x0, y0, dx, dy in passes:
    xs, ys = list(range(x0, 4, dx)), list(range(y0, 4, dy))
    if xs and ys:
        adam7_rows += [[(y * 4 + x) * 16 for x in xs] for y in ys]
image_seeds["interlaced-4x4.png"] = png(4, 4, 0, 8, adam7_rows, interlace=1)
for name, data in image_seeds.items():
    put("image", name, data)


# ---- checkpoints: 8-byte little-endian header length, JSON header, float32 data ----
def safetensors(arrays, metadata=None, header_override=None, pad=True):
    """arrays: [(name, shape, values)]; written as hebb writes (compact JSON padded to 8 bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, shape, values in arrays:
        body = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(body)]}
        data += body
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":"))
    text = text.encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def floats(n, scale=0.1):
    return [((i * 7) % 11 - 5) * scale for i in range(n)]


meta = {"format": "hebb", "format_version": "1", "arch": "2-3-2", "activation": "relu"}
mlp_arrays = [("0.weight", [3, 2], floats(6)), ("0.bias", [3], floats(3)),
              ("2.weight", [2, 3], floats(6)), ("2.bias", [2], floats(2))]
valid = safetensors(mlp_arrays, meta)
checkpoint_seeds = {
    "mlp-2-3-2.safetensors": valid,
    "mlp-tanh-dropout.safetensors": safetensors(  # Dropout is module 2, so the output layer is 3
        mlp_arrays[:2] + [("3" + name[1:], shape, values) for name, shape, values in mlp_arrays[2:]],
        dict(meta, activation="tanh", dropout="0.5")),
    "mlp-2-2-2-2.safetensors": safetensors(
        [("0.weight", [2, 2], floats(4)), ("0.bias", [2], floats(2)), ("2.weight", [2, 2], floats(4)),
         ("2.bias", [2], floats(2)), ("4.weight", [2, 2], floats(4)), ("4.bias", [2], floats(2))],
        dict(meta, arch="2-2-2-2", activation="gelu")),
    "mlp-with-optim.safetensors": safetensors(
        mlp_arrays + [("optim.step", [], [3.0]), ("optim.state.0.exp_avg", [3, 2], floats(6))], meta),
    "no-metadata.safetensors": safetensors(mlp_arrays),
    "empty-header.safetensors": safetensors([], header_override="{}"),
    "rank-0.safetensors": safetensors([("x", [], [1.5])], {"k": "v"}),
    # Broken files.
    "arch-mismatch.safetensors": safetensors(mlp_arrays, dict(meta, arch="2-4-2")),
    "missing-key.safetensors": safetensors(mlp_arrays[:3], meta),
    "unexpected-key.safetensors": safetensors(mlp_arrays + [("9.weight", [1, 1], [0.0])], meta),
    "format-other.safetensors": safetensors(mlp_arrays, dict(meta, format="other")),
    "version-2.safetensors": safetensors(mlp_arrays, dict(meta, format_version="2")),
    "bad-activation.safetensors": safetensors(mlp_arrays, dict(meta, activation="swish")),
    "bad-dropout.safetensors": safetensors(mlp_arrays, dict(meta, dropout="1.5")),
    "bad-arch.safetensors": safetensors(mlp_arrays, dict(meta, arch="2-3-")),
    "metadata-not-string.safetensors": safetensors([], header_override='{"__metadata__":{"a":1}}'),
    "dtype-f16.safetensors": safetensors([], header_override=(
        '{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}')) + b"\0" * 4,
    "rank-3.safetensors": safetensors([], header_override=(
        '{"w":{"dtype":"F32","shape":[1,1,1],"data_offsets":[0,4]}}')) + b"\0" * 4,
    "negative-dim.safetensors": safetensors([], header_override=(
        '{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}')) + b"\0" * 4,
    "overlap.safetensors": safetensors([], header_override=(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')) + b"\0" * 8,
    "hole.safetensors": safetensors([], header_override=(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')) + b"\0" * 8,
    "offsets-reversed.safetensors": safetensors([], header_override=(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}')) + b"\0" * 8,
    "shape-size-mismatch.safetensors": safetensors([], header_override=(
        '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}')) + b"\0" * 8,
    "trailing-data.safetensors": valid + b"\0" * 4,
    "truncated-data.safetensors": valid[:-4],
    "header-too-long.safetensors": struct.pack("<Q", 1 << 40) + b"{}",
    "not-json.safetensors": safetensors([], header_override='{"a":'),
    "not-object.safetensors": safetensors([], header_override="[1,2]"),
    "short.safetensors": b"\x02\x00\x00",
    # 2,000 one-float entries whose names sort against the order of their data.
    "many-entries.safetensors": safetensors([("z%05d" % (2000 - i), [1], [float(i)]) for i in range(2000)]),
    "nan-weights.safetensors": safetensors(
        [("0.weight", [3, 2], floats(5) + [float("nan")])] + mlp_arrays[1:], meta),
    "inf-optim.safetensors": safetensors(
        mlp_arrays + [("optim.step", [], [3.0]), ("optim.state.0.exp_avg", [3, 2], [float("inf")] * 6)],
        dict(meta, epoch="1", best_val_acc="0.5", rng="1 2 3")),
    "bad-run-metadata.safetensors": safetensors(mlp_arrays, dict(meta, epoch="-1", best_val_acc="nan", rng="x")),
}
for target in ("safetensors", "mlp"):
    for name, data in checkpoint_seeds.items():
        put(target, name, data)
