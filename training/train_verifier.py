"""Train the claim verifier: a cross-encoder over (claim, evidence) with three outputs,
supports / contradicts / neither, shipped as one int8 ONNX file.

The encoder starts from the shipped reader's (a cross-encoder already trained to read a
question against a sentence; ``--init``) or from the packaged all-MiniLM-L6-v2
(``--init packaged``), with a fresh linear head on the [CLS] state; cross-entropy, AdamW,
linear warm-up and decay, word embeddings frozen. Checkpoints outside the repository; a
killed run resumes. ``--export`` writes the int8 ONNX file; ``--evaluate`` prints held-out
accuracy per source and on contrastive pairs (one claim, evidence that supports it and
evidence edited to refute it).

    .venv/bin/python training/verifier_data.py --out ~/.cache/news-assistant/training/verifier
    nohup nice .venv/bin/python training/train_verifier.py > ~/.cache/news-assistant/training/verifier.log &
    .venv/bin/python training/train_verifier.py --export assistant/data/verifier.onnx
    .venv/bin/python training/train_verifier.py --fit assistant/data/verifier.onnx       # thresholds, on validation
    .venv/bin/python training/train_verifier.py --evaluate assistant/data/verifier.onnx  # held-out figures
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

CACHE = Path.home() / ".cache" / "news-assistant" / "training"
SEED = 37
# pairs per source in one training run (a session's hours on two cores)
PER_SOURCE = {
    "vitaminc-real": 9000,
    "vitaminc-synthetic": 4000,
    "snli-cf": 5000,
    "mnli": 3000,
    "swaps": 7000,
    "near": 4500,
}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_model(init: str):  # type: ignore[no-untyped-def]
    import torch
    from train_reader import build_model as reader_model

    from assistant.index.embed import default_model_path

    reader = reader_model(str(Path(default_model_path())))
    if init != "packaged":
        from onnx_weights import load_onnx_weights

        load_onnx_weights(reader, Path(init))

    class Verifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = reader.encoder
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 3)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return self.head(out.last_hidden_state[:, 0])

    return Verifier()


def tensors(tokenizer, claims: list[str], evidence: list[str]):  # type: ignore[no-untyped-def]
    import torch

    from assistant.search.reader_input import encode_pairs

    ids, mask, types, _ = encode_pairs(tokenizer, claims, evidence)
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)


def verifier_tokenizer():  # type: ignore[no-untyped-def]
    from assistant.answer.verifier import load_tokenizer

    return load_tokenizer()


def sample(pairs: list[dict], rng: random.Random) -> list[dict]:
    by_source: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        by_source[p["source"]].append(p)
    out = []
    for source, part in by_source.items():
        rng.shuffle(part)
        out += part[: PER_SOURCE.get(source, 0)]
    rng.shuffle(out)
    return out


def train(args: argparse.Namespace) -> None:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = random.Random(SEED)
    pairs = sample(load(args.data / "train.jsonl"), rng)
    batches = [pairs[i : i + args.batch] for i in range(0, len(pairs), args.batch)]
    total = len(batches)
    model = build_model(args.init).to(args.device)
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup))
    )
    args.out.mkdir(parents=True, exist_ok=True)
    ckpt, step = args.out / "checkpoint.pt", 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False, map_location=args.device)
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        step = state["step"]
        print(f"resumed at step {step}/{total}", flush=True)
    tokenizer = verifier_tokenizer()
    model.train()
    started, losses = time.time(), []
    while step < total:
        batch = batches[step]
        ids, mask, types = (
            t.to(args.device) for t in tensors(tokenizer, [p["claim"] for p in batch], [p["evidence"] for p in batch])
        )
        loss = F.cross_entropy(model(ids, mask, types), torch.tensor([p["label"] for p in batch], device=args.device))
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        if step % 25 == 0:
            minutes = (time.time() - started) / 60
            print(f"step {step}/{total} loss {np.mean(losses[-25:]):.4f} elapsed {minutes:.1f} min", flush=True)
        if step % args.save_every == 0 or step == total:
            state = {
                "model": model.state_dict(),
                "optim": optim.state_dict(),
                "sched": sched.state_dict(),
                "step": step,
            }
            torch.save(state, args.out / "checkpoint.tmp")
            (args.out / "checkpoint.tmp").replace(ckpt)
    print(f"done: {step} steps, {(time.time() - started) / 60:.1f} min this run", flush=True)


def export(args: argparse.Namespace) -> None:
    """The checkpoint as ONNX (logits of the three classes), int8-quantised, checked against torch."""
    import shutil
    import tempfile
    import warnings

    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = build_model("packaged")
    model.load_state_dict(torch.load(args.out / "checkpoint.pt", weights_only=False, map_location="cpu")["model"])
    model.eval()
    tokenizer = verifier_tokenizer()
    claims = ["The summit took place in Tokyo.", "Takaichi and Lee met in Nara."]
    evidence = ["Ms Takaichi hosted Mr Lee in Nara on Jan 13. [SEP] Summit", "They met in Nara. [SEP] Summit"]
    ids, mask, types = tensors(tokenizer, claims, evidence)
    with torch.no_grad():
        expected = model(ids, mask, types).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "verifier.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (ids, mask, types),
                str(raw),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["logits"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
                | {"logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        quantized = Path(tmp) / "verifier.int8.onnx"
        quantize_dynamic(str(raw), str(quantized), weight_type=QuantType.QInt8, per_channel=True)
        session = ort.InferenceSession(str(quantized), providers=["CPUExecutionProvider"])
        got = session.run(
            None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
        )[0]
        print("torch", expected.round(2), "onnx int8", got.round(2))
        args.export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(quantized, args.export)
    print(f"wrote {args.export} ({args.export.stat().st_size / 1e6:.1f} MB)")


def evaluate(args: argparse.Namespace) -> None:
    """Held-out accuracy of the ONNX file per source, and on contrastive pairs."""
    from assistant.answer.verifier import Verifier

    verifier = Verifier.from_file(args.evaluate)
    for split in ("valid", "test"):
        pairs = load(args.data / f"{split}.jsonl")
        rng = random.Random(SEED)
        rng.shuffle(pairs)
        by_source: dict[str, list[dict]] = defaultdict(list)
        for p in pairs:
            if len(by_source[p["source"]]) < args.per_source:
                by_source[p["source"]].append(p)
        print(f"\n## {split}\n\n| source | pairs | accuracy | supports recall | contradicts recall | neither recall |")
        print("| --- | --- | --- | --- | --- | --- |")
        everything = []
        for source, part in sorted(by_source.items()):
            probs = verifier.probabilities([p["claim"] for p in part], [p["evidence"] for p in part])
            pred = probs.argmax(axis=1)
            gold = np.array([p["label"] for p in part])
            recalls = [f"{np.mean(pred[gold == k] == k):.3f}" if (gold == k).any() else "n/a" for k in range(3)]
            print(f"| {source} | {len(part)} | {np.mean(pred == gold):.3f} | {' | '.join(recalls)} |")
            everything += [(p, int(k)) for p, k in zip(part, pred, strict=True)]
        groups: dict[str, list[tuple[dict, int]]] = defaultdict(list)
        for p, k in everything:
            if p["source"].startswith("vitaminc"):
                groups[p["group"]].append((p, k))
        contrastive = [g for g in groups.values() if {p["label"] for p, _ in g} >= {0, 1}]
        right = [all(p["label"] == k for p, k in g) for g in contrastive]
        if contrastive:
            print(
                f"\ncontrastive VitaminC cases (both supported and refuted): {len(contrastive)}, all right {np.mean(right):.3f}"
            )


THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)


def decide(probs: np.ndarray, supports: float, contradicts: float) -> np.ndarray:
    """The product's decision per pair (check._source's, for one sentence): 0 supports when
    its probability reaches ``supports`` and beats contradiction; else 1 contradicts when that
    reaches ``contradicts``; else 2 neither."""
    sup = (probs[:, 0] >= supports) & (probs[:, 0] >= probs[:, 1])
    con = ~sup & (probs[:, 1] >= contradicts)
    return np.where(sup, 0, np.where(con, 1, 2))


def fit(args: argparse.Namespace) -> None:
    """The two thresholds with the best macro-F1 over the three classes on the validation
    pairs (never the test ones), written with the file's SHA-256 into verifier.json."""
    from assistant.answer.verifier import MANIFEST, Verifier
    from assistant.files import sha256_file

    verifier = Verifier.from_file(args.fit)
    pairs = load(args.data / "valid.jsonl")
    probs = verifier.probabilities([p["claim"] for p in pairs], [p["evidence"] for p in pairs])
    gold = np.array([p["label"] for p in pairs])

    def macro_f1(pred: np.ndarray) -> float:
        scores = []
        for k in range(3):
            tp = np.sum((pred == k) & (gold == k))
            precision, recall = tp / max(1, np.sum(pred == k)), tp / max(1, np.sum(gold == k))
            scores.append(2 * precision * recall / max(1e-9, precision + recall))
        return float(np.mean(scores))

    best = max((macro_f1(decide(probs, s, c)), s, c) for s in THRESHOLDS for c in THRESHOLDS)
    f1, supports, contradicts = best
    pred = decide(probs, supports, contradicts)
    print(
        f"validation: {len(pairs)} pairs, macro-F1 {f1:.3f}, accuracy {np.mean(pred == gold):.3f} "
        f"at supports {supports}, contradicts {contradicts}"
    )
    meta = {
        "file": args.fit.name,
        "sha256": sha256_file(args.fit),
        "supports": supports,
        "contradicts": contradicts,
        "validation": {
            "pairs": len(pairs),
            "macro_f1": round(f1, 4),
            "accuracy": round(float(np.mean(pred == gold)), 4),
        },
    }
    MANIFEST.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {MANIFEST}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=CACHE / "verifier")
    parser.add_argument("--out", type=Path, default=CACHE / "verifier-run")
    parser.add_argument(
        "--init", default=str(ROOT / "assistant" / "data" / "reader.onnx"), help="ONNX reader, or 'packaged'"
    )
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--export", type=Path)
    parser.add_argument("--evaluate", type=Path)
    parser.add_argument("--per-source", type=int, default=1000, help="with --evaluate: pairs per source")
    parser.add_argument("--fit", type=Path, help="choose the decision thresholds on validation for this ONNX file")
    args = parser.parse_args()
    if args.fit:
        fit(args)
    elif args.export:
        export(args)
    elif args.evaluate:
        evaluate(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
