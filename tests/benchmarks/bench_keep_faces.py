"""Keep faces: does an independent face detector find the faces in the painted portraits, and does the rest of
the picture keep its style?

For each portrait (``tests/data/portraits``: NASA's Eileen Collins, the US Navy's Grace Hopper and the White
House's Barack Obama, all in the public domain) and each painting (The Starry Night, bundled; the stained glass
that ``tests/tools/readme_pictures.py`` draws; ``--painting`` adds more), it paints at 512 px with the default
settings, without and with Keep faces (``engine.cli.region_options.regions_for_photo``, as
``brushwork-render --keep-faces`` does), and measures:

- faces: dlib's CNN face detector (``mmod_human_face_detector``, whose model ships in the
  ``face-recognition-models`` package: a benchmark-only dependency, ``pip install face-recognition-models``,
  never one of Brushwork's) looks at the photo and at both pictures. The HOG detector placed the regions, so the
  judge is another detector. A face counts as found where the CNN's box centre lies in the HOG box grown by half.
- style away from the faces: the plain style term (the five Gatys layers, default weights) with each Gram taken
  over the picture away from the faces (each pixel weighted by 1 - the face masks: the guided statistic with the
  complement as its guide), against the painting's Gram as the engine takes it (frame trimmed; until this stop it
  was the whole painting, frame and all, which put The Starry Night's errors three times as high). ``ratio`` is
  with / without Keep faces; the goal is 1.05 at most. ``beyond``: the same ratio over only the pixels no face
  region reaches (beyond the feathered ring, whose pixels are meant to get less style). The pictures go to
  results/tmp/keep_faces.
- the face's departure from the photo: the mean absolute difference (0-255) inside the faces' masks.
- what finding the faces costs at the sizes an artist's photos have (the portrait enlarged to 1024 to 6000 px).

    python tests/benchmarks/bench_keep_faces.py [--size 512] [--steps 300] [--painting FILE ...] [--quick]
    python tests/benchmarks/bench_keep_faces.py --strengths 0,0.05,0.15,0.3 --size 256

The second form paints each portrait after The Starry Night without Keep faces and at each strength, for choosing
the default strength by eye: docs/images/keep_faces_strengths.jpg and results/keep_faces_strengths.json.

``--quick`` (128 px, 40 steps, The Starry Night only) checks that the script works; its figures mean nothing.
Writes results/keep_faces.json and the contact sheet docs/images/keep_faces.jpg (with ``--quick``,
results/keep_faces_quick.jpg). A ``--painting`` that may not be copied into the project (The Great Wave in
shared/images) is measured but left out of the contact sheet.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from brushwork.engine.cli.region_options import regions_for_photo
from brushwork.engine.files.bundled_files import sample_images
from brushwork.engine.network.layers import DEFAULT_STYLE_WEIGHTS
from brushwork.engine.network.vgg19 import FeatureExtractor
from brushwork.engine.network.vgg_weights import load_weights
from brushwork.engine.pictures.faces import KEEP_FACES_STRENGTH, FaceBox, find_faces
from brushwork.engine.pictures.images import fit_dims, inner_box, load_image, resize, to_tensor
from brushwork.engine.run.style_transfer import StyleTransfer
from brushwork.engine.settings.style_params import FRAME_SHARE, StyleParams

from tests.benchmarks.common import RESULTS, ROOT, cpu_kind, print_table, save_json, stack_rows
from tests.tools.readme_pictures import stained_glass

PORTRAITS = ROOT / "tests" / "data" / "portraits"
SHEET = ROOT / "docs" / "images" / "keep_faces.jpg"
DETECT_SIDES = (1024, 2048, 4096, 6000)


class CnnJudge:
    """dlib's CNN face detector, the second opinion (never used to place a region)."""

    def __init__(self) -> None:
        import importlib.util

        import dlib

        # Found by the package's folder, not imported: its __init__ needs pkg_resources, which setuptools 81 dropped.
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("bench_keep_faces needs the CNN's model: pip install face-recognition-models (benchmark only)")
        model = Path(next(iter(spec.submodule_search_locations))) / "models" / "mmod_human_face_detector.dat"
        self.net = dlib.cnn_face_detection_model_v1(str(model))

    def faces(self, picture: Image.Image) -> list[tuple[float, float, float, float]]:
        # Upsampled once: it then finds faces from about 40 px, half the HOG detector's smallest.
        found = self.net(np.asarray(picture.convert("RGB")), 1)
        return [(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()) for d in found]


