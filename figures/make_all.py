"""Regenerate every reproduced figure: each ``figures/fig_*.py`` in turn, with progress.

Each script caches its runs under ``figures/cache/``, so a second call only re-plots
(seconds), and an interrupted call resumes at the first run that had not finished. A
script that fails is reported and the others still run; the exit code is 1 if any failed.
Outputs go to ``figures/out/*.png``; a copy of each, scaled to ``GALLERY_WIDTH`` pixels and 256 colours,
goes to ``figures/gallery/`` (committed, shown in the README).

Usage::

    python figures/make_all.py                     # all figures (hours the first time, on 2 cores)
    python figures/make_all.py --only theta_hippocampus three_factor
    python figures/make_all.py --fresh             # rerun every simulation instead of using the cache
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
GALLERY_WIDTH = 1200


def gallery_copy(name: str) -> pathlib.Path:
    """Write ``figures/gallery/fig_<name>.png``: ``figures/out/fig_<name>.png`` scaled to ``GALLERY_WIDTH`` px."""
    from PIL import Image

    with Image.open(HERE / "out" / f"fig_{name}.png") as image:
        height = round(image.height * GALLERY_WIDTH / image.width)
        small = image.convert("RGB").resize((GALLERY_WIDTH, height), Image.LANCZOS).quantize(256)
    target = HERE / "gallery" / f"fig_{name}.png"
    target.parent.mkdir(exist_ok=True)
    small.save(target, optimize=True)
    return target


def figure_names() -> list:
    """The figures this folder makes: ``fig_<name>.py`` -> ``<name>``, sorted."""
    return sorted(path.stem[len("fig_"):] for path in HERE.glob("fig_*.py"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"some of: {', '.join(figure_names())}")
    parser.add_argument("--fresh", action="store_true", help="rerun every simulation instead of using the cache")
    args = parser.parse_args(argv)
    names = args.only or figure_names()
    unknown = sorted(set(names) - set(figure_names()))
    if unknown:
        parser.error(f"--only: got {', '.join(unknown)}; allowed: {', '.join(figure_names())}")
    sys.path.insert(0, str(HERE))
    failed, started = [], time.perf_counter()
    for index, name in enumerate(names, start=1):
        print(f"[{index}/{len(names)}] fig_{name} ...", flush=True)
        began = time.perf_counter()
        try:
            importlib.import_module(f"fig_{name}").main(["--fresh"] if args.fresh else [])
            gallery_copy(name)
        except Exception:                      # report, go on with the other figures
            traceback.print_exc()
            failed.append(name)
        print(f"[{index}/{len(names)}] fig_{name} {'FAILED' if name in failed else 'done'} in "
              f"{time.perf_counter() - began:.0f} s ({time.perf_counter() - started:.0f} s in all)", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(names)} figures in {HERE / 'out'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
