"""Run by tests/test_ddp.py under ``torchrun --nproc_per_node 2``: train a few steps on CPU (gloo)
and write, per rank, the (query, positive) texts of every training batch this rank received.

usage: python ddp_worker.py CONFIG.yaml MODEL_DIR RECORD_DIR [--resume] [--stop-at-step N]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


class Stop(Exception):
    pass


def main(argv: list[str]) -> int:
    from sentence_transformers import SentenceTransformer
    from transformers import TrainerCallback

    from hybridbatch.training import trainer
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from tests.training.helpers import Patcher, record_training_batches

    config_path, model_dir, record_dir = argv[:3]
    resume = "latest" if "--resume" in argv else None
    stop_at = int(argv[argv.index("--stop-at-step") + 1]) if "--stop-at-step" in argv else None
    config = load_config(config_path)
    train_queries = {it.query for d in prepare_data(config).train.datasets for it in d.items}
    seen: list = []
    record_training_batches(Patcher, train_queries, seen)

    class Killer(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            if stop_at is not None and state.global_step == stop_at:
                raise Stop()

    try:
        trainer.train(config, resume=resume, model=SentenceTransformer(model_dir, device="cpu"),
                       callbacks=[Killer()])
    except Stop:
        pass
    tag = "resumed" if resume else "first"
    Path(record_dir, f"{tag}-rank{os.environ['RANK']}.json").write_text(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