def matched(boxes: list[FaceBox], found: list[tuple[float, float, float, float]]) -> int:
    """How many of the photo's faces (``boxes``, in the picture's pixels) the judge found again."""
    count = 0
    for box in boxes:
        grow_x, grow_y = box.width / 4, box.height / 4
        x0, x1, y0, y1 = box.left - grow_x, box.right + grow_x, box.top - grow_y, box.bottom + grow_y
        if any(x0 <= (left + right) / 2 <= x1 and y0 <= (top + bottom) / 2 <= y1 for left, top, right, bottom in found):
            count += 1
    return count


class StyleAway:
    """The plain style term over the picture away from the faces, against one painting's Grams."""

    def __init__(self) -> None:
        self.net = FeatureExtractor(load_weights("oxford"), "conv5_1")
        self.layers = set(DEFAULT_STYLE_WEIGHTS)

    @torch.no_grad()
    def grams(self, picture: Image.Image, weights: np.ndarray | None = None) -> dict[str, torch.Tensor]:
        feats = self.net(to_tensor(picture), self.layers)
        out = {}
        for name, f in feats.items():
            flat = f[0].flatten(1)
            if weights is None:
                out[name] = flat @ flat.T / flat.shape[1]
                continue
            w = torch.from_numpy(weights.astype(np.float32))[None, None]
            w = F.adaptive_avg_pool2d(w, f.shape[-2:]).flatten()
            out[name] = (flat * w) @ flat.T / w.sum().clamp_min(1e-6)
        return out

    def error(self, picture: Image.Image, away: np.ndarray, target: dict[str, torch.Tensor]) -> float:
        grams = self.grams(picture, away)
        return sum(
            weight * float((grams[n] - target[n]).pow(2).sum() / target[n].pow(2).sum())
            for n, weight in DEFAULT_STYLE_WEIGHTS.items()
        )


HEADERS = ["portrait", "painting", "faces: photo", "plain", "kept", "style away: plain", "kept", "ratio", "beyond"]
HEADERS += ["face diff"]


def paint(photo: Image.Image, painting: Image.Image, size: int, steps: int, keep: float | None):
    """The picture, the face masks (at its size, as one 0-1 plane, None without faces), the face boxes in its
    pixels, and the seconds it took."""
    params = StyleParams(size=size, steps=steps)
    params, masks = regions_for_photo(photo, params, None, keep, "")
    torch.manual_seed(0)
    started = time.perf_counter()
    engine = StyleTransfer(photo, [painting], params, masks=masks)
    for _ in engine.run():
        pass
    return engine.result(), params, masks, time.perf_counter() - started


def face_plane(masks, size: tuple[int, int]) -> np.ndarray:
    """The union of the face masks at ``size``, 0-1."""
    planes = [np.asarray(m.resize(size, Image.Resampling.BILINEAR), np.float32) / 255 for m in masks.photo]
    return np.max(planes, axis=0)


def detection_seconds(photo: Image.Image) -> dict[str, float]:
    """find_faces at the long sides an artist's photos have (the portrait enlarged; the best of three)."""
    out = {}
    find_faces(photo)  # the detector is made once per process: not part of a photo's cost
    for side in DETECT_SIDES:
        scale = side / max(photo.size)
        big = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            find_faces(big)
            times.append(time.perf_counter() - started)
        out[f"{big.width}x{big.height}"] = min(times)
    return out


def row_picture(pictures: list[Image.Image], labels: list[str], height: int) -> Image.Image:
    font = ImageFont.load_default(size=13)
    scaled = [p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS) for p in pictures]
    sheet = Image.new("RGB", (sum(p.width for p in scaled) + 6 * (len(scaled) - 1), height + 36), "white")
    draw, x = ImageDraw.Draw(sheet), 0
    for picture, label in zip(scaled, labels, strict=True):
        sheet.paste(picture, (x, 36))
        draw.multiline_text((x + 3, 2), label, fill=(30, 30, 30), font=font, spacing=2)
        x += picture.width + 6
    return sheet


