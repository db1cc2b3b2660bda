"""``hybridbatch merge``: WiSE-FT interpolation with the base model, or a soup of fine-tuned models."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "merge", help="merge models in weight space (WiSE-FT with the base, or a soup)",
        description="WiSE-FT: theta = (1 - lambda) * theta_base + lambda * theta_tuned (--base, one model, "
        "--lambda). Soup: the weighted mean of several fine-tuned models (two or more models, no --base). "
        "Models must share architecture and tokenizer. The output is a sentence-transformers folder.")
    p.add_argument("models", nargs="+", metavar="MODEL", help="fine-tuned model folder(s)")
    p.add_argument("--base", help="the base model ('default' or a folder): WiSE-FT interpolation")
    p.add_argument("--lambda", dest="lam", type=float, help="WiSE-FT weight of the fine-tuned model (0..1)")
    p.add_argument("--weights", help="soup: comma-separated weights, one per model (default: uniform)")
    p.add_argument("--out", required=True, help="output model folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.models.loading import load_model
    from hybridbatch.models.merge import merge_models, save_merged, wise_weights

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise HybridbatchError("--out names a file, not a folder", path=out)
    if args.base is not None:
        if len(args.models) != 1 or args.lam is None or args.weights:
            raise HybridbatchError("WiSE-FT takes --base, exactly one fine-tuned model and --lambda (no --weights)")
        names, weights, method = [args.base, args.models[0]], wise_weights(args.lam), f"WiSE-FT, lambda {args.lam:g}"
    else:
        if len(args.models) < 2 or args.lam is not None:
            raise HybridbatchError("a soup takes two or more models and no --lambda (WiSE-FT needs --base)")
        names = list(args.models)
        if args.weights:
            try:
                weights = [float(x) for x in args.weights.split(",")]
            except ValueError:
                raise HybridbatchError(f"--weights {args.weights!r}: expected comma-separated numbers") from None
            if len(weights) != len(names) or abs(sum(weights) - 1.0) > 1e-6 or min(weights) < 0:
                raise HybridbatchError("--weights: one non-negative weight per model, summing to 1")
        else:
            weights = [1.0 / len(names)] * len(names)
        method = "soup (weighted mean)"
    models = [load_model(name) for name in names]
    merged = merge_models(models, names, weights)
    record = save_merged(merged, out, names=names, inputs=models, weights=weights, method=method)
    print(f"merged {len(names)} models ({method}); weights sha256 {record['output_weights_sha256']}; model: {out}")
    return 0
