"""Pictures for the demo catalog, drawn with Pillow so the studio works with no photos and no network.

Garments are flat-lays on a light background (front and back views differ the way real ones do: the back has no
fly, buttons or print, but has labels, yokes and back pockets). Model images are a neutral standing figure whose
torso sits at 30-55 % of the height, which is where the sandbox vendor composes garments. Pose references are
stick figures. Everything is deterministic: the same call gives the same bytes, so checksums are stable.
"""
import io
import math
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

GARMENT_SIZE = (800, 1000)
MODEL_SIZE = (800, 1200)
POSE_SIZE = (600, 900)
BACKGROUND = (248, 247, 244)
SHADOW = (150, 140, 130)
STITCH = (214, 160, 70)

Point = tuple[float, float]


# --- Shared helpers ---------------------------------------------------------------------------------------------
def jpeg(img: Image.Image, quality: int = 88) -> bytes:
    out = io.BytesIO()
    # Full-resolution colour (no 4:2:0 subsampling) keeps garment edges crisp for the sandbox cutout.
    img.convert("RGB").save(out, "JPEG", quality=quality, optimize=True, subsampling=0)
    return out.getvalue()


def _layer(draw_garment: Callable[[ImageDraw.ImageDraw], None]) -> Image.Image:
    """A garment drawn on a transparent layer the size of the flat-lay."""
    layer = Image.new("RGBA", GARMENT_SIZE, (0, 0, 0, 0))
    draw_garment(ImageDraw.Draw(layer))
    return layer


def _on_background(layer: Image.Image) -> Image.Image:
    """Lay a garment on the light background with a soft drop shadow.

    The shadow is kept faint on purpose: the sandbox vendor cuts garments out by treating pixels light in every
    channel (above 225) as background, so background and shadow must both stay above that.
    """
    shadow = Image.new("RGBA", GARMENT_SIZE, SHADOW + (0,))
    shadow.putalpha(layer.getchannel("A").point(lambda a: 32 if a else 0).filter(ImageFilter.GaussianBlur(14)))
    canvas = Image.new("RGBA", GARMENT_SIZE, BACKGROUND + (255,))
    canvas.alpha_composite(shadow, (10, 14))
    canvas.alpha_composite(layer)
    return canvas


def _mirror(points: list[Point], cx: float = 400) -> list[Point]:
    """The right half of a symmetric outline from its left half (reversed, so the polygon stays closed)."""
    return [(2 * cx - x, y) for x, y in reversed(points)]


def _symmetric(left: list[Point]) -> list[Point]:
    return left + _mirror(left)


