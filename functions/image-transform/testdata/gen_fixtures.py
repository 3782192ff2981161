#!/usr/bin/env python3
"""Makes the generated fixtures in testdata/generated/ (Pillow 13.0.0; deterministic).

Run from this folder: python3 gen_fixtures.py. The outputs are committed; tests do not need Python.
Each image is 64x48 in four flat quadrants (TL red, TR green, BL blue, BR white) unless noted.
"""
from PIL import Image

def quadrants(mode="RGB"):
    im = Image.new("RGB", (64, 48))
    for (x0, y0, c) in [(0, 0, (255, 0, 0)), (32, 0, (0, 255, 0)), (0, 24, (0, 0, 255)), (32, 24, (255, 255, 255))]:
        im.paste(c, (x0, y0, x0 + 32, y0 + 24))
    return im

q = quadrants()
q.convert("CMYK").save("generated/cmyk.jpg", quality=95)            # Adobe APP14, inverted CMYK
q.save("generated/webp_lossless.webp", lossless=True)
rgba = q.convert("RGBA")
alpha = Image.new("L", (64, 48), 255)
alpha.paste(0, (0, 0, 32, 48))                                       # left half fully transparent
rgba.putalpha(alpha)
rgba.save("generated/webp_alpha.webp", lossless=True)
rgba.save("generated/png_alpha_lefthalf.png")
frames = [quadrants(), Image.new("RGB", (64, 48), (0, 0, 0))]
frames[0].save("generated/webp_animated.webp", save_all=True, append_images=frames[1:], duration=100, lossless=True)
frames[0].save("generated/gif_animated.gif", save_all=True, append_images=frames[1:], duration=100)

# libjpeg-turbo baseline files with restart markers for the scaled decoder (240x200, shapes).
import random
random.seed(7)
shapes = Image.new("RGB", (240, 200))
from PIL import ImageDraw
draw = ImageDraw.Draw(shapes)
for _ in range(40):
    x0, x1 = sorted((random.randint(0, 240), random.randint(0, 240)))
    y0, y1 = sorted((random.randint(0, 200), random.randint(0, 200)))
    draw.rectangle([x0, y0, x1, y1], fill=(random.randint(0, 255), random.randint(0, 255), random.randint(0, 255)))
shapes.save("generated/jpeg_420_restart.jpg", quality=75, subsampling=2, restart_marker_blocks=3)
shapes.save("generated/jpeg_422_restart_rows.jpg", quality=75, subsampling=1, restart_marker_rows=1)
shapes.convert("L").save("generated/jpeg_gray_restart.jpg", quality=75, restart_marker_blocks=5)
