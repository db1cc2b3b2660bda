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
    p.add_argument("--lambda", dest="lam", metavar="LAMBDA[,LAMBDA...]",
                   help="WiSE-FT weight of the fine-tuned model (0..1); several: a sweep scored on the validation "
                   "split of --validate-with, the best one is saved")
    p.add_argument("--validate-with", metavar="TRAIN.yaml",
                   help="training config whose validation split scores a lambda sweep (the fine-tuned model's own)")
    p.add_argument("--select-metric", default="mo+mul", choices=["mo", "cr", "mul", "mo+mul", "mo+cr+mul"],
                   help="validation measure that picks lambda (default: %(default)s; ties within 0.002 go to "
                   "the smaller lambda)")
    p.add_argument("--data-dir", help="shared data folder (default: $HYBRIDBATCH_DATA)")
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
        lambdas = _lambdas(args.lam)
        if len(lambdas) > 1 or args.validate_with:
            return _sweep(args, lambdas, out)
        names, weights, method = [args.base, args.models[0]], wise_weights(lambdas[0]), f"WiSE-FT, lambda {lambdas[0]:g}"
    else:
        if len(args.models) < 2 or args.lam is not None or args.validate_with:
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


def _lambdas(text: str) -> list[float]:
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.models.merge import wise_weights

    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise HybridbatchError(f"--lambda {text!r}: expected comma-separated numbers in [0, 1]") from None
    if not values:
        raise HybridbatchError("--lambda: no value given")
    for v in values:
        wise_weights(v)  # range check
    return values


def _sweep(args: argparse.Namespace, lambdas: list[float], out: Path) -> int:
    """Score WiSE-FT at each lambda on the validation split, save the best merge and the sweep table."""
    from hybridbatch.errors import HybridbatchError
    from hybridbatch.models.loading import load_model
    from hybridbatch.models.merge import merge_models, save_merged, wise_weights
    from hybridbatch.outputs import write_json, write_text
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.trainer import resolve_prompts
    from hybridbatch.training.validation import (
        ValidationEvaluator,
        best_lambda,
        lambda_sweep,
        validation_benchmark,
    )

    if not args.validate_with:
        raise HybridbatchError("a lambda sweep needs --validate-with TRAIN.yaml (its validation split scores it)")
    config = load_config(args.validate_with)
    data = prepare_data(config, args.data_dir)
    if data.validation is None:
        raise HybridbatchError("the training config holds out no validation split (validation_fraction 0)",
                               path=args.validate_with)
    names = [args.base, args.models[0]]
    tuned = load_model(args.models[0])
    base = load_model(args.base, max_seq_length=tuned.max_seq_length)
    prompts = resolve_prompts(tuned, config.training.prompts)
    evaluator = ValidationEvaluator(validation_benchmark(data.validation), select_metric=args.select_metric,
                                    query_prompt=prompts["query"], passage_prompt=prompts["passage"])
    rows = lambda_sweep(base, tuned, names, lambdas, evaluator)
    best = best_lambda(rows, args.select_metric)
    merged = merge_models([base, tuned], names, wise_weights(best["lambda"]))
    save_merged(merged, out, names=names, inputs=[base, tuned], weights=wise_weights(best["lambda"]),
                method=f"WiSE-FT, lambda {best['lambda']:g} (best of {', '.join(f'{x:g}' for x in lambdas)} on the "
                f"validation split of {args.validate_with} by {args.select_metric})")
    lines = [f"# WiSE-FT lambda sweep on the validation split ({args.select_metric} picks)", "",
             "| lambda | Mo. | Cr. | Mul. | (Mo.+Mul.)/2 | rank distance |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['lambda']:g}{' **best**' if r is best else ''} | {r['mo']:.4f} | {r['cr']:.4f} | {r['mul']:.4f} "
              f"| {r['mo+mul']:.4f} | {r['rank_distance']:.1f} |" for r in rows]
    write_text(out / "lambda_sweep.md", "\n".join(lines) + "\n")
    write_json(out / "lambda_sweep.json", {"select_metric": args.select_metric, "rows": rows,
                                           "best_lambda": best["lambda"]})
    print("\n".join(lines[2:]))
    print(f"best lambda {best['lambda']:g}; model: {out}")
    return 0
