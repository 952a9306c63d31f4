"""Build the claim verifier's training, validation and test pairs from ``../shared/data``.

Each pair is (claim, evidence) with one of three labels: supports (0), contradicts (1),
neither (2). Sources, every one split by page, article, case or premise (never by pair):

- ``nli/vitaminc`` real and synthetic (claims against Wikipedia revisions where a number,
  date or name changed): pages hashed into train / valid / test; ``fever_adversarial``: test.
- ``nli/snli-counterfactual``: its own train / dev / test (minimal human edits that flip
  the label).
- ``nli/mnli-dev-matched``: by premise, hashed.
- ``nli/fever-symmetric``: test only (its dev claims overlap FEVER's).
- **Our kind of text**: sentences of SQuAD 1.1 training articles (news-like Wikipedia
  prose), each article on one side, with one name, place, number, year or negation
  swapped for a plausible other of the same kind (contradicts), kept or shortened
  (supports), or paired with another sentence of its paragraph (neither). The evidence is
  shown as the product shows it: the sentence, then the article's title and the end of
  the sentence before it (``reader_input.pair_text``).
- **Near misses** (neither): a sentence of another paragraph of the same article that
  shares the evidence's names and words but tells something the evidence does not (at
  least three of its words of substance are nowhere in the evidence): the same topic, another
  event, as a news archive's closest sentence often is ("A new hospital opened in
  Dunmore" against "The Harlow Bridge reopened, reconnecting Dunmore").

    .venv/bin/python training/verifier_data.py --out ~/.cache/news-assistant/training/verifier
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
NLI = DATA / "nli"
sys.path.insert(0, str(ROOT))

from assistant.language.terms import STOPWORDS  # noqa: E402
from assistant.search.reader_input import pair_text  # noqa: E402

SEED = 31
LABELS = {"SUPPORTS": 0, "entailment": 0, "REFUTES": 1, "contradiction": 1, "NOT ENOUGH INFO": 2, "neutral": 2}
NAMES = ("supports", "contradicts", "neither")


def split_of(key: str) -> str:
    """train, valid or test, by a stable hash of the page / article / case key."""
    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 20
    return "test" if bucket == 0 else "valid" if bucket == 1 else "train"


def _pair(claim: str, evidence: str, label: int, source: str, group: str, split: str) -> dict:
    return {"claim": claim, "evidence": evidence, "label": label, "source": source, "group": group, "split": split}


def vitaminc() -> list[dict]:
    out = []
    for name in ("real", "synthetic", "fever_adversarial"):
        for line in (NLI / "vitaminc" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            page = r.get("page") or r.get("case_id") or r["unique_id"]
            split = "test" if name == "fever_adversarial" else split_of(f"vitaminc:{page}")
            group = str(r.get("case_id") or r.get("unique_id") or page)
            out.append(_pair(r["claim"], r["evidence"], LABELS[r["label"]], f"vitaminc-{name}", group, split))
    return out


def fever_symmetric() -> list[dict]:
    out = []
    for name in ("dev", "test"):
        for line in (
            (NLI / "fever-symmetric" / f"fever_symmetric_{name}.jsonl").read_text(encoding="utf-8").splitlines()
        ):
            r = json.loads(line)
            out.append(_pair(r["claim"], r["evidence"], LABELS[r["label"]], "fever-symmetric", str(r["id"]), "test"))
    return out


def snli_counterfactual() -> list[dict]:
    out = []
    for name, split in (("train", "train"), ("dev", "valid"), ("test", "test")):
        with (NLI / "snli-counterfactual" / "all_combined" / f"{name}.tsv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("gold_label") in LABELS:
                    label = LABELS[row["gold_label"]]
                    out.append(_pair(row["sentence2"], row["sentence1"], label, "snli-cf", row["sentence1"], split))
    return out


def mnli() -> list[dict]:
    out = []
    with (NLI / "mnli-dev-matched" / "dev_matched.txt").open(encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 4 and row[3] in LABELS:
                out.append(_pair(row[2], row[1], LABELS[row[3]], "mnli", row[1], split_of(f"mnli:{row[1]}")))
    return out


# --- our kind of text: swapped sentences -------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20[0-4]\d)\b")
_NAME = re.compile(r"(?<=\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_NEGATABLE = re.compile(r"\b(is|was|are|were|has|had|have|will|can|could|did|does)\b")
_MONTHS = "January February March April May June July August September October November December".split()
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b")
_ORDER = re.compile(r"\b(before|after)\b")


def swaps(sentence: str, names: list[str], rng: random.Random) -> list[str]:
    """Contradicting versions of ``sentence``: one thing of one kind changed."""
    out = []
    m = _YEAR.search(sentence)
    if m:
        year = int(m.group(1)) + rng.choice([-7, -3, -2, -1, 1, 2, 4, 9])
        out.append(sentence[: m.start()] + str(year) + sentence[m.end() :])
    numbers = [m for m in _NUMBER.finditer(sentence) if not _YEAR.fullmatch(m.group())]
    if numbers:
        m = rng.choice(numbers)
        digits = m.group().replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            value = None
        if value is not None and value > 1:
            factor = rng.choice([0.5, 0.7, 1.5, 2, 3])
            new = f"{int(round(value * factor)):,}" if "." not in digits else f"{value * factor:.1f}"
            if new.replace(",", "") != digits:
                out.append(sentence[: m.start()] + new + sentence[m.end() :])
    m = _MONTH.search(sentence)
    if m:
        other = rng.choice([x for x in _MONTHS if x != m.group(1)])
        out.append(sentence[: m.start()] + other + sentence[m.end() :])
    here = [n for n in _NAME.finditer(sentence) if len(n.group()) > 3]
    others = [n for n in names if n not in sentence and len(n) > 3]
    if here and others:
        n = rng.choice(here)
        out.append(sentence[: n.start()] + rng.choice(others) + sentence[n.end() :])
    m = _NEGATABLE.search(sentence)
    if m:
        out.append(sentence[: m.end()] + " not" + sentence[m.end() :])
    m = _ORDER.search(sentence)
    if m:
        flipped = "after" if m.group(1) == "before" else "before"
        out.append(sentence[: m.start()] + flipped + sentence[m.end() :])
    return out


def shortened(sentence: str) -> str:
    """The sentence up to its first comma clause, when that still says something."""
    head = sentence.split(",")[0].rstrip().rstrip(".")
    return head + "." if len(head.split()) >= 6 and "," in sentence else sentence


def _squad_articles(rng: random.Random) -> Iterator[tuple[dict, str, str]]:
    """SQuAD 1.1's training articles in ``rng``'s order, each with its title and its split."""
    data = json.loads((DATA / "squad11-train" / "train-v1.1.json").read_text(encoding="utf-8"))["data"]
    rng.shuffle(data)
    for article in data:
        yield article, article["title"].replace("_", " "), split_of(f"squad11:{article['title']}")


def swapped_pairs(limit: int, rng: random.Random) -> list[dict]:
    out: list[dict] = []
    for article, title, split in _squad_articles(rng):
        names = sorted({n.group() for p in article["paragraphs"][:20] for n in _NAME.finditer(p["context"])})
        for para in article["paragraphs"][:12]:
            sentences = [s for s in _SENTENCE.split(para["context"]) if 40 <= len(s) <= 300]
            for i, s in enumerate(sentences):
                prev = sentences[i - 1] if i else ""
                evidence = pair_text(s, prev, title)
                changed = swaps(s, names, rng)
                if not changed:
                    continue
                group = f"{title}#{len(out)}"
                claim = rng.choice(changed)
                out.append(_pair(claim, evidence, 1, "swaps", group, split))
                out.append(_pair(shortened(s) if rng.random() < 0.5 else s, evidence, 0, "swaps", group, split))
                other = [x for j, x in enumerate(sentences) if j != i]
                if other:
                    out.append(_pair(rng.choice(other), evidence, 2, "swaps", group, split))
        if len(out) >= limit:
            break
    return out


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+|\d[\d,.]*")


def _substance(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in STOPWORDS}


def near_pairs(limit: int, rng: random.Random) -> list[dict]:
    """Neither pairs whose claim is close to the evidence in names and words, not in fact."""
    out: list[dict] = []
    for article, title, split in _squad_articles(rng):
        rows = []  # (paragraph, sentence, sentence before)
        for k, para in enumerate(article["paragraphs"][:30]):
            sentences = _SENTENCE.split(para["context"])
            rows += [(k, s, sentences[i - 1] if i else "") for i, s in enumerate(sentences) if 40 <= len(s) <= 300]
        words = [_substance(s) for _, s, _ in rows]
        names = [{n.group() for n in _NAME.finditer(" " + s)} for _, s, _ in rows]
        for i in rng.sample(range(len(rows)), min(len(rows), 20)):
            paragraph, sentence, before = rows[i]
            seen = words[i] | _substance(before) | _substance(title)
            best, best_score = -1, 0
            for j in range(len(rows)):
                if rows[j][0] == paragraph or not names[i] & names[j] or len(words[j] - seen) < 3:
                    continue
                score = len(words[i] & words[j]) + 2 * len(names[i] & names[j])
                if score > best_score:
                    best, best_score = j, score
            if best < 0 or best_score < 4:
                continue
            claim = rows[best][1]
            claim = shortened(claim) if rng.random() < 0.5 else claim
            out.append(_pair(claim, pair_text(sentence, before, title), 2, "near", f"{title}~{len(out)}", split))
        if len(out) >= limit:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--swaps", type=int, default=9000, help="pairs made from SQuAD 1.1 sentences")
    parser.add_argument("--near", type=int, default=8000, help="near-miss neither pairs from SQuAD 1.1")
    args = parser.parse_args()
    rng = random.Random(SEED)
    pairs = vitaminc() + fever_symmetric() + snli_counterfactual() + mnli() + swapped_pairs(args.swaps, rng)
    pairs += near_pairs(args.near, rng)
    args.out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid", "test"):
        part = [p for p in pairs if p["split"] == split]
        rng.shuffle(part)
        with (args.out / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for p in part:
                f.write(json.dumps(p, ensure_ascii=False) + "\n")
        counts = {s: sum(p["source"] == s for p in part) for s in sorted({p["source"] for p in part})}
        print(f"{split}: {len(part)} pairs {counts}")


if __name__ == "__main__":
    main()
