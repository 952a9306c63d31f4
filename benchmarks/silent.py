"""When the sources are silent: questions asked of a collection that does not hold their
article, through the whole product (retrieval, reader, rules, threshold). Held out: the
questions are squad2-dev's (never read in training or fitting), the collections are SQuAD
1.1 training articles the reader never read (their titles are in no training group).

    .venv/bin/python benchmarks/silent.py [--groups ~/.cache/news-assistant/training/squad11/train.jsonl ...]
    .venv/bin/python benchmarks/silent.py --collection shifts

``--collection shifts`` takes the collections from SQuADShifts' new-Wikipedia articles that
no reader stage read instead (``probe_reader.unread_folder``): once a stage has read all of
SQuAD 1.1, no unread SQuAD 1.1 article is left.

Prints how many of the questions are refused ("The sources don't say") over a collection
of twelve such articles and over one of two, and how many are answered with the unsure
note. A question answered here is answered from nothing it asked about.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

SEED = 41


def unread_articles(groups: list[Path]) -> list[dict]:
    """SQuAD 1.1 training articles no reader stage read (absent from every ``groups`` file's articles)."""
    read = set()
    for path in groups:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            name = json.loads(line)["article"].split("__", 1)[-1].removesuffix(".txt")
            read.update((name, name.rsplit("_", 1)[0]))  # 'Title' or 'Title_2' (the third ten paragraphs)
    data = json.loads((DATA / "squad11-train" / "train-v1.1.json").read_text(encoding="utf-8"))["data"]
    from reader_data import _safe, kept_out_titles

    skip = kept_out_titles()
    return [a for a in data if a["title"] not in skip and _safe(a["title"]) not in read]


def shifts_files(work: Path, rng: random.Random) -> list[Path]:
    """SQuADShifts new-Wikipedia article files no reader stage read, in an order shuffled with ``rng``."""
    from probe_reader import unread_folder

    docs, _ = unread_folder(work)
    files = sorted(p for p in docs.iterdir() if p.name.startswith("new_wiki__"))
    rng.shuffle(files)
    return files


def write_folder(articles: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True)
    for art in articles:
        text = art["title"].replace("_", " ") + "\n\n" + "\n\n".join(p["context"] for p in art["paragraphs"][:10])
        (folder / f"{art['title'][:80]}.txt").write_text(text + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--groups",
        type=Path,
        nargs="+",
        default=[Path.home() / ".cache" / "news-assistant" / "training" / "squad11" / "train.jsonl"],
        help="the SQuAD 1.1 training groups the reader stages read (their articles are left out)",
    )
    parser.add_argument(
        "--collection",
        choices=("squad11", "shifts"),
        default="squad11",
        help="where the collections' articles come from: SQuAD 1.1 training articles outside --groups, "
        "or SQuADShifts new-Wikipedia articles no reader stage read",
    )
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    from assistant import Assistant, Config

    rng = random.Random(SEED)
    articles = unread_articles(args.groups) if args.collection == "squad11" else []
    rng.shuffle(articles)
    questions = [json.loads(line) for line in (DATA / "squad2-dev" / "questions.jsonl").read_text().splitlines()]
    rng.shuffle(questions)
    questions = questions[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        files = shifts_files(Path(tmp) / "shifts", rng) if args.collection == "shifts" else []
        if len(articles) + len(files) < 12:
            raise SystemExit(f"only {len(articles) + len(files)} unread articles: too few for a collection of twelve")
        print("| collection | questions | refused | answered with the unsure note | answered |")
        print("| --- | --- | --- | --- | --- |")
        for name, n in (("twelve unread Wikipedia articles", 12), ("two unread Wikipedia articles", 2)):
            folder = Path(tmp) / f"docs-{n}"
            if files:
                folder.mkdir()
                for path in files[:n]:
                    shutil.copy(path, folder / path.name)
            else:
                write_folder(articles[:n], folder)
            assistant = Assistant.open(Config(docs_dir=folder, index_dir=Path(tmp) / f"index-{n}"))
            answers = [assistant.ask(q["question"]) for q in questions]
            refused = sum(not a.found for a in answers)
            unsure = sum(a.found and a.unsure for a in answers)
            print(
                f"| {name} | {len(answers)} | {refused / len(answers):.3f} | {unsure / len(answers):.3f} "
                f"| {(len(answers) - refused - unsure) / len(answers):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
