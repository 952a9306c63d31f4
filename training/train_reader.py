"""Train the evidence reader: a cross-encoder over (question, candidate sentence in context).

Starts from the packaged all-MiniLM-L6-v2 weights (6-layer BERT) with a fresh linear head on
the [CLS] state. Each question is one group of candidates from our own retrieval (see
``reader_data.py``); the loss is pointwise (binary cross-entropy: does this sentence hold
the answer?) plus listwise with a "no answer" option (softmax over the group's logits and a
fixed null logit of 0): answerable questions put their mass on the answering sentences,
unanswerable ones on the null option. One model thus ranks evidence and says whether any
sentence answers.

Runs on CPU with a fixed seed, checkpointing every ``--save-every`` steps; a killed run
resumes from its checkpoint. ``--export`` writes the ONNX file, dynamically quantised to
int8, that the product ships (``assistant/data/reader.onnx``).

    .venv/bin/python training/reader_data.py --out training/build
    nohup nice .venv/bin/python training/train_reader.py --out training/build > training/build/train.log &
    .venv/bin/python training/train_reader.py --out training/build --export assistant/data/reader.onnx
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader_data import load_jsonl  # noqa: E402

from assistant.search.reader_input import encode_pairs, load_tokenizer, pair_text, span_targets  # noqa: E402

SEED = 13
# checkpoints live outside the repository, where a killed run finds them again
CACHE = Path.home() / ".cache" / "news-assistant" / "training"
GROUP = 8  # candidates per question in a training step
MAX_POSITIVES = 2


def sample_group(group: dict, rng: random.Random, drop_gold: float = 0.0) -> tuple[list[dict], bool] | None:
    """Up to ``MAX_POSITIVES`` answering candidates and the retrieval's hardest negatives,
    one of them drawn from further down, and whether the question is answered among them.

    With ``drop_gold`` > 0, that share of answerable questions loses its answering
    candidates, and a question whose answer retrieval missed keeps its negatives: both
    teach the null option that none of what is read answers (what the product meets when
    the sources are silent). Without it, such a question is None (nothing to learn)."""
    cands = group["candidates"]
    pos = [c for c in cands if c["label"]]
    neg = [c for c in cands if not c["label"]]
    answerable = bool(group["answerable"])
    if answerable and (not pos or (drop_gold and rng.random() < drop_gold)):
        if not drop_gold:
            return None
        pos, answerable = [], False
    rng.shuffle(pos)
    pos = pos[:MAX_POSITIVES]
    room = GROUP - len(pos)
    hard = neg[: room - 1] if len(neg) > room else neg
    rest = neg[len(hard) :]
    if rest:
        hard = [*hard, rng.choice(rest)]
    chosen = pos + hard
    rng.shuffle(chosen)
    return chosen, answerable


_LEAD = re.compile(r"(?:\b(?:on|in|at|of|by|from|to|for|with|about|the|a|an)\s+)?$", re.IGNORECASE)


def remove_answer(c: dict) -> dict | None:
    """The answering candidate with its answer words cut out (and a preposition or article
    just before them): a sentence on the question's topic that no longer answers it, what
    the product meets when the sources talk about something but not the thing asked.
    None when the answer's words would remain."""
    start, end = c["answer"]
    text, answer = c["text"], c["text"][start:end]
    head = _LEAD.sub("", text[:start]).rstrip()
    tail = text[end:].lstrip()
    cut = f"{head}{tail}" if tail[:1] in ",.;:!?)" else f"{head} {tail}".strip()
    if not answer.strip() or answer.lower() in cut.lower() or len(cut) < 20:
        return None
    return {**c, "text": cut, "label": 0, "answer": None}


_NAME = re.compile(r"\b(?:[A-Z][\w'’.-]*|\d[\d,.]*)(?:\s+(?:[A-Z][\w'’.-]*|\d[\d,.]*))*")


def names_of(question: str) -> list[str]:
    """Capitalised or numeric runs of a question, past its first word."""
    _, _, rest = question.partition(" ")
    return _NAME.findall(rest)


def swap_name(group: dict, chosen: list[dict], pool: list[str], rng: random.Random) -> str | None:
    """The question with a name (or number) that its answering sentences hold replaced by
    one from another question that no candidate holds: SQuAD 2.0's way of making a
    question no sentence answers, e.g. "What did Trump tell NHK?" over an interview with Lee."""
    answering = " ".join(c["text"] for c in chosen if c["label"])
    everything = " ".join(c["text"] + " " + c["title"] for c in chosen).lower()
    names = [n for n in names_of(group["question"]) if n in answering]
    if not names or not pool:
        return None
    name = rng.choice(names)
    for _ in range(10):
        other = rng.choice(pool)
        if other.lower() not in everything and other[0].isdigit() == name[0].isdigit():
            return group["question"].replace(name, other, 1)
    return None


