"""The reference implementation's embedding speed: Hugging Face transformers + torch, one thread.

Run by ``bench_semantic.py speed --reference-python PY`` with an interpreter that has torch and
transformers (they are not project dependencies: on Linux, PyPI's torch brings CUDA libraries
of several GB). It reads a JSON request on stdin — the model folder and the [start] window
[end] token ids that our embed_windows feeds the model — and embeds them as
sentence-transformers does (sorted by length, batches of 32, mean pooling, L2 normalised),
then writes the seconds taken and the vectors (as lists) to stdout.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    import torch
    from transformers import AutoModel

    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    model = AutoModel.from_pretrained(request["folder"]).eval()
    windows: list[list[int]] = request["windows"]
    pad = int(request["pad_id"])
    order = sorted(range(len(windows)), key=lambda i: -len(windows[i]))
    vectors: list[list[float]] = [[] for _ in windows]
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), 32):
            batch = order[start : start + 32]
            width = max(len(windows[i]) for i in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, : len(windows[i])] = torch.tensor(windows[i])
                mask[row, : len(windows[i])] = 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=1)
            for row, i in enumerate(batch):
                vectors[i] = pooled[row].tolist()
    seconds = time.perf_counter() - started
    json.dump({"seconds": seconds, "torch": torch.__version__, "vectors": vectors}, sys.stdout)


if __name__ == "__main__":
    main()
