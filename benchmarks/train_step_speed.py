"""Training-step speed with padded batches (as today) vs length-sorted sub-batches (training.length_sorted),
on the real default model and real MLQA-R training batches, in one process, on the same batches.

Each variant runs forward + loss (MultipleNegativesRankingLoss at the config's scale) + backward on every
batch; the variants are interleaved batch by batch (order alternating), so load from other processes hits
them alike; the first batch is warm-up, s/step is the median of the rest. No optimizer step (the same for
both; the weights stay the same across variants). Train mode (dropout on), word embeddings frozen as the
config says. The regulariser (distill_weight) adds no forward pass: it is not timed.

FLOP bound (benchmarks/flop_bound.py, shared with encode_speed.py): the arithmetic a step cannot avoid, at the
machine's measured matmul peak::

    flops = 3 × Σ_texts n_layers · [ 2 · L · (4 · d² + 2 · d · d_ff)  +  4 · L² · d ]

3 × the forward FLOPs (forward, backward for inputs, backward for weights) of the dense matmuls (QKV and output
projections, FFN up and down) and of QKᵀ and AV, with d the hidden size, d_ff the FFN size and L a text's real
(attended) token count (useful), or the padded length of its column's batch (padded, as today's step runs);
embedding lookups, norms and pooling are not counted (frozen word embeddings change nothing). bound = flops /
peak, peak = best of a few 2048×2048 ``torch.mm`` in the precision of the run (fp32, or bf16 tensors with
--precision bf16), timed in this process. ``x the FLOP bound`` = measured s/step ÷ bound on useful tokens (1.0
would be every cycle spent on useful matmul), then on padded tokens.

    python benchmarks/train_step_speed.py [--steps 3] [--batch-size 100] [--precision fp32|bf16]
                                          [--overheads 64,256] [--threads N] [--attn sdpa|eager]
                                          [--negatives-file FILE] [--cached 32] [--profile]

``--negatives-file``: batches carry a mined negative per row (a third text column; a file of
``hybridbatch mine`` for the config). ``--cached N``: also time GradCache (cached MNRL, N rows per forward pass),
the loss that makes batches of 256+ fit. Rows differ between batch sizes, so compare s per 100 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from flop_bound import gemm_peak, training_step_flops  # noqa: E402

from hybridbatch.training.sub_batches import FORWARD_OVERHEAD_TOKENS  # noqa: E402


def cpu_flags() -> list[str]:
    """The flags of /proc/cpuinfo that decide matmul speed."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni") or f.startswith("amx"))


def autocast(precision: str):
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()


def step_flops(features: list[dict], model) -> dict[str, float]:
    """The module docstring's formula over every text of a step: useful (real tokens) and padded (each column's
    batch at its longest)."""
    useful = [int(n) for f in features for n in f["attention_mask"].sum(dim=1)]
    padded = [int(f["attention_mask"].shape[1]) for f in features for _ in range(f["attention_mask"].shape[0])]
    return {"useful": training_step_flops(model, useful), "padded": training_step_flops(model, padded)}


def real_batches(args) -> tuple[object, list, float]:
    """The model (train mode, as configured) and ``args.steps + 1`` collated batches of the real trainer."""
    from hybridbatch.models.loading import load_model
    from hybridbatch.training.config import load_config
    from hybridbatch.training.data import prepare_data
    from hybridbatch.training.runtime import resolve_prompts
    from hybridbatch.training.trainer import build_trainer

    config = load_config(args.config)
    t = config.training
    t.batch_size, t.max_steps, t.eval_steps, t.precision, t.device = args.batch_size, 10 ** 6, 10 ** 6, "fp32", "cpu"
    t.distill_weight, t.select_metric, t.retrieval_validation = 0.0, "loss", False
    if args.negatives_file:  # the file was mined for the config's own training split
        config.negatives.file = str(Path(args.negatives_file).resolve())
    else:
        config.validation_fraction = 0.0
    data = prepare_data(config, args.data_dir)
    model = load_model(args.model, max_seq_length=t.max_seq_length)
    if args.attn:
        model[0].auto_model.set_attn_implementation(args.attn)
    with tempfile.TemporaryDirectory() as tmp:
        config.output_dir = tmp
        trainer = build_trainer(config, model, data, resolve_prompts(model, t.prompts), [])
        loader = iter(trainer.get_train_dataloader())
        batches = [trainer.collect_features(next(loader)) for _ in range(args.steps + 1)]
    model.train()
    return model, batches, t.scale


MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::matmul", "aten::linear")
DROPOUT_OPS = ("aten::bernoulli_", "aten::bernoulli", "aten::native_dropout", "aten::rand", "aten::uniform_")


def profile_step(model, loss_fn, batch, precision: str) -> dict[str, float]:
    """Self CPU seconds of one forward + loss + backward, grouped: matrix products, dropout masks, the rest."""
    from torch.profiler import ProfilerActivity, profile

    features, labels = batch
    model.zero_grad(set_to_none=True)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with autocast(precision):
            loss = loss_fn([dict(f) for f in features], labels)
        loss.backward()
    groups = {"matrix products": 0.0, "dropout masks": 0.0, "the rest": 0.0}
    for event in prof.key_averages():
        group = ("matrix products" if event.key in MATMUL_OPS else
                 "dropout masks" if event.key in DROPOUT_OPS else "the rest")
        groups[group] += event.self_cpu_time_total / 1e6
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "mlqa-to-xquad.yaml"))
    parser.add_argument("--data-dir")
    parser.add_argument("--model", default="default")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--steps", type=int, default=3, help="timed batches per variant (plus one warm-up)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--overheads", default=str(FORWARD_OVERHEAD_TOKENS), help="sorted variants to run: per-forward overhead "
                        "in tokens of the sub-batch plan, comma-separated")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice); on a shared "
                        "machine 1 thread is less disturbed by other processes")
    parser.add_argument("--attn", choices=["sdpa", "eager"], help="attention implementation (default: as loaded)")
    parser.add_argument("--negatives-file", help="mined negatives (hybridbatch mine) for a third column")
    parser.add_argument("--cached", type=int, help="also time cached MNRL with this mini-batch size")
    parser.add_argument("--no-padded", action="store_true", help="leave out today's padded step (it does not fit "
                        "in memory at batch 256 with negatives on 24 GB); ratios are then to the first variant")
    parser.add_argument("--profile", action="store_true", help="also profile one step of the last variant and "
                        "print where its time goes (matrix products, dropout masks, the rest)")
    parser.add_argument("--out", help="also write the numbers as JSON")
    args = parser.parse_args()

    import torch
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )

    from hybridbatch.training.sub_batches import LengthSortedLoss, token_counts

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"CPU flags: {' '.join(cpu_flags()) or '(none found)'}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    model, batches, scale = real_batches(args)
    auto = model[0].auto_model
    cfg = auto.config
    params = sum(p.numel() for p in auto.encoder.parameters())
    print(f"model {args.model}: attn_implementation {cfg._attn_implementation}, {cfg.num_hidden_layers} layers, "
          f"hidden {cfg.hidden_size}, {params / 1e6:.2f}M non-embedding parameters; dropout "
          f"{cfg.hidden_dropout_prob}/{cfg.attention_probs_dropout_prob} (train mode); precision {args.precision}")
    base = MultipleNegativesRankingLoss(model, scale=scale)
    variants = {} if args.no_padded else {"padded": base}
    for o in (float(x) for x in args.overheads.split(",")):
        variants[f"sorted@{o:g}"] = LengthSortedLoss(base, overhead_tokens=o)
    if args.cached:
        variants[f"cached@{args.cached}"] = CachedMultipleNegativesRankingLoss(model, scale=scale,
                                                                             mini_batch_size=args.cached)
    names = list(variants)
    times: dict[str, list[float]] = {n: [] for n in names}
    losses: dict[str, list[float]] = {n: [] for n in names}
    kernel: dict[str, list[tuple[float, int]]] = {n: [] for n in names}  # (system seconds, page faults)
    for i, (features, labels) in enumerate(batches):
        for name in names if i % 2 == 0 else names[::-1]:
            model.zero_grad(set_to_none=True)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            start = time.perf_counter()
            with autocast(args.precision):
                loss = variants[name]([dict(f) for f in features], labels)
            loss.backward()
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_SELF)
            kernel[name].append((after.ru_stime - usage.ru_stime, after.ru_minflt - usage.ru_minflt))
            losses[name].append(float(loss.detach()))
        c = token_counts(features, FORWARD_OVERHEAD_TOKENS)
        print(f"batch {i}{' (warm-up)' if i == 0 else ''}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in names)
              + f"; tokens real {c['real']}, padded {c['padded']}, sorted {c['sorted']} in {c['forwards']} passes",
              flush=True)

    peak = gemm_peak(args.precision) * 1e9
    timed = batches[1:]
    per_step = [step_flops(f, model) for f, _ in timed]
    flops_padded = statistics.mean(x["padded"] for x in per_step)
    flops = statistics.mean(x["useful"] for x in per_step)
    bound, bound_padded = flops / peak, flops_padded / peak
    counts = [token_counts(f, FORWARD_OVERHEAD_TOKENS) for f, _ in timed]
    mean = {k: statistics.mean(c[k] for c in counts) for k in counts[0]}
    print(f"tokens per step (mean of {len(timed)} batches of {args.batch_size}): real {mean['real']:.0f}, padded as "
          f"today {mean['padded']:.0f} ({mean['padded'] / mean['real']:.2f}x real), length-sorted "
          f"(overhead {FORWARD_OVERHEAD_TOKENS}) {mean['sorted']:.0f} ({mean['sorted'] / mean['real']:.2f}x real) "
          f"in {mean['forwards']:.1f} forward passes")
    print(f"matmul peak ({args.precision}, 2048^3 torch.mm): {peak / 1e9:.1f} GFLOP/s; model FLOPs per step "
          f"{flops / 1e12:.3f} TFLOP useful, {flops_padded / 1e12:.3f} TFLOP padded -> bound {bound:.2f} s/step "
          f"(padded {bound_padded:.2f})")
    medians = {n: statistics.median(times[n][1:]) for n in names}
    ref = names[0]  # "padded" unless --no-padded
    for n in names:
        drift = max(abs(a - b) for a, b in zip(losses[n], losses[ref]))
        per_batch = statistics.median(a / b for a, b in zip(times[ref][1:], times[n][1:]))
        print(f"{n:>12}: {medians[n]:.2f} s/step = {100 * medians[n] / args.batch_size:.2f} s per 100 rows "
              f"(median; steps {[round(x, 2) for x in times[n][1:]]}), "
              f"speed-up {medians[ref] / medians[n]:.2f}x over {ref} (median of per-batch ratios {per_batch:.2f}x), "
              f"{medians[n] / bound:.2f}x the FLOP bound (padded {medians[n] / bound_padded:.2f}x); in the kernel "
              f"{statistics.mean(k[0] for k in kernel[n][1:]):.2f} s/step, "
              f"{statistics.mean(k[1] for k in kernel[n][1:]) / 1e3:.0f}k page faults/step; "
              f"max |loss - {ref} loss| {drift:.1e} (dropout draws differ)")
    profile = profile_step(model, variants[names[-1]], batches[-1], args.precision) if args.profile else None
    if profile:
        total = sum(profile.values())
        print(f"profile of one {names[-1]} step (self CPU time by operator group): " + ", ".join(
            f"{k} {v:.2f} s ({100 * v / total:.0f}%)" for k, v in profile.items()))
    if args.out:
        Path(args.out).write_text(json.dumps({"medians": medians, "times": times, "tokens": mean, "peak": peak,
                                              "flops": flops, "bound": bound, "flops_padded": flops_padded,
                                              "bound_padded": bound_padded,
                                              "ratio_to_bound": {n: medians[n] / bound for n in names},
                                              "ratio_to_padded_bound": {n: medians[n] / bound_padded
                                                                        for n in names},
                                              "cpu_flags": cpu_flags(),
                                              "precision": args.precision, "batch_size": args.batch_size,
                                              "columns": len(batches[0][0]),
                                              "negatives_file": args.negatives_file,
                                              "profile_seconds": profile}, indent=2) + "\n")


if __name__ == "__main__":
    main()
