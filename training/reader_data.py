"""Build the reader's training and validation data from ``../shared/data``.

Every question becomes a group: the candidate sentences our own hybrid retrieval finds for
it (the hard negatives the reader meets in use), each labelled by whether it holds a gold
answer span. SQuAD 2.0 unanswerable questions keep their candidates, all negative: they
teach the reader when no sentence answers.

Sources (each split by article, never by question):

- ``squad2-train``: 19 Wikipedia articles, half of the questions unanswerable (CC BY-SA 4.0).
- ``squadshifts``: new Wikipedia, Reddit, Amazon reviews, all answerable (CC BY 4.0).
- ``selqa``: answer sentence selection over Wikipedia sections; candidates as given (Apache-2.0).

``squad2-dev`` is never read here: it is kept out for the held-out figures.

    .venv/bin/python training/reader_data.py --out training/build

Any further SQuAD 1.1 or 2.0 file (SQuAD 2.0's training set, for one) becomes a further
stage's data with ``--squad-json FILE --out FOLDER``; articles of squad2-dev and
squad2-train in it are left out.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

SEED = 13
CANDIDATES = 24  # the reader re-scores this many of the retrieval's best candidates
# validation articles: model selection and the answerability threshold, never training
VALIDATION_SQUAD = ("Geology.txt", "Jacksonville,_Florida.txt", "Black_Death.txt", "Victoria_(Australia).txt")
VALIDATION_SHARE = 0.12  # of squadshifts articles


def squad2_train() -> tuple[Path, list[dict]]:
    folder = DATA / "squad2-train"
    questions = load_jsonl(folder / "questions.jsonl")
    return folder / "docs", questions


def squadshifts(work: Path, per_part: int, rng: random.Random) -> tuple[Path, list[dict]]:
    """SQuADShifts as documents in the squad2 layout (title, blank line, paragraphs), with
    answer offsets moved into them. Reddit posts (one 'article') are grouped ten to a document."""
    docs = work / "squadshifts-docs"
    docs.mkdir(parents=True, exist_ok=True)
    questions: list[dict] = []
    for part in ("new_wiki", "reddit", "amazon_reviews"):
        data = json.loads((DATA / "squadshifts" / f"{part}_v1.0.json").read_text(encoding="utf-8"))["data"]
        questions += squad_documents(data, part, docs, rng, per_part)
    return docs, questions


def squad_documents(
    data: list[dict],
    part: str,
    docs: Path,
    rng: random.Random,
    limit: int = 0,
    skip: frozenset[str] = frozenset(),
    after: tuple[int, ...] = (),
) -> list[dict]:
    """The articles of a SQuAD 1.1 or 2.0 file's ``data`` as documents in ``docs``, in the
    squad2 layout, ten paragraphs at most to a document (``{part}__{title}.txt``), in an order
    shuffled with ``rng``; returns their questions with answer offsets moved into the documents.

    SQuAD 2.0's unanswerable questions (``is_impossible``) are kept, marked not answerable:
    they teach "no answer". An answer whose offset does not match its text is dropped, and a
    question left without one with it. ``limit`` stops after the article in which that many
    answerable questions are reached (0: every article), counting only after the articles
    the earlier builds took (the same shuffle), which are left out: a later stage's data.
    ``after`` holds those builds' limits in their order: ``(24000,)`` leaves out what a build
    with ``limit=24000`` took, ``(24000, 12000)`` also what the build after it took with
    ``limit=12000``. Articles whose title is in ``skip`` are left out."""
    articles = []
    for art in data:
        if art["title"] in skip:
            continue
        paras = art["paragraphs"]
        for n in range(0, len(paras), 10):
            articles.append((f"{art['title']}_{n // 10}" if len(paras) > 10 else art["title"], paras[n : n + 10]))
    rng.shuffle(articles)
    for earlier in after:
        articles = articles[_taken_by(articles, earlier) :]
    questions: list[dict] = []
    taken = 0
    for title, paras in articles:
        if limit and taken >= limit:
            break
        name = f"{part}__{_safe(title)}.txt"
        text = title.replace("_", " ") + "\n\n"
        for para in paras:
            base = len(text)
            context = para["context"]
            for qa in para["qas"]:
                if qa.get("is_impossible"):
                    questions.append(_question(qa, name, []))
                    continue
                answers = [
                    {
                        "text": a["text"],
                        "start": base + a["answer_start"],
                        "end": base + a["answer_start"] + len(a["text"]),
                    }
                    for a in qa["answers"]
                    if context[a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
                ]
                if answers:
                    questions.append(_question(qa, name, answers))
                    taken += 1
            text += context + "\n\n"
        (docs / name).write_text(text, encoding="utf-8")
    return questions


def _taken_by(articles: list[tuple[str, list[dict]]], limit: int) -> int:
    """How many of the shuffled ``articles`` a build with ``limit`` answerable questions took."""
    taken = 0
    for n, (_title, paras) in enumerate(articles):
        if taken >= limit:
            return n
        taken += sum(
            1
            for para in paras
            for qa in para["qas"]
            if not qa.get("is_impossible")
            and any(
                para["context"][a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
                for a in qa["answers"]
            )
        )
    return len(articles)


def _question(qa: dict, doc: str, answers: list[dict]) -> dict:
    return {"id": qa["id"], "question": qa["question"], "doc": doc, "answerable": bool(answers), "answers": answers}


def kept_out_titles() -> frozenset[str]:
    """Titles of the SQuAD articles a new SQuAD-format file must not bring into training:
    squad2-dev's (the held-out figures) and squad2-train's (its validation articles choose the
    thresholds; the others have been read)."""
    return frozenset(p.stem for name in ("squad2-dev", "squad2-train") for p in (DATA / name / "docs").glob("*.txt"))


def _safe(title: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in title)[:80]


def retrieval_groups(docs: Path, questions: list[dict], index_dir: Path, source: str) -> list[dict]:
    """Each question's top candidates from our own retrieval, labelled."""
    from assistant import Assistant, Config
    from assistant.language.question import analyze

    assistant = Assistant.open(Config(docs_dir=docs, index_dir=index_dir))
    searcher = assistant._state.searcher
    titles = {doc_id: doc.title for doc_id, doc in searcher.view.data.documents.items()}
    groups = []
    for n, q in enumerate(questions):
        ranked = searcher.rank(analyze(q["question"]), limit=CANDIDATES)
        spans = [(a["start"], a["end"]) for a in q["answers"]]
        cands = []
        for rank, s in enumerate(ranked):
            row = searcher.view.row_of_id[s.sentence.id]
            prev = (
                searcher.view.rows[row - 1].text
                if row > 0 and searcher.view.rows[row - 1].doc_id == s.sentence.doc_id
                else ""
            )
            inside = [
                (a, b)
                for a, b in spans
                if s.sentence.doc_id == q["doc"] and s.sentence.start <= a and b <= s.sentence.end
            ]
            label = bool(inside)
            # the shortest gold answer inside the sentence, in the sentence's own offsets: the span target
            answer = min(inside, key=lambda ab: ab[1] - ab[0]) if inside else None
            cands.append(
                {
                    "text": s.sentence.text,
                    "prev": prev,
                    "title": titles[s.sentence.doc_id],
                    "label": int(label),
                    "rank": rank,
                    "score": round(s.score, 4),
                    "answer": [answer[0] - s.sentence.start, answer[1] - s.sentence.start] if answer else None,
                }
            )
        groups.append(
            {
                "source": source,
                "article": q["doc"],
                "question": q["question"],
                "answerable": bool(q["answerable"]),
                "candidates": cands,
            }
        )
        if n % 500 == 0:
            print(f"{source}: {n}/{len(questions)}", flush=True)
    return groups


