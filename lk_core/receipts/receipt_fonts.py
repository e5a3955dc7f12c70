"""The receipt's fonts: DejaVu Sans and DejaVu Sans Mono (regular and bold) cut down to the
scripts a Russian receipt uses (Latin, Cyrillic, punctuation, ₽, №), kept in
lk_core/receipts/fonts/ (DejaVu's licence beside them).

Why: WeasyPrint copies every font a document uses and subsets it for each PDF; with the
full system fonts (6,000 glyphs, 760 KB each) that was about 3 ms of every receipt, with
these (600-800 glyphs, about 100 KB) about 1 ms. A character outside them (a tenant's
name in another script) falls back to the system DejaVu fonts, named after them in the
stylesheet's font-family lists.

Rebuild (fontTools, a WeasyPrint dependency; fonts-dejavu-core installed):
`.venv/bin/python -m lk_core.receipts.receipt_fonts`"""

from __future__ import annotations

import base64
from pathlib import Path

FONTS_DIR = Path(__file__).with_name("fonts")
SYSTEM_DIR = Path("/usr/share/fonts/truetype/dejavu")

# (CSS family, weight, file here, system font it is cut from)
FACES = (
    ("Receipt Sans", "normal", "receipt-sans.ttf", "DejaVuSans.ttf"),
    ("Receipt Sans", "bold", "receipt-sans-bold.ttf", "DejaVuSans-Bold.ttf"),
    ("Receipt Mono", "normal", "receipt-mono.ttf", "DejaVuSansMono.ttf"),
    ("Receipt Mono", "bold", "receipt-mono-bold.ttf", "DejaVuSansMono-Bold.ttf"),
)
SANS = '"Receipt Sans", "DejaVu Sans", sans-serif'
MONO = '"Receipt Mono", "DejaVu Sans Mono", monospace'

UNICODES = (
    [*range(0x20, 0x7F), *range(0xA0, 0x180),  # Latin, Latin-1 (², ³, ·, ×, «»), Latin Ext-A
     *range(0x400, 0x530),  # Cyrillic and Cyrillic Supplement
     *range(0x2000, 0x2070),  # general punctuation: dashes, quotes, spaces, ellipsis
     0x20BD, 0x2116, 0x2212]  # ₽, №, minus
)


def font_face_css() -> str:
    """@font-face rules with the fonts inline (the receipt's URL fetcher loads nothing
    but data: URIs); parsed once per process with the receipt's stylesheet."""
    rules = []
    for family, weight, filename, _source in FACES:
        data = base64.b64encode((FONTS_DIR / filename).read_bytes()).decode()
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
                     f"src: url(data:font/ttf;base64,{data}); }}")
    return "\n".join(rules)


def build() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for _family, _weight, filename, source in FACES:
        font = TTFont(SYSTEM_DIR / source, recalcTimestamp=False)  # same input, same file
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=UNICODES)
        subsetter.subset(font)
        font.save(FONTS_DIR / filename)


if __name__ == "__main__":
    build()