def foreign_group(group: dict, groups: list[dict], rng: random.Random) -> list[dict]:
    """The question asked of a collection that does not hold its article: the candidates of
    another question's group from another article (their best ``GROUP``, all labelled as
    not answering). What the product meets most often when the sources are silent."""
    for _ in range(20):
        other = rng.choice(groups)
        if other["article"] != group["article"] and other["candidates"]:
            return [{**c, "label": 0, "answer": None} for c in other["candidates"][:GROUP]]
    return []


def build_model(model_dir: str):  # type: ignore[no-untyped-def]
    import torch
    from transformers import AutoModel

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(model_dir, attn_implementation="eager", local_files_only=True)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
            self.span = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            states = out.last_hidden_state
            ends = self.span(states).masked_fill((attention_mask == 0).unsqueeze(-1), -1e4)
            return self.head(states[:, 0]).squeeze(-1), ends[..., 0], ends[..., 1]

    return Reader()


def packaged_model():  # type: ignore[no-untyped-def]
    """``build_model`` over the packaged all-MiniLM-L6-v2."""
    from assistant.index.embed import default_model_path

    return build_model(str(Path(default_model_path())))


def tensors(tokenizer, questions: list[str], texts: list[str]):  # type: ignore[no-untyped-def]
    import torch

    ids, mask, types, encodings = encode_pairs(tokenizer, questions, texts)
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types), encodings


def loss_of(outputs, labels, sizes, answerable, spans):  # type: ignore[no-untyped-def]
    """Pointwise + listwise (with a null option) on the sentence logits, plus the answer
    words' start and end over the answering sentences' tokens."""
    import torch
    import torch.nn.functional as F

    logits, starts, ends = outputs
    span_loss = logits.new_zeros(())
    if (spans[:, 0] >= 0).any():
        span_loss = F.cross_entropy(starts, spans[:, 0], ignore_index=-100) + F.cross_entropy(
            ends, spans[:, 1], ignore_index=-100
        )
    pointwise = F.binary_cross_entropy_with_logits(logits, labels)
    listwise = []
    at = 0
    for size, has in zip(sizes, answerable, strict=True):
        z = torch.cat([logits[at : at + size], logits.new_zeros(1)])  # the null option's logit is 0
        y = labels[at : at + size]
        total = torch.logsumexp(z, 0)
        if has and y.sum() > 0:
            listwise.append(total - torch.logsumexp(z[:-1][y > 0], 0))
        else:
            listwise.append(total)  # -log p(null)
        at += size
    return pointwise + torch.stack(listwise).mean() + 0.5 * span_loss


def batched(groups: list, args: argparse.Namespace) -> tuple[list[list], int]:
    """``groups`` in batches of ``args.batch``, and the steps of ``args.epochs`` passes."""
    batches = [groups[i : i + args.batch] for i in range(0, len(groups), args.batch)]
    return batches, len(batches) * args.epochs


class Run:
    """What a recipe's training loop shares: AdamW over all but the word embeddings (a third
    of the weights, and the slowest to update), linear warm-up over the first 5% of
    ``total`` steps and linear decay, a start from ``args.init``'s weights (a later stage:
    a new schedule) or a resumption from ``args.out``'s checkpoint, a log line every
    ``args.log_every`` steps and the checkpoint every ``args.save_every``. The model is the
    packaged all-MiniLM-L6-v2 with the reader's heads (``build_model``)."""

    def __init__(self, args: argparse.Namespace, total: int, rng: random.Random, unit: str) -> None:
        import torch

        self.model = model = packaged_model()
        self.args, self.total, self.rng, self.unit = args, total, rng, unit
        model.to(args.device)
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optim = torch.optim.AdamW(self.params, lr=args.lr, weight_decay=0.01)
        warmup = max(1, total // 20)
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.optim, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup))
        )
        args.out.mkdir(parents=True, exist_ok=True)
        self.ckpt = args.out / "checkpoint.pt"
        self.step = 0
        if args.init and not self.ckpt.exists():
            if args.init.suffix == ".onnx":  # the shipped weights, when their checkpoint is gone
                from onnx_weights import load_onnx_weights

                load_onnx_weights(model, args.init)
            else:
                model.load_state_dict(torch.load(args.init, weights_only=False, map_location="cpu")["model"])
            print(f"starting from the weights of {args.init}", flush=True)
        model.to(args.device)
        if self.ckpt.exists():
            state = torch.load(self.ckpt, weights_only=False, map_location=args.device)
            model.load_state_dict(state["model"])
            self.optim.load_state_dict(state["optim"])
            self.sched.load_state_dict(state["sched"])
            self.step = state["step"]
            rng.setstate(state["rng"])
            print(f"resumed at step {self.step}/{total}", flush=True)
        model.train()
        self.started, self.seen, self.running = time.time(), 0, []  # type: ignore[var-annotated]

    def update(self, loss, inputs: int) -> None:  # type: ignore[no-untyped-def]
        """One optimiser step on ``loss`` over ``inputs`` inputs; logs and saves when due."""
        import torch

        self.optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optim.step()
        self.sched.step()
        self.step += 1
        self.seen += inputs
        self.running.append(loss.item())
        every, minutes = self.args.log_every, (time.time() - self.started) / 60
        if self.step % every == 0:
            print(
                f"step {self.step}/{self.total} loss {np.mean(self.running[-every:]):.4f} "
                f"{self.seen / (minutes * 60):.1f} {self.unit}/s lr {self.sched.get_last_lr()[0]:.2e} "
                f"elapsed {minutes:.1f} min",
                flush=True,
            )
        if self.step % self.args.save_every == 0 or self.step == self.total:
            state = {
                "model": self.model.state_dict(),
                "optim": self.optim.state_dict(),
                "sched": self.sched.state_dict(),
                "step": self.step,
                "rng": self.rng.getstate(),
            }
            torch.save(state, self.args.out / "checkpoint.tmp")
            (self.args.out / "checkpoint.tmp").replace(self.ckpt)

    def done(self) -> None:
        print(f"done: {self.step} steps, {(time.time() - self.started) / 60:.1f} min this run", flush=True)