def strength_trial(strengths: list[float], size: int, steps: int) -> None:
    """Each portrait after The Starry Night without Keep faces and at each strength: the CNN's count, how far
    the face moved from the photo, and a contact sheet to look at (the default strength is chosen by eye)."""
    judge, painting = CnnJudge(), load_image(sample_images()[1])
    rows, records = [], []
    for portrait in sorted(PORTRAITS.glob("*.jpg")):
        photo = load_image(portrait)
        _, masks = regions_for_photo(photo, StyleParams(size=size), None, KEEP_FACES_STRENGTH, "")
        if masks is None:
            print(f"{portrait.name}: no face found", flush=True)
            continue
        pictures, labels = [], []
        for strength in [None, *strengths]:
            picture, _, _, seconds = paint(photo, painting, size, steps, strength)
            w, h = picture.size
            photo_px = np.asarray(resize(photo, h, w), np.float32)
            faces = face_plane(masks, (w, h))
            boxes = [b.scaled(w / photo.width, h / photo.height) for b in find_faces(photo)]
            found = matched(boxes, judge.faces(picture))
            moved = float((np.abs(np.asarray(picture, np.float32) - photo_px).mean(-1) * faces).sum() / faces.sum())
            record = {"portrait": portrait.name, "strength": strength, "cnn": found, "faces": len(boxes)}
            records.append({**record, "face_departure": moved, "seconds": seconds})
            print(records[-1], flush=True)
            pictures.append(picture)
            labels.append(
                f"{'without' if strength is None else strength}\nCNN {found}/{len(boxes)}, {moved:.0f} levels"
            )
        rows.append(row_picture(pictures, labels, 200))
    path = ROOT / "docs" / "images" / "keep_faces_strengths.jpg"
    stack_rows(rows).save(path, quality=82, optimize=True)
    print(f"contact sheet: {path}")
    save_json("keep_faces_strengths", {"cpu": cpu_kind(), "size": size, "steps": steps, "records": records})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--strength", type=float, default=KEEP_FACES_STRENGTH)
    parser.add_argument("--painting", action="append", default=[], help="another painting (measured, not shown)")
    parser.add_argument("--quick", action="store_true", help="128 px, 40 steps, one painting: the script works")
    parser.add_argument(
        "--strengths", help="instead: a trial of these strengths (comma-separated) after The Starry Night"
    )
    args = parser.parse_args()
    if args.strengths:
        strength_trial([float(v) for v in args.strengths.split(",")], args.size, args.steps)
        return
    if args.quick:
        args.size, args.steps = 128, 40
    paintings = {"The Starry Night": (load_image(sample_images()[1]), True)}
    if not args.quick:
        paintings["stained glass"] = (stained_glass(), True)
        for path in args.painting:
            paintings[Path(path).stem] = (load_image(path), False)
    judge, meter = CnnJudge(), StyleAway()
    records, rows = [], []
    for portrait in sorted(PORTRAITS.glob("*.jpg")):
        photo = load_image(portrait)
        h, w = fit_dims(*photo.size, args.size)
        photo_at = resize(photo, h, w)
        seconds = detection_seconds(photo)
        sheet_pictures, sheet_labels = [photo_at], [f"{portrait.stem}\nthe photo"]
        for name, (painting, shown) in paintings.items():
            # The painting as the engine takes its Grams: its frame trimmed (trim_frame), at the picture's size.
            inner = painting.crop(inner_box(*painting.size, FRAME_SHARE))
            target = meter.grams(resize(inner, *fit_dims(*inner.size, args.size)))
            plain, _, _, plain_s = paint(photo, painting, args.size, args.steps, None)
            kept, kept_params, masks, kept_s = paint(photo, painting, args.size, args.steps, args.strength)
            if masks is None:
                print(f"{portrait.name}: the HOG detector found no face; nothing to judge", flush=True)
                continue
            if plain.size != photo_at.size:  # the run's own rounding of the size: measure at the picture's
                photo_at = resize(photo, plain.height, plain.width)
            w, h = plain.size
            faces = face_plane(masks, (w, h))
            boxes = [b.scaled(w / photo.width, h / photo.height) for b in find_faces(photo)]
            in_photo = matched(boxes, judge.faces(photo_at))
            found = {"plain": matched(boxes, judge.faces(plain)), "kept": matched(boxes, judge.faces(kept))}
            away = {"plain": meter.error(plain, 1 - faces, target), "kept": meter.error(kept, 1 - faces, target)}
            # Only where no face region reaches (beyond the feathered ring, whose pixels are meant to get less
            # style): does the rest of the picture keep its style?
            beyond = (faces <= 0).astype(np.float32)
            clear = {"plain": meter.error(plain, beyond, target), "kept": meter.error(kept, beyond, target)}
            kept_folder = RESULTS / "tmp" / "keep_faces"
            kept_folder.mkdir(parents=True, exist_ok=True)
            for key, pic in (("plain", plain), ("kept", kept)):
                pic.save(kept_folder / f"{portrait.stem}_{name.replace(' ', '_')}_{key}.png")
            photo_px = np.asarray(photo_at, np.float32)
            departure = {
                key: float((np.abs(np.asarray(pic, np.float32) - photo_px).mean(-1) * faces).sum() / faces.sum())
                for key, pic in (("plain", plain), ("kept", kept))
            }
            record = {
                "portrait": portrait.name,
                "painting": name,
                "faces_hog": len(boxes),
                "faces_cnn_photo": in_photo,
                "faces_cnn_plain": found["plain"],
                "faces_cnn_kept": found["kept"],
                "style_away_plain": away["plain"],
                "style_away_kept": away["kept"],
                "style_away_ratio": away["kept"] / away["plain"],
                "style_beyond_plain": clear["plain"],
                "style_beyond_kept": clear["kept"],
                "style_beyond_ratio": clear["kept"] / clear["plain"],
                "face_departure_plain": departure["plain"],
                "face_departure_kept": departure["kept"],
                "seconds_plain": plain_s,
                "seconds_kept": kept_s,
                "face_regions": [r.name for r in kept_params.regions],
                "detect_seconds": seconds,
            }
            records.append(record)
            print(record, flush=True)
            if shown:
                sheet_pictures += [plain, kept]
                sheet_labels += [
                    f"{name}\nwithout: CNN {found['plain']}/{len(boxes)}",
                    f"{name}\nkept {args.strength:g}: CNN {found['kept']}/{len(boxes)}",
                ]
        rows.append(row_picture(sheet_pictures, sheet_labels, 150 if args.quick else 220))
    print_table(
        HEADERS,
        [
            [
                r["portrait"],
                r["painting"],
                f"{r['faces_cnn_photo']}/{r['faces_hog']}",
                r["faces_cnn_plain"],
                r["faces_cnn_kept"],
                f"{r['style_away_plain']:.4f}",
                f"{r['style_away_kept']:.4f}",
                f"{r['style_away_ratio']:.3f}",
                f"{r['style_beyond_ratio']:.3f}",
                f"{r['face_departure_plain']:.0f} -> {r['face_departure_kept']:.0f}",
            ]
            for r in records
        ],
    )
    if records:
        print("detection seconds (find_faces, best of 3):")
        for r in {r["portrait"]: r for r in records}.values():
            print(f"  {r['portrait']}: " + ", ".join(f"{k} {v:.3f} s" for k, v in r["detect_seconds"].items()))
    if rows:
        path = RESULTS / "keep_faces_quick.jpg" if args.quick else SHEET
        path.parent.mkdir(parents=True, exist_ok=True)
        stack_rows(rows).save(path, quality=82, optimize=True)
        print(f"contact sheet: {path}")
    payload = {"cpu": cpu_kind(), "size": args.size, "steps": args.steps, "strength": args.strength}
    save_json("keep_faces_quick" if args.quick else "keep_faces", {**payload, "records": records})


if __name__ == "__main__":
    main()
