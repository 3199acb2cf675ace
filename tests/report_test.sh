#!/bin/sh
# Renders a run's report.html in headless Chromium, offline: the rendered page holds the title, the
# curves as SVG, the per-class and confusion tables and the assembly pictures, and its screenshot is
# not blank. Arguments: the hebb binary and a folder to work in (it keeps the run and the screenshot).
set -eu
# Exit 77 is meson's skip; scripts/count-tests reports it with the reason on the "skipped: " line.
command -v chromium >/dev/null || { echo "skipped: chromium is not installed; apt-get install chromium"; exit 77; }
hebb=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
run=$work/run
fail() { echo "FAILED: $*"; exit 1; }

"$hebb" train --data spirals --arch 2-16-16-2 --epochs 3 --val 100 --reg bean1 --alpha 1 --threads 1 --out "$run" \
    >"$work/train.log" 2>&1 || { cat "$work/train.log"; fail "hebb train"; }
"$hebb" assemblies --model "$run/best.safetensors" --data spirals >"$work/assemblies.log" 2>&1 \
    || { cat "$work/assemblies.log"; fail "hebb assemblies"; }
tail -n 1 "$work/assemblies.log"

# As root (CI) Chromium runs only without its sandbox. Its own messages (D-Bus, GPU) go to the logs.
chrome() { timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "$@" "file://$run/report.html"; }
chrome --dump-dom >"$work/dom.html" 2>"$work/chromium-dom.log" || { cat "$work/chromium-dom.log"; fail "chromium --dump-dom"; }
check() {  # description, then the extended regular expression the rendered page must hold (count: $3, default 1)
    n=$(grep -Eo "$2" "$work/dom.html" | wc -l)
    [ "$n" -ge "${3:-1}" ] || fail "the rendered page has $n of ${3:-1} $1 ($2)"
    echo "rendered: $1 ($n)"
}
check "title" "<title>hebb run run \(spirals, 2-16-16-2, bean1, alpha 1\)</title>"
check "curves (inline SVG)" "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"840.0\""
check "curves' title" "<text class=\"title\"[^>]*>run \(spirals, 2-16-16-2, bean1, alpha 1\)</text>"
check "per-class table" "<table id=\"per-class\">"
check "confusion matrix" "<table id=\"confusion\">"
check "confusion matrix cells shaded" "<td style=\"background:rgba\(31,119,180," 4
check "assembly pictures" "<img alt=\"layer[12]_(structural|functional).svg\" src=\"data:image/svg\+xml;base64," 4
if grep -Eo "(src|href)=\"https?:" "$work/dom.html"; then fail "the page fetches from an address"; fi

chrome --window-size=1200,3000 --screenshot="$work/report.png" >"$work/chromium-shot.log" 2>&1 \
    || { cat "$work/chromium-shot.log"; fail "chromium --screenshot"; }
echo "screenshot: $work/report.png"
# The PNG decoded with zlib alone (8-bit RGB or RGBA, its five row filters undone); every 4th pixel sampled.
python3 - "$work/report.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
assert depth == 8 and colour in (2, 6), f"bit depth {depth}, colour type {colour}: not 8-bit RGB(A)"
bpp = 3 if colour == 2 else 4
raw, stride = zlib.decompress(idat), width * bpp
prev, colours, sampled, white = bytearray(stride), set(), 0, 0
for y in range(height):
    f = raw[y * (stride + 1)]
    row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride) if f else ():
        a = row[i - bpp] if i >= bpp else 0
        b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        else:  # Paeth
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = row
    for x in range(0, stride, 4 * bpp):
        pixel = bytes(row[x:x + 3])
        colours.add(pixel)
        sampled += 1
        white += pixel == b"\xff\xff\xff"
share = 1 - white / sampled
print(f"screenshot check: {width}x{height} px, {len(colours)} colours, {100 * share:.1f} % not white")
if (width, height) != (1200, 3000) or len(colours) < 100 or share < 0.05:
    sys.exit("FAILED: the screenshot looks blank")
EOF
echo "report.html renders: passed"
