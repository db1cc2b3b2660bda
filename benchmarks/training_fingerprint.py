"""Behaviour check for refactors: train 3 steps on a toy fixture with a fixed tiny model and print the
per-step losses and a hash of the final weights. Run it before and after a change with the same
``--model-dir`` (built on first use; the random init differs between builds) and compare the output.

    python benchmarks/training_fingerprint.py --model-dir /tmp/tiny --work /tmp/fp-after
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True, type=Path, help="tiny model folder (built if missing)")
    parser.add_argument("--work", required=True, type=Path, help="scratch folder for the run")
    args = parser.parse_args()

    import yaml
    from sentence_transformers import SentenceTransformer
    from tests.conftest import build_tiny_model
    from tests.training.helpers import toy_items, write_jsonl
    from transformers import TrainerCallback

    from hybridbatch.training.config import load_config
    from hybridbatch.training.trainer import train

    st_dir = args.model_dir / "st"
    if not st_dir.is_dir():
        build_tiny_model(args.model_dir)
    args.work.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.work / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    cfg = {"datasets": [{"jsonl": "items.jsonl", "name": "toy"}], "output_dir": str(args.work / "run"), "seed": 1,
           "validation_fraction": 0.2,
           "training": {"batch_size": 8, "max_steps": 3, "eval_steps": 2, "logging_steps": 1, "loss": "mnrl",
                        "warmup_steps": 0, "max_seq_length": 32}}
    (args.work / "train.yaml").write_text(yaml.safe_dump(cfg))
    losses: list = []

    class Record(TrainerCallback):
        def on_log(self, a, state, control, logs=None, **kwargs):
            for key in ("loss", "eval_loss"):
                if logs and key in logs:
                    losses.append([state.global_step, key, logs[key]])

    model = SentenceTransformer(str(st_dir), device="cpu")
    result = train(load_config(args.work / "train.yaml"), model=model, callbacks=[Record()])
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(value.detach().cpu().numpy().tobytes())
    print(json.dumps({"losses": losses, "steps": result.global_step, "weights_sha256": digest.hexdigest()[:16]}))


if __name__ == "__main__":
    main()