def selqa_groups() -> list[dict]:
    groups = []
    for split in ("dev", "test"):
        for q in json.loads((DATA / "selqa" / f"ass_selqa-ass-{split}.json").read_text(encoding="utf-8")):
            cands = [
                {
                    "text": text,
                    "prev": q["candidates"][i - 1] if i else "",
                    "title": q["article"],
                    "label": int(i in q["answers"]),
                    "rank": i,
                    "score": 0.0,
                    "answer": None,  # SelQA marks whole sentences, not answer words
                }
                for i, text in enumerate(q["candidates"])
            ]
            groups.append(
                {
                    "source": "selqa",
                    "article": f"{q['article']}#{q['section']}",
                    "question": q["question"],
                    "answerable": True,
                    "candidates": cands,
                }
            )
    return groups


def split(groups: list[dict], rng: random.Random) -> tuple[list[dict], list[dict]]:
    """By article: the validation articles' questions go to validation, every one of them."""
    held = held_out({g["article"] for g in groups if g["source"] != "squad2-train"}, rng)
    train = [g for g in groups if g["article"] not in held]
    valid = [g for g in groups if g["article"] in held]
    return train, valid


def held_out(articles: set[str], rng: random.Random) -> set[str]:
    """The validation articles: ``VALIDATION_SHARE`` of ``articles`` (SQuADShifts and SelQA),
    drawn with ``rng``, and the squad2-train ones of ``VALIDATION_SQUAD``."""
    ordered = sorted(articles)
    rng.shuffle(ordered)
    return set(ordered[: int(len(ordered) * VALIDATION_SHARE)]) | set(VALIDATION_SQUAD)