def train(args: argparse.Namespace) -> None:
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    groups = [g for folder in (args.data or [args.out]) for g in load_jsonl(folder / "train.jsonl")]
    pool = sorted({n for g in groups for n in names_of(g["question"])})
    for seed, n in args.after or ():  # what earlier stages did not read: each one's shuffle, its first N dropped
        random.Random(seed).shuffle(groups)
        groups = groups[n:]
    if args.replay:  # a seeded draw of groups read before, so a stage of new data keeps what they taught
        folder, n = args.replay
        old = load_jsonl(Path(folder) / "train.jsonl")
        groups += random.Random(args.seed + 1).sample(old, min(int(n), len(old)))
    rng.shuffle(groups)
    if args.max_questions:
        groups = groups[: args.max_questions]
    batches, total = batched(groups, args)
    tokenizer = load_tokenizer()
    run = Run(args, total, rng, "pairs")
    model = run.model
    while run.step < total:
        batch = batches[run.step % len(batches)]
        questions, texts, labels, sizes, answerable, answers = [], [], [], [], [], []
        for g in batch:
            if args.foreign and g["answerable"] and rng.random() < args.foreign:
                chosen, has_answer = foreign_group(g, groups, rng), False
            else:
                sampled = sample_group(g, rng, args.drop_gold)
                if not sampled or not sampled[0]:
                    continue
                chosen, has_answer = sampled
            question = g["question"]
            spans = has_answer and all(c.get("answer") for c in chosen if c["label"])
            draw = rng.random()
            if spans and draw < args.remove_answer:
                cut = [remove_answer(c) if c["label"] else c for c in chosen]
                answers_left = " ".join(c["text"] for c in chosen if not c["label"]).lower()
                words = {c["text"][slice(*c["answer"])].lower() for c in chosen if c["label"]}
                if all(cut) and not any(w in answers_left for w in words):
                    chosen, has_answer = cut, False  # type: ignore[assignment]
            elif spans and draw < args.remove_answer + args.swap_name:
                swapped = swap_name(g, chosen, pool, rng)
                if swapped:
                    question, has_answer = swapped, False
                    chosen = [{**c, "label": 0, "answer": None} for c in chosen]
            for c in chosen:
                questions.append(question)
                texts.append(pair_text(c["text"], c["prev"], c["title"]))
                labels.append(float(c["label"]))
                answers.append((len(c["text"]), c.get("answer")))
            sizes.append(len(chosen))
            answerable.append(has_answer)
        if not sizes:
            run.step += 1
            continue
        ids, mask, types, encodings = (
            t.to(args.device) if hasattr(t, "to") else t for t in tensors(tokenizer, questions, texts)
        )
        # with --span-null a sentence that does not answer points its answer words at [CLS];
        # an answering one without marked words (SelQA) trains no span
        none = (0, 0) if args.span_null else (-100, -100)
        spans = torch.tensor(
            [
                span_targets(e, n, *a) if a else none if not y else (-100, -100)
                for e, (n, a), y in zip(encodings, answers, labels, strict=True)
            ]
        )
        outputs = model(ids, mask, types)
        loss = loss_of(outputs, torch.tensor(labels, device=args.device), sizes, answerable, spans.to(args.device))
        run.update(loss, len(questions))
    run.done()


