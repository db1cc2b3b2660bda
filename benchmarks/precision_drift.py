"""mAP drift of reduced-precision encoding against fp32 on XQuAD-R (decides which precisions are offered).

    python benchmarks/precision_drift.py [--model default] [--variants bf16,int8,int8-ffn-fp32] [--out runs/precision-drift]

Evaluates the model in fp32 (from the embedding cache when present) and each variant on the full XQuAD-R
with sentence candidates; prints Mo./Cr./Mul. mAP, rank distance, texts/s and the drift against fp32.
The project rule: a precision is offered only if every |drift| <= 0.005 mAP.
Variants: ``bf16`` bfloat16 autocast (``--precision bf16``); ``int8`` dynamic int8 on every Linear;
``int8-ffn-fp32`` int8 with the FFN output projections kept in fp32.
texts/s is only meaningful for a variant whose vectors were not cached yet.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.evaluation.runner import run_evaluation
from hybridbatch.models.loading import load_model
from hybridbatch.models.quantize import BERT_FFN_OUTPUT, quantize_int8

INT8_KEEP_FP32 = {"int8": [], "int8-ffn-fp32": [BERT_FFN_OUTPUT]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' or a model folder")
    parser.add_argument("--variants", default="bf16")
    parser.add_argument("--out", default="runs/precision-drift")
    args = parser.parse_args()
    base = load_model(args.model)
    rows = {}
    for name in ["fp32"] + args.variants.split(","):
        if name not in ("fp32", "bf16", *INT8_KEEP_FP32):
            parser.error(f"unknown variant {name!r}")
        model = quantize_int8(base, keep_fp32=INT8_KEEP_FP32[name]) if name in INT8_KEEP_FP32 else base
        precision = "bf16" if name == "bf16" else "fp32"
        cfg = EvaluationConfig(benchmark="xquad-r", model=args.model, precision=precision,
                               extra={"variant": name})
        encoder = SentenceTransformerEncoder(model, precision=precision)
        rows[name] = run_evaluation(cfg, Path(args.out) / name, encoder=encoder)
    ref = rows["fp32"]["summary"]
    print(f"model {args.model}")
    print(f"{'variant':14} {'Mo.':>7} {'Cr.':>7} {'Mul.':>7} {'RD':>8} {'texts/s':>8}  drift Mo./Cr./Mul.")
    for name, results in rows.items():
        s, t = results["summary"], results["timing"]
        drift = [s[k]["map"] - ref[k]["map"] for k in ("mo", "cr", "mul")]
        speed = t.get("texts_per_second") or float("nan")
        print(f"{name:14} {s['mo']['map']:7.4f} {s['cr']['map']:7.4f} {s['mul']['map']:7.4f} "
              f"{s['rank_distance']:8.1f} {speed:8.1f}  " + " / ".join(f"{d:+.4f}" for d in drift)
              + ("  ok" if all(abs(d) <= 0.005 for d in drift) else "  exceeds 0.005"))


if __name__ == "__main__":
    main()
