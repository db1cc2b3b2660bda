"""``hybridbatch merge`` as one request: WiSE-FT with the base at one λ, a λ sweep scored on a training
config's validation split (the best merge is saved), or a soup of fine-tuned models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hybridbatch.config import Precision, setting
from hybridbatch.errors import HybridbatchError
from hybridbatch.merging.save import save_merged
from hybridbatch.merging.soup import load_soup, parse_weights
from hybridbatch.merging.sweep import best_lambda, lambda_sweep, parse_lambdas, write_sweep
from hybridbatch.merging.validation import evaluator_for, validation_data
from hybridbatch.merging.wise import load_wise_pair, wise_merge
from hybridbatch.models.merge import wise_weights
from hybridbatch.training.config import RetrievalMetric, load_config

SWEEP_PRECISION: Precision = "fp32"
"""The sweep encodes in fp32 whatever the training config says (the command has no --precision)."""


@dataclass
class MergeRequest:
    """What ``hybridbatch merge`` was asked: ``models`` (fine-tuned folders) and ``out`` (the output folder), given
    on the command line by hand (positional / ``--out``), and the settings below, declared once: the command's
    flags are derived from them (:func:`hybridbatch.cli.config_flags.add_config_flags`). ``lambdas`` and
    ``weights`` stay comma-separated text, checked (range 0..1, sum 1) by :func:`run_merge`."""

    models: list[str] = setting(internal=True)
    out: Path = setting(internal=True)
    base: str | None = setting(None, help="the base model ('default' or a folder): WiSE-FT interpolation")
    lambdas: str | None = setting(None, flags=("--lambda",),
                                  help="WiSE-FT weight of the fine-tuned model (0..1), LAMBDA[,LAMBDA...]; several: "
                                  "a sweep scored on the validation split of --validate-with, the best one is saved")
    weights: str | None = setting(None, help="soup: comma-separated weights, one per model (default: uniform)")
    validate_with: str | None = setting(None, help="training config (TRAIN.yaml) whose validation split scores a "
                                        "lambda sweep (the fine-tuned model's own)")
    select_metric: RetrievalMetric = setting("mo+mul", help="validation measure that picks lambda; ties within "
                                             "0.002 go to the smaller lambda")
    data_dir: str | None = setting(None, help="shared data folder (default: $HYBRIDBATCH_DATA)")


def run_merge(request: MergeRequest) -> str:
    """Carry out ``request`` and return what to print. Every inconsistency of the request raises
    :class:`HybridbatchError` before anything is loaded or written; the output folder appears whole."""
    out = Path(request.out)
    if out.exists() and not out.is_dir():
        raise HybridbatchError("--out names a file, not a folder", path=out)
    if request.base is None:
        return _soup(request, out)
    if len(request.models) != 1 or request.lambdas is None or request.weights:
        raise HybridbatchError("WiSE-FT takes --base, exactly one fine-tuned model and --lambda (no --weights)")
    lambdas = parse_lambdas(request.lambdas)
    if len(lambdas) > 1 or request.validate_with:
        return _sweep(request, lambdas, out)
    names = [request.base, request.models[0]]
    base, tuned = load_wise_pair(*names)
    method = f"WiSE-FT, lambda {lambdas[0]:g}"
    record = save_merged(wise_merge(base, tuned, names, lambdas[0]), out, names=names, inputs=[base, tuned],
                         weights=wise_weights(lambdas[0]), method=method)
    return _merged_line(names, method, record["output_weights_sha256"], out)


def _soup(request: MergeRequest, out: Path) -> str:
    if len(request.models) < 2 or request.lambdas is not None or request.validate_with:
        raise HybridbatchError("a soup takes two or more models and no --lambda (WiSE-FT needs --base)")
    names = list(request.models)
    weights = parse_weights(request.weights, len(names))
    merged, inputs = load_soup(names, weights)
    method = "soup (weighted mean)"
    record = save_merged(merged, out, names=names, inputs=inputs, weights=weights, method=method)
    return _merged_line(names, method, record["output_weights_sha256"], out)


def _merged_line(names: list[str], method: str, sha256: str, out: Path) -> str:
    return f"merged {len(names)} models ({method}); weights sha256 {sha256}; model: {out}"


def _sweep(request: MergeRequest, lambdas: list[float], out: Path) -> str:
    """Score WiSE-FT at each λ on the validation split, save the best merge and the sweep table."""
    if not request.validate_with:
        raise HybridbatchError("a lambda sweep needs --validate-with TRAIN.yaml (its validation split scores it)")
    config = load_config(request.validate_with)
    data = validation_data(config, request.data_dir, source=request.validate_with)
    names = [str(request.base), request.models[0]]
    base, tuned = load_wise_pair(*names)
    evaluator = evaluator_for(config, data, tuned, select_metric=request.select_metric, precision=SWEEP_PRECISION)
    rows = lambda_sweep(base, tuned, names, lambdas, evaluator)
    best = best_lambda(rows, request.select_metric)
    save_merged(wise_merge(base, tuned, names, best["lambda"]), out, names=names, inputs=[base, tuned],
                weights=wise_weights(best["lambda"]),
                method=f"WiSE-FT, lambda {best['lambda']:g} (best of {', '.join(f'{x:g}' for x in lambdas)} on the "
                f"validation split of {request.validate_with} by {request.select_metric})")
    table = write_sweep(out, rows, best, request.select_metric)
    return "\n".join(table) + f"\nbest lambda {best['lambda']:g}; model: {out}"