def shifts_validation(work: Path, per_part: int = 2200) -> tuple[Path, list[dict]]:
    """The SQuADShifts validation articles of ``main``'s split as documents in ``work``,
    with their questions: the same seed draws the same articles, without any retrieval."""
    rng = random.Random(SEED)
    docs, questions = squadshifts(work, per_part, rng)
    selqa = {g["article"] for g in selqa_groups()}
    held = held_out({q["doc"] for q in questions} | selqa, rng)
    for path in docs.iterdir():
        if path.name not in held:
            path.unlink()
    return docs, [q for q in questions if q["doc"] in held]


SECOND_STAGE_SELQA = 1000  # SelQA questions a second stage keeps from the first's training groups


def second_stage(groups: list[dict], first: Path) -> list[dict]:
    """Training groups for a second stage after the build in ``first``: the SQuADShifts
    questions of articles the first stage never read (neither its training nor its
    validation articles, which stay the validation), then the first stage's squad2-train
    training groups (the unanswerable questions that teach "no answer") and
    ``SECOND_STAGE_SELQA`` of its SelQA ones."""
    old_train = load_jsonl(first / "train.jsonl")
    seen = {g["article"] for g in old_train} | {g["article"] for g in load_jsonl(first / "valid.jsonl")}
    fresh = [g for g in groups if g["source"] == "squadshifts" and g["article"] not in seen]
    squad = [g for g in old_train if g["source"] == "squad2-train"]
    selqa = [g for g in old_train if g["source"] == "selqa"]
    return fresh + squad + random.Random(SEED + 4).sample(selqa, min(SECOND_STAGE_SELQA, len(selqa)))


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "training" / "build")
    parser.add_argument("--shifts-per-part", type=int, default=2200, help="SQuADShifts questions taken per part")
    parser.add_argument(
        "--second-stage-of",
        type=Path,
        help="write only train.jsonl for a second stage after this build (see second_stage); "
        "use with a larger --shifts-per-part",
    )
    parser.add_argument(
        "--squad-json",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="write only train.jsonl: every question of these SQuAD 1.1 or 2.0 files (squad2-dev's and "
        "squad2-train's articles left out) as groups of our retrieval's candidates, for a further stage "
        "(train_reader.py --init CHECKPOINT --data OUT)",
    )
    parser.add_argument(
        "--squad-limit",
        type=int,
        default=0,
        help="with --squad-json: stop after the article in which this many answerable questions are reached, "
        "articles in a seeded shuffle (0: all); a stage sized to a session's hours",
    )
    parser.add_argument(
        "--squad-after",
        type=int,
        nargs="+",
        default=[],
        metavar="LIMIT",
        help="with --squad-json: leave out the articles the earlier builds took, given by their --squad-limit "
        "in order (the next stage's data): 24000 after a build with --squad-limit 24000, 24000 12000 after "
        "that build and the one with --squad-after 24000 --squad-limit 12000",
    )
    args = parser.parse_args()
    rng = random.Random(SEED)
    np.random.seed(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.squad_json:
        write_groups(
            args.out / "train.jsonl",
            squad_json_groups(args.squad_json, rng, parser, args.squad_limit, tuple(args.squad_after)),
        )
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs, questions = squad2_train()
        groups = retrieval_groups(docs, questions, work / "idx-squad", "squad2-train")
        docs, questions = squadshifts(work, args.shifts_per_part, rng)
        groups += retrieval_groups(docs, questions, work / "idx-shifts", "squadshifts")
    groups += selqa_groups()
    train, valid = split(groups, rng)
    parts = (("train", train), ("valid", valid))
    if args.second_stage_of:
        parts = (("train", second_stage(train + valid, args.second_stage_of)),)
    for name, part in parts:
        write_groups(args.out / f"{name}.jsonl", part)


def squad_json_groups(
    paths: list[Path],
    rng: random.Random,
    parser: argparse.ArgumentParser,
    limit: int = 0,
    after: tuple[int, ...] = (),
) -> list[dict]:
    """The groups of every question of the SQuAD-format files at ``paths`` (see ``squad_documents``)."""
    skip = kept_out_titles()
    groups: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(paths):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))["data"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                parser.error(f"{path}: not a readable SQuAD-format file ({type(e).__name__}: {e})")
            docs = Path(tmp) / f"docs-{n}"
            docs.mkdir()
            questions = squad_documents(data, path.stem, docs, rng, limit=limit, skip=skip, after=after)
            groups += retrieval_groups(docs, questions, Path(tmp) / f"idx-{n}", path.stem)
    return groups


def write_groups(path: Path, groups: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for g in groups:
            f.write(json.dumps(g, ensure_ascii=False) + "\n")
    found = [g for g in groups if g["answerable"] and any(c["label"] for c in g["candidates"])]
    print(f"{path.stem}: {len(groups)} questions, answerable with a positive candidate: {len(found)}")


if __name__ == "__main__":
    main()
