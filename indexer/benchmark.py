"""Measure the index: rebuild time and query latency on a synthetic archive.

    python -m indexer.benchmark --segments 200000 --procs 2

Items are made from the words of tests/data/arabic/passages.jsonl plus invented words (for a
vocabulary of realistic size), drawn with a Zipf-like law; metadata, access levels, embargoes
and restricted segments are mixed in as in a real catalogue. Queries run in-process as an
anonymous visitor (access filtering, facets, highlighting of the page included).
"""

import argparse
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from .index import open_index, rebuild
from .search import Access

PASSAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "arabic" / "passages.jsonl"
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
NOW = datetime(2025, 6, 1)


def vocabulary(rng: random.Random, invented: int) -> list[str]:
    words = []
    for line in PASSAGES.read_text(encoding="utf-8").splitlines():
        words += [w.strip("،.:؛؟!«»()…") for w in json.loads(line)["text"].split()]
    words = [w for w in dict.fromkeys(words) if w]
    affixes = ("", "ال", "و", "وال", "ب", "بال")
    endings = ("", "ة", "ات", "ون", "ين", "ه", "ها", "هم")
    for _ in range(invented):
        root = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 5)))
        words.append(rng.choice(affixes) + root + rng.choice(endings))
    rng.shuffle(words)
    return words


def corpus(n_items: int, per_item: int, seed: int = 7, invented: int = 40000):
    """Item dicts as the app builds them, ``n_items`` of ``per_item`` segments each."""
    rng = random.Random(seed)
    words = vocabulary(rng, invented)
    weights = [1 / (rank + 10) for rank in range(len(words))]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    people = [" ".join(rng.choices(words[:3000], k=2)) for _ in range(300)]
    tags = [rng.choice(words[:500]) for _ in range(60)]
    places = [rng.choice(words[:2000]) for _ in range(30)]

    def text(k):
        return " ".join(rng.choices(words, cum_weights=cumulative, k=k))

    for i in range(n_items):
        clock, segments = 0.0, []
        for j in range(per_item):
            length = rng.uniform(3, 9)
            segments.append(
                {
                    "id": i * per_item + j,
                    "start": round(clock, 2),
                    "end": round(clock + length, 2),
                    "text": text(rng.randint(10, 30)),
                    "restricted": rng.random() < 0.02,
                }
            )
            clock += length
        narrator = rng.choice(people)
        yield {
            "identifier": f"BM-{i:06d}",
            "type": rng.choice(("testimony", "poem", "song", "interview", "lecture", "event")),
            "title": text(6),
            "title_en": "",
            "description": text(40),
            "description_en": "",
            "people": [{"role": "narrator", "name": narrator, "label_en": "", "names": [narrator]}],
            "tags": [{"label": t, "label_en": ""} for t in rng.sample(tags, 3)],
            "collections": [{"title": f"مجموعة {rng.randint(1, 20)}", "title_en": ""}],
            "places": [{"name": p, "label_en": ""} for p in rng.sample(places, 2)],
            "languages": ["ar"],
            "date": str(rng.randint(1967, 2020)) if rng.random() < 0.9 else "",
            "access": rng.choices(("public", "researchers", "staff"), (7, 2, 1))[0],
            "status": "published" if rng.random() < 0.9 else "draft",
            "embargo_until": NOW + timedelta(days=30) if rng.random() < 0.03 else None,
            "created_at": NOW,
            "transcripts": [
                {"id": i, "language": "ar", "restricted": rng.random() < 0.02, "segments": segments}
            ],
        }


def queries(rng: random.Random, n: int) -> list[tuple[str, dict]]:
    words = vocabulary(random.Random(7), 40000)
    common, middle, rare = words[:50], words[50:2000], words[2000:]
    made = []
    for _ in range(n):
        shape = rng.randrange(8)
        if shape == 0:
            made.append((rng.choice(common), {}))
        elif shape == 1:
            made.append((f"{rng.choice(middle)} {rng.choice(middle)}", {}))
        elif shape == 2:
            made.append((f"{rng.choice(common)} {rng.choice(middle)} {rng.choice(rare)}", {}))
        elif shape == 3:
            made.append((f'"{rng.choice(common)} {rng.choice(common)}"', {}))
        elif shape == 4:
            made.append((rng.choice(middle)[:3] + "*", {}))
        elif shape == 5:
            made.append((rng.choice(middle), {"type": ["testimony", "poem"]}))
        elif shape == 6:
            made.append((rng.choice(middle) + "ثق", {}))  # a word that is not there
        else:
            made.append((rng.choice(common), {"sort": "-date"}))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10000)
    parser.add_argument("--per-item", type=int, default=100)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--limitmb", type=int, default=256)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--root", help="index folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.root or tmp)
        n_items = max(1, args.segments // args.per_item)
        items = list(corpus(n_items, args.per_item))  # made beforehand: not timed
        cpu, started = _cpu_seconds(), time.perf_counter()
        rebuild(root, items, procs=args.procs, limitmb=args.limitmb)
        built, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(
            f"rebuild: {n_items} items, {n_items * args.per_item} segments, "
            f"{built:.1f} s ({cpu:.1f} s of CPU in all processes)"
        )
        del items
        with open_index(root) as index:
            started = time.perf_counter()
            index.search("", access=Access.public(NOW))
            print(f"first search (opens, reads item table): {time.perf_counter() - started:.3f} s")
            wall, cpu = [], []
            for text, options in queries(random.Random(1), args.queries):
                sort = options.pop("sort", "relevance")
                started, used = time.perf_counter(), time.process_time()
                index.search(text, access=Access.public(NOW), sort=sort, filters=options or None)
                wall.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            for name, times in (("wall", wall), ("cpu", cpu)):
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(
                    f"queries ({name}): {len(times)}, p50 {statistics.median(times) * 1000:.1f} "
                    f"ms, p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms"
                )


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rebuild's writers)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
