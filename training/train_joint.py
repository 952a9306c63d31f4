"""Train a joint reader: SQuAD 2.0's span reader over the product's best candidates read
together.

The sentence reader (``train_reader.py``) reads each candidate alone. This one reads the
question with the reader's first three candidates in one input, ``[CLS] question [SEP]
s1 [SEP] s2 [SEP] s3 [SEP]``, and points at the answer words' first and last token, or at
``[CLS]`` when none of the three holds the answer (SQuAD 2.0's null answer). The sentence
holding its best answer words would lead the answer; its best words' score against the
null one would say whether any of the three answers. It starts from the sentence reader's
weights (``--init``), whose span head already finds answer words inside one sentence.

Its data are the sentence reader's training groups (``reader_data.py``), each cut to the
three candidates the shipped reader puts first among retrieval's first 8 (``--prepare``):
the question, the sentences, and per sentence its label and answer words.

    .venv/bin/python training/train_joint.py --prepare training/build5/train.jsonl \
        --data training/joint/train.jsonl                                    # ~6 min
    nohup nice .venv/bin/python training/train_joint.py --init training/build5/checkpoint.pt \
        --data training/joint/train.jsonl --out training/joint > training/joint/train.log &
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader_data import load_jsonl  # noqa: E402
from train_reader import Run, batched  # noqa: E402

from assistant.search.reader_input import TOKENIZER, encode_pairs, span_targets  # noqa: E402

MAX_TOKENS = 192
PREPARE_SEED = 7  # the SQuADShifts groups kept and the order of all
JOIN = " [SEP] "


def joint_tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
    return tokenizer


def joined(sents: list[str]) -> tuple[str, list[int]]:
    """The sentences as one text, and where each starts in it."""
    starts, at = [], 0
    for s in sents:
        starts.append(at)
        at += len(s) + len(JOIN)
    return JOIN.join(sents), starts


def target(encoding, text_starts: list[int], text_chars: int, group: dict) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """The answer words' first and last token in the first answering sentence; (0, 0), the
    null answer, when none of the sentences answers; None when the words were cut off or
    an answering sentence has no marked words (nothing to learn from)."""
    for start, label, answer in zip(text_starts, group["labels"], group["answers"], strict=True):
        if not label:
            continue
        if not answer:
            return None
        first, last = span_targets(encoding, text_chars, start + answer[0], start + answer[1])
        return None if first < 0 else (first, last)
    return 0, 0


def prepare(source: Path, out: Path, shifts: int) -> None:
    """Every SQuAD 2.0 and SelQA group of ``source`` and ``shifts`` SQuADShifts ones, each
    cut to the shipped reader's first three candidates (its logit plus a quarter of
    retrieval's score below its best, over retrieval's first 8, as the product ranks)."""
    import json

    from assistant.search.reader import Reader

    reader = Reader.load()
    mix = reader.spec.mix
    rng = random.Random(PREPARE_SEED)
    groups = load_jsonl(source)
    shifted = [g for g in groups if g["source"] == "squadshifts"]
    rng.shuffle(shifted)
    chosen = [g for g in groups if g["source"] != "squadshifts"] + shifted[:shifts]
    rng.shuffle(chosen)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for i, g in enumerate(chosen):
            cands = sorted(g["candidates"], key=lambda c: c["rank"])[:8]
            logits = reader.logits(g["question"], [(c["text"], c["prev"], c["title"]) for c in cands])
            retrieval = np.array([c["score"] for c in cands])
            top = np.argsort(-(logits + mix * (retrieval - retrieval.max())))[:3]
            row = {k: g[k] for k in ("question", "source", "article", "answerable")}
            row |= {"sents": [cands[j]["text"] for j in top], "labels": [cands[j]["label"] for j in top]}
            row["answers"] = [cands[j]["answer"] for j in top]
            f.write(json.dumps(row) + "\n")
            if i % 1000 == 0:
                print(f"{i}/{len(chosen)}", flush=True)


def train(args: argparse.Namespace) -> None:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    groups = [g for g in load_jsonl(args.data) if g["source"] != "selqa"]
    rng.shuffle(groups)
    batches, total = batched(groups, args)
    tokenizer = joint_tokenizer()
    run = Run(args, total, rng, "inputs")
    while run.step < total:
        items = []
        for g in batches[run.step % len(batches)]:
            order = list(range(len(g["sents"])))
            if rng.random() < args.shuffle:  # the content must decide, not the position
                rng.shuffle(order)
            h = {k: [g[k][i] for i in order] for k in ("sents", "labels", "answers")}
            items.append((g["question"], *joined(h["sents"]), h))
        ids, mask, types, encodings = encode_pairs(tokenizer, [q for q, *_ in items], [t for _, t, *_ in items])
        targets = [target(e, s, len(t), h) for e, (_, t, s, h) in zip(encodings, items, strict=True)]
        keep = [i for i, t in enumerate(targets) if t is not None]
        if not keep:
            run.step += 1
            continue
        tensors = (torch.from_numpy(x[keep]) for x in (ids, mask, types))
        _, starts, ends = run.model(*tensors)
        y = torch.tensor([targets[i] for i in keep])
        run.update(F.cross_entropy(starts, y[:, 0]) + F.cross_entropy(ends, y[:, 1]), len(keep))
    run.done()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the joint groups (JSONL)")
    parser.add_argument("--out", type=Path, help="folder of the checkpoint")
    parser.add_argument("--prepare", type=Path, help="write --data from this reader_data.py train.jsonl and stop")
    parser.add_argument("--shifts", type=int, default=8000, help="with --prepare: SQuADShifts groups kept")
    parser.add_argument("--init", type=Path)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--shuffle", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--save-every", type=int, default=200)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.data, args.shifts)
    elif args.out:
        train(args)
    else:
        parser.error("--out is required for training")


if __name__ == "__main__":
    main()