def _dashed(draw: ImageDraw.ImageDraw, points: list[Point], fill=STITCH, width: int = 3, dash: int = 10) -> None:
    """Top-stitching: a dashed polyline."""
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        length = max(1.0, ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5)
        steps = int(length // dash)
        for i in range(0, steps, 2):
            a, b = i / steps, min(1.0, (i + 1) / steps)
            draw.line([(x1 + (x2 - x1) * a, y1 + (y2 - y1) * a), (x1 + (x2 - x1) * b, y1 + (y2 - y1) * b)],
                      fill=fill, width=width)


def _dots_inside(layer_draw: ImageDraw.ImageDraw, outline: list[Point], color, spacing: int = 60) -> None:
    """A polka-dot print clipped to the garment's outline."""
    mask = Image.new("L", GARMENT_SIZE, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    for row, y in enumerate(range(0, GARMENT_SIZE[1], spacing)):
        for x in range((row % 2) * spacing // 2, GARMENT_SIZE[0], spacing):
            if mask.getpixel((x, y)):
                layer_draw.ellipse([x - 9, y - 9, x + 9, y + 9], fill=color)


# --- Garments ---------------------------------------------------------------------------------------------------
TEE = (38, 70, 120)


def tshirt(back: bool) -> Image.Image:
    left = [(330, 190), (228, 215), (108, 380), (190, 442), (262, 372), (262, 852)]
    depth = 15 if back else 65  # a back neckline sits higher than the front one
    neckline = [(400 + 70 * math.cos(math.pi * i / 10), 190 + depth * math.sin(math.pi * i / 10)) for i in range(11)]
    outline = left + _mirror(left) + neckline[1:-1]

    def draw(d):
        d.polygon(outline, fill=TEE, outline=(24, 46, 84))
        d.line(neckline, fill=(24, 46, 84), width=12)  # neck rib
        _dashed(d, [(262, 830), (538, 830)], fill=(90, 120, 170))
        if back:
            d.rectangle([384, 214, 416, 232], fill=(228, 222, 200))  # care label inside the neck
        else:
            d.ellipse([330, 380, 470, 520], outline=(245, 210, 90), width=14)  # chest print
            d.ellipse([372, 422, 428, 478], fill=(245, 210, 90))

    return _layer(draw)


DENIM, DENIM_DARK = (58, 92, 150), (38, 62, 108)


def jeans(back: bool) -> Image.Image:
    outline = [(270, 150), (530, 150), (552, 300), (532, 900), (430, 900), (400, 430), (370, 900), (268, 900),
               (248, 300)]

    def draw(d):
        d.polygon(outline, fill=DENIM, outline=DENIM_DARK)
        d.rectangle([270, 150, 530, 188], fill=DENIM_DARK)
        for x in (300, 360, 440, 500):
            d.rectangle([x - 5, 146, x + 5, 196], fill=DENIM)  # belt loops
        if back:
            d.rectangle([296, 160, 352, 182], fill=(140, 90, 50))  # leather label
            d.line([(252, 250), (400, 300), (548, 250)], fill=DENIM_DARK, width=4)  # yoke
            for cx in (325, 475):
                pocket = [(cx - 60, 310), (cx + 60, 310), (cx + 55, 420), (cx, 450), (cx - 55, 420)]
                d.polygon(pocket, fill=DENIM, outline=DENIM_DARK)
                _dashed(d, pocket + [pocket[0]])
        else:
            d.ellipse([390, 158, 410, 178], fill=(190, 170, 110))  # button
            _dashed(d, [(412, 192), (412, 330), (396, 360)])  # fly
            _dashed(d, [(280, 192), (300, 250), (340, 262)])  # front pockets
            _dashed(d, [(520, 192), (500, 250), (460, 262)])
        _dashed(d, [(272, 880), (371, 880)])  # hems
        _dashed(d, [(429, 880), (528, 880)])

    return _layer(draw)


DRESS, DRESS_DOTS = (196, 58, 72), (248, 230, 200)


def dress(back: bool) -> Image.Image:
    neck = [(400, 175)] if back else [(400, 260)]
    left = [(190, 900), (312, 420), (282, 262), (300, 140), (346, 140)]
    outline = left + neck + _mirror(left)

    def draw(d):
        d.polygon(outline, fill=DRESS)
        _dots_inside(d, outline, DRESS_DOTS)
        d.polygon(outline, outline=(140, 36, 48))
        d.rectangle([305, 410, 495, 440], fill=(140, 36, 48))  # waist seam / sash
        if back:
            d.line([(400, 178), (400, 520)], fill=(90, 24, 32), width=6)  # concealed zip
            d.rectangle([394, 180, 406, 204], fill=(210, 200, 190))  # zip pull
        else:
            d.polygon([(400, 425), (340, 395), (340, 455)], fill=(140, 36, 48))  # bow
            d.polygon([(400, 425), (460, 395), (460, 455)], fill=(140, 36, 48))
            d.ellipse([388, 413, 412, 437], fill=(110, 28, 38))

    return _layer(draw)


JACKET, JACKET_DARK = (92, 104, 62), (58, 66, 38)


def jacket(back: bool) -> Image.Image:
    left = [(400, 175), (340, 160), (214, 196), (150, 480), (134, 802), (214, 808), (250, 470), (266, 380),
            (256, 862)]
    outline = _symmetric(left)

    def draw(d):
        d.polygon(outline, fill=JACKET, outline=JACKET_DARK)
        d.rectangle([134, 770, 214, 808], fill=JACKET_DARK)  # cuffs
        d.rectangle([586, 770, 666, 808], fill=JACKET_DARK)
        d.rectangle([256, 826, 544, 862], fill=JACKET_DARK)  # hem band
        if back:
            d.polygon([(340, 160), (400, 150), (460, 160), (460, 190), (340, 190)], fill=JACKET_DARK)  # collar band
            d.line([(262, 310), (538, 310)], fill=JACKET_DARK, width=5)  # yoke
            d.line([(400, 310), (400, 826)], fill=JACKET_DARK, width=3)  # centre back seam
        else:
            d.polygon([(340, 160), (400, 300), (330, 250), (300, 190)], fill=JACKET_DARK)  # lapels
            d.polygon([(460, 160), (400, 300), (470, 250), (500, 190)], fill=JACKET_DARK)
            d.line([(400, 300), (400, 826)], fill=JACKET_DARK, width=4)
            for y in (360, 480, 600, 720):
                d.ellipse([410, y - 12, 434, y + 12], fill=(200, 180, 130))
            for x in (290, 440):
                d.rectangle([x, 360, x + 70, 410], outline=JACKET_DARK, width=4)  # chest pockets
                d.rectangle([x - 10, 620, x + 80, 720], outline=JACKET_DARK, width=4)  # hip pockets

    return _layer(draw)


SNEAKER, SNEAKER_ACCENT, SOLE = (236, 226, 196), (214, 74, 54), (205, 205, 200)


def _sneaker_side(d, x: float, y: float, flip: bool, s: float = 1.5) -> None:
    """One shoe seen from the side, heel at x and toe to the right (to the left when flipped)."""
    def p(u, v):  # u along the shoe (0 heel .. 320 toe), v down from the collar, both scaled by s
        return (x + s * (320 - u if flip else u), y + s * v)

    upper = [p(0, 20), p(80, 0), p(150, 40), p(250, 80), p(320, 110), p(320, 140), p(0, 140)]
    d.polygon(upper, fill=SNEAKER, outline=(120, 120, 120))
    (x0, y0), (x1, y1) = p(-10, 132), p(330, 160)
    d.rounded_rectangle([min(x0, x1), y0, max(x0, x1), y1], radius=int(12 * s), fill=SOLE, outline=(120, 120, 120))
    d.polygon([p(0, 30), p(60, 20), p(60, 132), p(0, 132)], fill=SNEAKER_ACCENT)  # heel panel
    d.line([p(90, 110), p(170, 70), p(260, 115)], fill=SNEAKER_ACCENT, width=int(10 * s))  # side stripe
    for i in range(4):  # laces
        d.line([p(110 + i * 30, 22 + i * 12), p(132 + i * 30, 40 + i * 12)], fill=(60, 60, 60), width=int(5 * s))


def _sneaker_heel(d, x: float) -> None:
    """One shoe seen from behind: a tall rounded heel with a pull tab."""
    d.rounded_rectangle([x, 380, x + 170, 700], radius=70, fill=SNEAKER, outline=(120, 120, 120), width=3)
    d.rounded_rectangle([x - 8, 680, x + 178, 730], radius=18, fill=SOLE, outline=(120, 120, 120))
    d.rectangle([x + 60, 380, x + 110, 560], fill=SNEAKER_ACCENT)
    d.rounded_rectangle([x + 70, 350, x + 100, 400], radius=10, outline=SNEAKER_ACCENT, width=8)  # pull loop


def sneakers(back: bool) -> Image.Image:
    def draw(d):
        if back:
            _sneaker_heel(d, 205)
            _sneaker_heel(d, 425)
        else:
            _sneaker_side(d, 150, 230, flip=False)
            _sneaker_side(d, 170, 560, flip=True)

    return _layer(draw)


CAP, CAP_DARK = (208, 186, 142), (150, 128, 90)


def hat(back: bool) -> Image.Image:
    def draw(d):
        if not back:
            d.ellipse([190, 430, 610, 680], fill=CAP_DARK)  # brim, mostly hidden behind the crown
        d.pieslice([220, 280, 580, 760], 180, 360, fill=CAP, outline=CAP_DARK, width=4)  # crown
        d.rectangle([220, 516, 580, 528], fill=CAP_DARK)  # sweatband edge
        d.ellipse([388, 268, 412, 292], fill=CAP_DARK)  # top button
        for x in (300, 400, 500):
            _dashed(d, [(400, 290), (x, 520)], fill=CAP_DARK, width=2)  # panel seams
        if back:
            d.pieslice([330, 420, 470, 560], 180, 360, fill=(0, 0, 0, 0))  # strap opening: see-through
            d.rectangle([320, 470, 480, 500], fill=CAP_DARK)  # adjustable strap
            for x in range(340, 470, 22):
                d.ellipse([x, 478, x + 10, 488], fill=CAP)
        else:
            d.ellipse([350, 380, 450, 470], outline=(120, 40, 40), width=10)  # embroidered logo
            d.line([(375, 425), (425, 425)], fill=(120, 40, 40), width=10)

    return _layer(draw)


GARMENTS: dict[str, Callable[[bool], Image.Image]] = {
    "t-shirt": tshirt, "jeans": jeans, "dress": dress, "jacket": jacket, "sneakers": sneakers, "hat": hat,
}


def garment_layer(category: str, view: str) -> Image.Image:
    """The garment alone, on transparency; `view` is "front" or "back"."""
    return GARMENTS[category](view == "back")


def garment(category: str, view: str) -> bytes:
    """JPEG bytes of a demo garment flat-lay."""
    return jpeg(_on_background(garment_layer(category, view)))


# --- Fashion models ---------------------------------------------------------------------------------------------
SKIN = {"Fair": (247, 224, 208), "Light": (236, 204, 176), "Medium": (212, 168, 128), "Olive": (190, 150, 104),
        "Tan": (176, 128, 88), "Brown": (140, 96, 64), "Dark": (92, 62, 44)}
HAIR = {"Blonde": (226, 194, 120), "Brown": (108, 70, 42), "Black": (32, 28, 28), "Red": (168, 72, 36),
        "Gray": (172, 172, 172)}
EYES = {"Brown": (90, 56, 30), "Blue": (60, 110, 170), "Green": (70, 130, 80), "Hazel": (130, 100, 50)}
BASE_LAYER, SHORTS = (186, 186, 190), (150, 150, 158)  # neutral fitted top and shorts
STUDIO = (232, 232, 230)


def _body_widths(model_type: str, size: str) -> dict[str, float]:
    """Half-widths in pixels at shoulder, waist and hip for an 800 px wide canvas."""
    shoulder, waist, hip = {"Men": (120, 86, 92)}.get(model_type, (104, 70, 100))
    scale = {"Petit": 0.88, "Plus size": 1.3}.get(size, 1.0)
    return {"shoulder": shoulder * scale, "waist": waist * scale, "hip": hip * scale}


def _limb(d, a: Point, b: Point, color, width: float) -> None:
    d.line([a, b], fill=color, width=int(width))
    r = width / 2
    for x, y in (a, b):
        d.ellipse([x - r, y - r, x + r, y + r], fill=color)


def _hair(d, style: str, color, head: tuple[float, float, float, float], behind: bool) -> None:
    x0, y0, x1, y1 = head
    if behind and style in {"Long", "Ponytail"}:
        length = 170 if style == "Long" else 110
        d.rounded_rectangle([x0 - 14, y0 + 20, x1 + 14, y1 + length], radius=40, fill=color)
    if not behind:
        d.chord([x0 - 6, y0 - 8, x1 + 6, y1 - 30], 180, 360, fill=color)  # hairline over the forehead
        if style == "Curly":  # curls ringing the top and sides of the head
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
            for i in range(13):
                angle = math.radians(165 + 210 * i / 12)
                px, py = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
                d.ellipse([px - 22, py - 22, px + 22, py + 22], fill=color)
        if style == "Bun":
            cx = (x0 + x1) / 2
            d.ellipse([cx - 32, y0 - 52, cx + 32, y0 + 8], fill=color)


def _face(d, head, eye_color) -> None:
    x0, y0, x1, y1 = head
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 8
    for dx in (-22, 22):
        d.ellipse([cx + dx - 7, cy - 7, cx + dx + 7, cy + 7], fill=(250, 250, 250))
        d.ellipse([cx + dx - 4, cy - 4, cx + dx + 4, cy + 4], fill=eye_color)
    d.arc([cx - 18, cy + 14, cx + 18, cy + 36], 20, 160, fill=(150, 80, 70), width=4)


# Heights of the body landmarks as fractions of the canvas: the torso spans shoulders to crotch (23-56 %).
LANDMARKS = {"shoulder": 0.23, "waist": 0.42, "hip": 0.52, "crotch": 0.56, "knee": 0.76, "ankle": 0.93}


def _limbs(d, cx: float, y: dict, w: dict, skin) -> None:
    """Arms hang slightly away from the body, so a garment laid over the torso does not cover them."""
    limb = w["shoulder"] * 0.42
    for side in (-1, 1):
        shoulder = (cx + side * (w["shoulder"] - limb / 2), y["shoulder"] + limb / 2)
        elbow = (cx + side * (w["waist"] + limb * 1.1), y["waist"] - 10)
        hand = (cx + side * (w["hip"] + limb * 1.2), y["crotch"])
        _limb(d, shoulder, elbow, skin, limb)
        _limb(d, elbow, hand, skin, limb * 0.85)
        hip = (cx + side * w["hip"] * 0.5, y["crotch"] - 10)
        knee = (cx + side * w["hip"] * 0.45, y["knee"])
        ankle = (cx + side * w["hip"] * 0.4, y["ankle"])
        _limb(d, hip, knee, skin, w["hip"] * 0.8)
        _limb(d, knee, ankle, skin, w["hip"] * 0.55)
        d.ellipse([ankle[0] - 30 + side * 12, ankle[1] - 6, ankle[0] + 30 + side * 12, ankle[1] + 30], fill=skin)


def _base_layer(d, cx: float, y: dict, w: dict, skin, maternity: bool) -> None:
    """The neutral fitted top and shorts every demo model wears."""
    top = [(cx - w["shoulder"], y["shoulder"] + 10), (cx - w["waist"], y["waist"]), (cx - w["hip"], y["hip"]),
           (cx + w["hip"], y["hip"]), (cx + w["waist"], y["waist"]), (cx + w["shoulder"], y["shoulder"] + 10),
           (cx, y["shoulder"] - 6)]
    hem = y["crotch"] + 50
    shorts = [(cx - w["hip"], y["hip"] - 4), (cx - w["hip"] * 0.98, hem), (cx - 6, hem), (cx, y["crotch"] + 8),
              (cx + 6, hem), (cx + w["hip"] * 0.98, hem), (cx + w["hip"], y["hip"] - 4)]
    d.polygon(shorts, fill=SHORTS)
    d.polygon(top, fill=BASE_LAYER)
    d.pieslice([cx - 60, y["shoulder"] - 40, cx + 60, y["shoulder"] + 40], 0, 180, fill=skin)  # scoop neckline
    if maternity:
        d.ellipse([cx - w["waist"] - 30, y["waist"] - 80, cx + w["waist"] + 30, y["hip"] + 10], fill=BASE_LAYER)


def fashion_model_figure(attrs: dict) -> Image.Image:
    """A neutral, front-facing full-body figure, horizontally centred, at the heights in LANDMARKS."""
    W, H = MODEL_SIZE
    skin = SKIN.get(attrs.get("skin_tone", ""), SKIN["Medium"])
    hair = HAIR.get(attrs.get("hair_color", ""), HAIR["Brown"])
    w = _body_widths(attrs.get("model_type", "Women"), attrs.get("model_size", "Regular"))
    y = {name: fraction * H for name, fraction in LANDMARKS.items()}
    cx = W / 2
    img = Image.new("RGB", MODEL_SIZE, STUDIO)
    d = ImageDraw.Draw(img)
    d.ellipse([cx - 170, y["ankle"] + 10, cx + 170, y["ankle"] + 50], fill=(212, 212, 210))  # floor shadow
    head = (cx - 58, 0.07 * H, cx + 58, 0.07 * H + 140)
    _hair(d, attrs.get("hair_style", ""), hair, head, behind=True)
    _limbs(d, cx, y, w, skin)
    d.rectangle([cx - 24, head[3] - 20, cx + 24, y["shoulder"] + 20], fill=skin)  # neck
    _base_layer(d, cx, y, w, skin, maternity=attrs.get("model_type") == "Maternity")
    d.ellipse(head, fill=skin)
    _hair(d, attrs.get("hair_style", ""), hair, head, behind=False)
    _face(d, head, EYES.get(attrs.get("eye_color", ""), EYES["Brown"]))
    return img


def model_image(attrs: dict, crop_type: str = "fullbody") -> bytes:
    """JPEG bytes: the full figure, or a closer crop of it (same canvas size) for other crop types."""
    figure = fashion_model_figure(attrs)
    W, H = MODEL_SIZE
    boxes = {  # (top, bottom) as fractions of the height; width follows at 2:3
        "head_half_cropped": (0.12, 0.80),
        "top": (0.04, 0.62),
        "bottom": (0.44, 1.0),
    }
    if crop_type not in boxes:
        return jpeg(figure)
    top, bottom = (f * H for f in boxes[crop_type])
    half_width = (bottom - top) * W / H / 2
    crop = figure.crop((int(W / 2 - half_width), int(top), int(W / 2 + half_width), int(bottom)))
    return jpeg(crop.resize(MODEL_SIZE, Image.Resampling.LANCZOS))


# --- Pose references --------------------------------------------------------------------------------------------
STANDING: dict[str, Point] = {
    "head": (0.5, 0.12), "neck": (0.5, 0.2), "pelvis": (0.5, 0.52),
    "l_sh": (0.4, 0.23), "l_el": (0.37, 0.38), "l_ha": (0.36, 0.52),
    "r_sh": (0.6, 0.23), "r_el": (0.63, 0.38), "r_ha": (0.64, 0.52),
    "l_hip": (0.44, 0.53), "l_kn": (0.44, 0.73), "l_ft": (0.44, 0.93),
    "r_hip": (0.56, 0.53), "r_kn": (0.56, 0.73), "r_ft": (0.56, 0.93),
}
BONES = [("neck", "pelvis"), ("neck", "l_sh"), ("neck", "r_sh"), ("l_sh", "l_el"), ("l_el", "l_ha"),
         ("r_sh", "r_el"), ("r_el", "r_ha"), ("pelvis", "l_hip"), ("pelvis", "r_hip"), ("l_hip", "l_kn"),
         ("l_kn", "l_ft"), ("r_hip", "r_kn"), ("r_kn", "r_ft")]
# Left limbs warm, right limbs cool, spine dark: the usual pose-sketch convention, so left and right read at once.
BONE_COLORS = {"l": (220, 90, 60), "r": (60, 120, 210), "n": (60, 60, 60)}
# The part of the figure each prompt type shows, as (top, bottom) fractions of the height.
PROMPT_CROPS = {
    "fullbody": (0.0, 1.0), "head_half_cropped": (0.12, 0.85), "top": (0.02, 0.6), "bottom": (0.45, 1.0),
    "close_up_upper_body": (0.05, 0.45), "close_up_lower_body": (0.5, 0.98),
}


def _joints(overrides: dict[str, Point], scale: float) -> dict[str, Point]:
    """Standing joints with a pose's changes; `scale` shrinks children toward the floor line."""
    joints = {**STANDING, **overrides}
    return {k: (0.5 + (x - 0.5) * scale, 0.95 - (0.95 - y) * scale) for k, (x, y) in joints.items()}


def stick_figure(overrides: dict[str, Point], prompt_type: str = "fullbody", scale: float = 1.0) -> bytes:
    big = (POSE_SIZE[0] * 2, POSE_SIZE[1] * 2)
    img = Image.new("RGB", big, (252, 252, 250))
    d = ImageDraw.Draw(img)
    pts = {k: (x * big[0], y * big[1]) for k, (x, y) in _joints(overrides, scale).items()}
    width = int(26 * scale)
    for a, b in BONES:
        side = b[0] if b[0] in "lr" and b[1] == "_" else "n"
        d.line([pts[a], pts[b]], fill=BONE_COLORS[side], width=width)
    for name, (x, y) in pts.items():
        if name != "head":
            d.ellipse([x - width * 0.7, y - width * 0.7, x + width * 0.7, y + width * 0.7], fill=(30, 30, 30))
    hx, hy = pts["head"]
    r = 0.055 * big[1] * scale
    d.ellipse([hx - r, hy - r, hx + r, hy + r], outline=(60, 60, 60), width=width)
    top, bottom = (f * big[1] for f in PROMPT_CROPS[prompt_type])
    half_width = (bottom - top) * big[0] / big[1] / 2
    crop = img.crop((int(big[0] / 2 - half_width), int(top), int(big[0] / 2 + half_width), int(bottom)))
    return jpeg(crop.resize(POSE_SIZE, Image.Resampling.LANCZOS))


# Joint changes from STANDING for each demo pose (x, y as fractions of the canvas).
FIGURES: dict[str, dict[str, Point]] = {
    "standing": {},
    "walking": {"l_el": (0.38, 0.37), "l_ha": (0.42, 0.5), "r_el": (0.64, 0.37), "r_ha": (0.66, 0.49),
                "l_kn": (0.46, 0.72), "l_ft": (0.5, 0.92), "r_kn": (0.56, 0.74), "r_ft": (0.6, 0.93)},
    "hand_on_hip": {"r_el": (0.7, 0.36), "r_ha": (0.58, 0.5)},
    "hand_at_collar": {"r_el": (0.62, 0.36), "r_ha": (0.52, 0.24)},
    "hands_in_pockets": {"l_el": (0.34, 0.38), "l_ha": (0.43, 0.5), "r_el": (0.66, 0.38), "r_ha": (0.57, 0.5)},
    "side_step": {"l_kn": (0.4, 0.73), "l_ft": (0.36, 0.93), "r_kn": (0.58, 0.73), "r_ft": (0.6, 0.93)},
    "feet_apart": {"l_kn": (0.41, 0.73), "l_ft": (0.38, 0.93), "r_kn": (0.59, 0.73), "r_ft": (0.62, 0.93)},
    "jumping": {"l_el": (0.34, 0.16), "l_ha": (0.32, 0.06), "r_el": (0.66, 0.16), "r_ha": (0.68, 0.06),
                "l_kn": (0.4, 0.7), "l_ft": (0.43, 0.86), "r_kn": (0.6, 0.7), "r_ft": (0.57, 0.86)},
    "waving": {"r_el": (0.7, 0.22), "r_ha": (0.72, 0.1)},
    "sitting": {"head": (0.5, 0.33), "neck": (0.5, 0.42), "pelvis": (0.5, 0.7),
                "l_sh": (0.42, 0.45), "l_el": (0.38, 0.58), "l_ha": (0.42, 0.68),
                "r_sh": (0.58, 0.45), "r_el": (0.62, 0.58), "r_ha": (0.58, 0.68),
                "l_hip": (0.45, 0.71), "l_kn": (0.32, 0.78), "l_ft": (0.44, 0.86),
                "r_hip": (0.55, 0.71), "r_kn": (0.68, 0.78), "r_ft": (0.56, 0.86)},
}
FIGURES["sitting_arms_up"] = {**FIGURES["sitting"], "l_el": (0.36, 0.36), "l_ha": (0.34, 0.26),
                              "r_el": (0.64, 0.36), "r_ha": (0.66, 0.26)}
# Children and infants are drawn smaller, standing on the same floor line.
CATEGORY_SCALE = {"Child": 0.75, "Infant": 0.6}


def pose_reference(figure: str, category: str, prompt_type: str) -> bytes:
    """JPEG bytes of a stick-figure reference for a demo pose."""
    return stick_figure(FIGURES[figure], prompt_type, CATEGORY_SCALE.get(category, 1.0))