def export(args: argparse.Namespace) -> None:
    """The checkpoint's model as ONNX, int8-quantised, with its logits checked against torch."""
    import shutil
    import tempfile
    import warnings

    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = packaged_model()
    model.load_state_dict(torch.load(args.out / "checkpoint.pt", weights_only=False, map_location="cpu")["model"])
    model.eval()
    tokenizer = load_tokenizer()
    probe_q = ["Who removed Yoon from office?", "What did the leaders eat at dinner?"]
    probe_t = [
        pair_text("The Constitutional Court removed Yoon from office in April.", "", "Korea"),
        pair_text("Mr Lee and Ms Takaichi will have dinner on Jan 13.", "They met in Nara.", "Summit"),
    ]
    ids, mask, types, _ = tensors(tokenizer, probe_q, probe_t)
    with torch.no_grad():
        expected = model(ids, mask, types)[0].numpy()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "reader.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (ids, mask, types),
                str(raw),
                input_names=names,
                output_names=["logits", "start_logits", "end_logits"],
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "start_logits", "end_logits"]}
                | {"logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        if args.fp32:
            shutil.copy(raw, args.export)
        else:
            quantize_dynamic(str(raw), str(args.export), weight_type=QuantType.QInt8, per_channel=args.per_channel)
    session = ort.InferenceSession(str(args.export), providers=["CPUExecutionProvider"])
    got = session.run(
        None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
    )[0]
    print("torch logits", expected.round(3), "onnx int8 logits", got.round(3))
    size = args.export.stat().st_size / 1e6
    print(f"wrote {args.export} ({size:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=CACHE / "build", help=f"checkpoint and log folder (default {CACHE}/build)"
    )
    parser.add_argument("--data", type=Path, nargs="+", help="folders of train.jsonl, read together (default: --out)")
    parser.add_argument(
        "--init",
        type=Path,
        help="start from these weights (a further stage): a checkpoint.pt, or an ONNX file such as the shipped "
        "assistant/data/reader.onnx (dequantised); ignored once --out holds a checkpoint, which is resumed",
    )
    parser.add_argument("--device", default="cpu", help="torch device: cpu, or cuda where a GPU is available")
    parser.add_argument(
        "--foreign",
        type=float,
        default=0.0,
        help="share of answerable questions trained as unanswerable over another article's candidates (the "
        "question asked of a collection that does not hold its article)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="torch seed and the questions' shuffle")
    parser.add_argument("--batch", type=int, default=4, help="questions per step")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-questions", type=int, default=0, help="train on the first N shuffled questions only")
    parser.add_argument(
        "--drop-gold",
        type=float,
        default=0.0,
        help="share of answerable questions trained as unanswerable, their answering candidates left out "
        "(and retrieval's misses kept as unanswerable)",
    )
    parser.add_argument(
        "--span-null",
        action="store_true",
        help="train the answer words' start and end on every candidate, a non-answering one's on [CLS] "
        "(SQuAD 2.0's null answer), so the span head also says whether a sentence answers",
    )
    parser.add_argument(
        "--remove-answer",
        type=float,
        default=0.0,
        help="share of answerable questions whose answering sentences lose their answer words and train "
        "as unanswerable (a sentence on the topic that does not say the thing asked)",
    )
    parser.add_argument(
        "--swap-name",
        type=float,
        default=0.0,
        help="share of answerable questions whose name or number, held by the answering sentence, is "
        "replaced by another question's that no candidate holds, and train as unanswerable",
    )
    parser.add_argument(
        "--after",
        type=int,
        nargs=2,
        action="append",
        metavar=("SEED", "N"),
        help="train only on the questions after the first N of the shuffle with SEED (those a stage with "
        "that seed and --max-questions N did not read); repeated, in the stages' order, for several stages "
        "(the fourth stage read --after 24 7000 with --seed 25 --max-questions 10000: a fifth takes "
        "--after 24 7000 --after 25 10000)",
    )
    parser.add_argument(
        "--replay",
        nargs=2,
        metavar=("FOLDER", "N"),
        help="add N groups drawn (seeded) from FOLDER's train.jsonl, read by an earlier stage: a stage of SQuAD "
        "1.1 alone keeps SQuAD 2.0's unanswerable questions and the other kinds of text in sight",
    )
    parser.add_argument("--log-every", type=int, default=25)
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--export", type=Path, help="write the int8 ONNX file from the checkpoint and stop")
    parser.add_argument("--fp32", action="store_true", help="with --export: no quantisation (for comparison)")
    parser.add_argument(
        "--per-tensor", dest="per_channel", action="store_false", help="with --export: one int8 scale per tensor"
    )
    args = parser.parse_args()
    if args.export:
        export(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
