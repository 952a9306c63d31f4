"""Start a training stage from the shipped int8 ONNX reader when its torch checkpoint is gone.

The export keeps most parameter names (biases, LayerNorms, embeddings, ``head.weight``) but
names the Linear weights after their MatMul nodes (``onnx::MatMul_734``) and stores them
transposed. Each such weight is dequantised (``(q - zero_point) * scale``, per output
channel) and given to the torch Linear of the same shape whose packaged (pre-training)
weight it is closest to: fine-tuning moves weights a little, so the match is unambiguous
(checked: every match is one to one, and the loaded model's logits agree with the ONNX
model's to int8 precision).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def _dequantised(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every weight of the file as float32, quantised ones restored, by base name."""
    out: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if name.endswith(("_scale", "_zero_point")):
            continue
        if name.endswith("_quantized"):
            base = name[: -len("_quantized")]
            scale = tensors[f"{base}_scale"].astype(np.float32)
            zero = tensors[f"{base}_zero_point"].astype(np.float32)
            out[base] = (value.astype(np.float32) - zero) * scale  # scale: scalar or per last axis
        else:
            out[name] = value.astype(np.float32)
    return out


def load_onnx_weights(model: Any, path: Path) -> list[str]:
    """Load ``path``'s weights into ``model`` (``train_reader.build_model``'s Reader over the
    packaged MiniLM); returns the names of the torch parameters that were set by matching."""
    import torch

    weights = _dequantised(_initializers(path))
    state = model.state_dict()
    new: dict[str, torch.Tensor] = {}
    for name, value in weights.items():
        if name in state:
            target = state[name].shape
            array = value if tuple(value.shape) == tuple(target) else value.T
            if tuple(array.shape) != tuple(target):
                raise ValueError(f"{path}: {name} has shape {value.shape}, the model wants {tuple(target)}")
            new[name] = torch.from_numpy(np.ascontiguousarray(array))
    matched: list[str] = []
    anonymous = {n: v.T for n, v in weights.items() if n not in state}  # MatMul weights, as torch [out, in]
    # the pooler is not in the graph (the reader reads the last hidden states): it keeps its packaged weights
    unused = ("encoder.pooler.",)
    free = [
        n
        for n, v in state.items()
        if n.endswith(".weight") and n not in new and v.dim() == 2 and not n.startswith(unused)
    ]
    for key, value in anonymous.items():
        same = [n for n in free if tuple(state[n].shape) == value.shape]
        if not same:
            raise ValueError(f"{path}: no parameter of shape {value.shape} is left for {key}")
        flat = value.reshape(-1)

        def closeness(n: str, flat: np.ndarray = flat) -> float:
            ref = state[n].numpy().reshape(-1)
            return float(np.dot(ref, flat) / (np.linalg.norm(ref) * np.linalg.norm(flat) + 1e-12))

        best = max(same, key=closeness)
        if len(same) > 1 and closeness(best) < 0.5:
            raise ValueError(f"{path}: {key} matches no packaged weight closely ({closeness(best):.2f})")
        new[best] = torch.from_numpy(np.ascontiguousarray(value))
        free.remove(best)
        matched.append(best)
    missing = [n for n in state if n not in new and not n.endswith("position_ids") and not n.startswith(unused)]
    if missing:
        raise ValueError(f"{path}: no weights for {missing[:5]}")
    model.load_state_dict({**state, **new})
    return matched
