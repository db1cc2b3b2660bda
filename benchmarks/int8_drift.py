"""mAP drift of dynamic int8 quantization on XQuAD-R (decides whether ``--int8`` may be offered).

    python benchmarks/int8_drift.py [--variants all,ffn_out] [--out runs/int8-drift]

Evaluates the default model in fp32 (from the embedding cache when present) and each int8 variant on
the full XQuAD-R with sentence candidates; prints Mo./Cr./Mul. mAP, rank distance, texts/s and the drift
against fp32. The project rule: int8 is offered only if every |drift| <= 0.005 mAP.
Variants: ``all`` quantizes every Linear; ``ffn_out`` keeps the FFN output projections in fp32.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridbatch.encoding import SentenceTransformerEncoder
from hybridbatch.evaluation.runner import EvaluationConfig, run_evaluation
from hybridbatch.models.loading import load_model
from hybridbatch.models.quantize import BERT_FFN_OUTPUT, quantize_int8

VARIANTS = {"all": [], "ffn_out": [BERT_FFN_OUTPUT]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="all,ffn_out")
    parser.add_argument("--out", default="runs/int8-drift")
    args = parser.parse_args()
    base = load_model("default")
    rows = {}
    for name in ["fp32"] + args.variants.split(","):
        model = base if name == "fp32" else quantize_int8(base, keep_fp32=VARIANTS[name])
        cfg = EvaluationConfig(benchmark="xquad-r", model="default", extra={"int8_variant": name})
        results = run_evaluation(cfg, Path(args.out) / name, encoder=SentenceTransformerEncoder(model))
        rows[name] = results
    ref = rows["fp32"]["summary"]
    print(f"{'variant':8} {'Mo.':>7} {'Cr.':>7} {'Mul.':>7} {'RD':>8} {'texts/s':>8}  drift Mo./Cr./Mul.")
    for name, results in rows.items():
        s, t = results["summary"], results["timing"]
        drift = [s[k]["map"] - ref[k]["map"] for k in ("mo", "cr", "mul")]
        speed = t.get("texts_per_second") or float("nan")
        print(f"{name:8} {s['mo']['map']:7.4f} {s['cr']['map']:7.4f} {s['mul']['map']:7.4f} "
              f"{s['rank_distance']:8.1f} {speed:8.1f}  " + " / ".join(f"{d:+.4f}" for d in drift)
              + ("  ok" if all(abs(d) <= 0.005 for d in drift) else "  exceeds 0.005"))


if __name__ == "__main__":
    main()
