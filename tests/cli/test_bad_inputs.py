"""The bad-input suite: one row per case, every command. Each case must exit 2 with exactly one stderr line
``hybridbatch: error: ...`` naming the file (or option) and the record where there is one, show no
traceback, and leave the folder it ran in exactly as it was (nothing written, moved or half-done).

Row: (id, argv, files, fragment, names, env). In argv, file contents and env values ``{t}`` is the case's
folder, ``{m}`` a folder of valid material shared by all cases (``items.jsonl``, ``emb.npz`` for
lareqa_tiny, ``eval/`` an evaluation of it, ``model/`` the tiny model) and ``{fx}`` tests/fixtures.
``files`` maps a path below ``{t}`` to its content: text, bytes, or a maker (``DIR``, ``link(target)``,
``copy(src)``, ``npz(**arrays)``, ``truncated(src)``). ``fragment`` must be in the message and so must
``names`` (the file or option at fault, with its record when there is one).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from hybridbatch.cli import main
from tests.training.helpers import toy_items, write_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


class Case(NamedTuple):
    id: str
    argv: list[str]
    files: dict[str, Any]
    fragment: str
    names: str
    env: dict[str, str | None] = {}


DIR = ("dir",)
LOCKED = ("locked",)  # a folder this user may not write (the case is skipped for root)


def link(target: str) -> tuple:
    return ("link", target)


def copy(src: str) -> tuple:
    return ("copy", src)


def npz(src: str | None = None, **arrays) -> tuple:
    """The valid .npz ``src`` (default: the file already at the path) with ``arrays`` replaced."""
    return ("npz", src, arrays)


def nan(src: str | None = None, key: str | None = None) -> tuple:
    """The valid .npz ``src`` (default: the file at the path) with one NaN in array ``key`` (default: the
    first non-empty one)."""
    return ("nan", src, key)


def truncated(src: str) -> tuple:
    return ("truncated", src)


TRAIN = "datasets: [{jsonl: {m}/items.jsonl}]\noutput_dir: {t}/run\ntraining: {batch_size: 8, max_steps: 2}\n"
EXPERIMENT = ("name: x\ntrain: {toy: {t}/train.yaml}\ngrid: [{strategy: [hybrid], alpha: [0.5], seed: [1]}]\n"
              "evaluate: {benchmarks: ['lareqa:{fx}/lareqa_tiny']}\ninclude_base: false\nout: {t}/exp\n")
LAREQA = "lareqa:{fx}/lareqa_tiny"
EVAL = ["evaluate", "--embeddings", "{m}/emb.npz", "--benchmark", LAREQA, "--out", "{t}/out"]
EVAL_AT = ["evaluate", "--embeddings", "{m}/emb.npz", "--benchmark", "lareqa:{t}/bench", "--out", "{t}/out"]
EVAL_EMB = ["evaluate", "--embeddings", "{t}/e.npz", "--benchmark", LAREQA, "--out", "{t}/out"]
EVAL_MODEL = ["evaluate", "--model", "{t}/model", "--benchmark", LAREQA, "--out", "{t}/out"]
BENCH = {"bench": copy("{fx}/lareqa_tiny")}
BEIR = {"beir": copy("{fx}/beir_tiny")}
EVAL_BEIR = ["evaluate", "--embeddings", "{t}/e.npz", "--benchmark", "beir:{t}/beir", "--out", "{t}/out"]
DRY = ["train", "--config", "{t}/train.yaml", "--dry-run"]
TRAIN_RUN = ["train", "--config", "{t}/train.yaml"]
REPORT = ["report", "{t}/ev", "--out", "{t}/rep", "--resamples", "20"]
EV = {"ev": copy("{m}/eval")}
LEAK = ["check-leakage", "--train", "{m}/items.jsonl", "--eval", LAREQA]
EXP = ["experiment", "--config", "{t}/exp.yaml"]
MODEL = {"model": copy("{m}/model")}
TRUNCATED_MODEL = MODEL | {"model/model.safetensors": truncated("{m}/model/model.safetensors")}
OBJECTS = np.array([{"a": 1}, None], dtype=object)
STRINGS = np.array(["x", "y"])


def train(extra: str = "", **replace: str) -> str:
    text = TRAIN
    for old, new in replace.items():
        text = text.replace(old, new)
    return text + extra


def experiment(extra: str = "", **replace: str) -> str:
    text = EXPERIMENT
    for old, new in replace.items():
        text = text.replace(old, new)
    return text + extra


def per_query(value) -> dict:
    return EV | {"ev/per_query.npz": value}


CASES = [
    # ---- train: the config file ----
    Case("train-yaml-malformed", DRY, {"train.yaml": "datasets: [\n"}, "malformed YAML", "train.yaml"),
    Case("train-yaml-empty", DRY, {"train.yaml": ""}, "should be a mapping", "train.yaml"),
    Case("train-yaml-not-utf8", DRY, {"train.yaml": b"datasets: [\xff\xfe]\n"}, "not UTF-8", "train.yaml"),
    Case("train-yaml-a-list", DRY, {"train.yaml": "- datasets\n"}, "should be a mapping", "train.yaml"),
    Case("train-yaml-missing", DRY, {}, "config file not found", "train.yaml"),
    Case("train-yaml-is-a-folder", DRY, {"train.yaml": DIR}, "Is a directory", "train.yaml"),
    Case("train-yaml-dangling-link", DRY, {"train.yaml": link("{t}/nowhere.yaml")}, "not found", "train.yaml"),
    Case("train-yaml-link-loop", DRY, {"train.yaml": link("{t}/train.yaml")}, "Too many levels of symbolic links",
         "train.yaml"),
    Case("train-unknown-key", DRY, {"train.yaml": train("trainng: {}\n")}, "unknown config key 'trainng'",
         "train.yaml"),
    Case("train-batch-size-word", DRY, {"train.yaml": train(**{"8": "eight"})}, "should be int",
         "training.batch_size"),
    Case("train-max-seq-length-1e20", DRY, {"train.yaml": train(**{"max_steps: 2": "max_seq_length: 1.0e+20"})},
         "should be int", "training.max_seq_length"),
    Case("train-strategy-a-list", DRY, {"train.yaml": train("sampling: {strategy: [hybrid]}\n")},
         "'sampling.strategy' is ['hybrid']", "train.yaml"),
    Case("train-alpha-nan", DRY, {"train.yaml": train("sampling: {alpha: .nan}\n")}, "finite number",
         "sampling.alpha"),
    Case("train-datasets-null", DRY, {"train.yaml": train(**{"[{jsonl: {m}/items.jsonl}]": "null"})},
         "'datasets' should be a list", "train.yaml"),
    Case("train-validation-fraction-1", DRY, {"train.yaml": train("validation_fraction: 1\n")}, "must be < 1",
         "validation_fraction"),
    # ---- train: options ----
    Case("train-batch-size-0", DRY + ["--batch-size", "0"], {"train.yaml": train()}, "must be >= 2",
         "training.batch_size"),
    Case("train-batch-size-negative", DRY + ["--batch-size", "-3"], {"train.yaml": train()}, "must be >= 2",
         "training.batch_size"),
    Case("train-lr-negative", DRY + ["--lr=-1e-5"], {"train.yaml": train()}, "must be > 0",
         "training.learning_rate"),
    Case("train-max-steps-0", DRY + ["--max-steps", "0"], {"train.yaml": train()}, "must be >= 1",
         "training.max_steps"),
    Case("train-max-seq-length-huge", DRY + ["--max-seq-length", "100000000000000000000"], {"train.yaml": train()},
         "must be <= 100000", "training.max_seq_length"),
    Case("train-alpha-1.5", DRY + ["--alpha", "1.5"], {"train.yaml": train()}, "must be <= 1.0", "sampling.alpha"),
    Case("train-strategy-unknown", DRY + ["--strategy", "zigzag"], {"train.yaml": train()},
         "expected one of x-x-mono, x-y, hybrid", "sampling.strategy"),
    Case("train-plan-batches-negative", DRY + ["--plan-batches", "-1"], {"train.yaml": train()}, "must be in 1..",
         "--plan-batches"),
    Case("train-plan-batches-0", DRY + ["--plan-batches", "0"], {"train.yaml": train()}, "must be in 1..",
         "--plan-batches"),
    Case("train-world-size-0", DRY + ["--world-size", "0"], {"train.yaml": train()}, "must be >= 1",
         "--world-size"),
    Case("train-unbounded-plan", DRY + ["--max-steps", "1000000000000"], {"train.yaml": train()},
         "pass --plan-batches", "--plan-batches"),
    Case("train-plan-out-a-folder", DRY + ["--plan-out", "{t}/plans"], {"train.yaml": train(), "plans": DIR},
         "is a folder", "plans"),
    Case("train-plan-out-inside-a-file", DRY + ["--plan-out", "{t}/f/plan.jsonl"], {"train.yaml": train(), "f": "x"},
         "is a file, not a folder", "plan.jsonl"),
    Case("train-plan-out-unwritable", DRY + ["--plan-out", "{t}/locked/plan.jsonl"],
         {"train.yaml": train(), "locked": LOCKED}, "not writable", "plan.jsonl"),
    # ---- train: the training data ----
    Case("train-jsonl-missing", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/none.jsonl"})},
         "No such file", "none.jsonl"),
    Case("train-jsonl-a-folder", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/d.jsonl"}), "d.jsonl": DIR},
         "Is a directory", "d.jsonl"),
    Case("train-jsonl-dangling-link", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/l.jsonl"}),
                                            "l.jsonl": link("{t}/nowhere")}, "No such file", "l.jsonl"),
    Case("train-jsonl-malformed-line", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/i.jsonl"}),
                                             "i.jsonl": '{"group": "g", "lang": "en"\n'}, "line 1", "i.jsonl"),
    Case("train-jsonl-not-utf8", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/i.jsonl"}),
                                       "i.jsonl": b'{"group": "\xff"}\n'}, "UTF-8", "i.jsonl"),
    Case("train-jsonl-empty", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/i.jsonl"}), "i.jsonl": ""},
         "i.jsonl", "i.jsonl"),
    Case("train-jsonl-missing-field", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/i.jsonl"}),
                                            "i.jsonl": '{"group": "g", "lang": "en", "query": "q"}\n'},
         "'passage' should be a non-empty string", "i.jsonl: line 1"),
    Case("train-jsonl-wrong-type", DRY, {"train.yaml": train(**{"{m}/items.jsonl": "{t}/i.jsonl"}),
                                         "i.jsonl": '{"group": "g", "lang": "en", "query": 5, "passage": "p"}\n'},
         "'query'", "i.jsonl: line 1"),
    Case("train-unknown-language", DRY, {"train.yaml": train(**{"{m}/items.jsonl}": "{m}/items.jsonl, languages: "
                                                                                    "[en, xx]}"})}, "unknown language(s) xx", "items.jsonl"),
    # ---- train: checkpoints, model, output ----
    Case("train-resume-missing-checkpoint", TRAIN_RUN + ["--resume", "{t}/ck"], {"train.yaml": train()},
         "checkpoint folder not found", "ck"),
    Case("train-resume-broken-checkpoint", TRAIN_RUN + ["--resume", "{t}/ck"],
         {"train.yaml": train(), "ck/trainer_state.json": "{trunc"}, "unreadable checkpoint", "ck"),
    Case("train-resume-no-complete-checkpoint", TRAIN_RUN + ["--model", "{m}/model", "--resume"],
         {"train.yaml": train(), "run/checkpoints/checkpoint-2/config.json": "{}"},
         "no complete checkpoint to resume from", "run/checkpoints"),
    Case("train-fresh-run-over-checkpoints", TRAIN_RUN + ["--model", "{m}/model"],
         {"train.yaml": train(), "run/checkpoints/checkpoint-2/config.json": "{}"},
         "already holds checkpoints", "run"),
    Case("train-model-truncated-safetensors", TRAIN_RUN + ["--model", "{t}/model"],
         {"train.yaml": train()} | TRUNCATED_MODEL, "cannot load model", "model"),
    Case("train-output-dir-a-file", TRAIN_RUN + ["--model", "{m}/model"], {"train.yaml": train(), "run": "my notes"},
         "output_dir exists and is not a folder", "run"),
    # ---- evaluate ----
    Case("evaluate-out-an-existing-file", EVAL, {"out": "my notes"}, "exists and is not a folder", "out"),
    Case("evaluate-out-inside-a-file", EVAL[:-1] + ["{t}/f/out"], {"f": "x"}, "is a file, not a folder", "out"),
    Case("evaluate-out-unwritable", EVAL[:-1] + ["{t}/locked/out"], {"locked": LOCKED}, "not writable", "out"),
    Case("evaluate-save-embeddings-a-folder", EVAL + ["--save-embeddings", "{t}/d"], {"d": DIR}, "is a folder",
         "--save-embeddings"),
    Case("evaluate-save-embeddings-inside-a-file", EVAL + ["--save-embeddings", "{t}/f/e.npz"], {"f": "x"},
         "is a file, not a folder", "e.npz"),
    Case("evaluate-batch-size-0", EVAL + ["--batch-size", "0"], {}, "'batch_size' is 0", "batch_size"),
    Case("evaluate-batch-size-negative", EVAL + ["--batch-size", "-5"], {}, "'batch_size' is -5", "batch_size"),
    Case("evaluate-max-seq-length-0", EVAL + ["--max-seq-length", "0"], {}, "'max_seq_length' is 0",
         "max_seq_length"),
    Case("evaluate-unknown-language", EVAL + ["--languages", "de,xx"], {}, "unknown language(s) xx", "lareqa_tiny"),
    Case("evaluate-language-file-a-folder", EVAL_AT + ["--languages", "en"], BENCH | {"bench/en.json": DIR},
         "language file is", "en.json"),
    Case("evaluate-language-file-dangling", EVAL_AT, BENCH | {"bench/de.json": link("{t}/nowhere")},
         "language file is", "de.json"),
    Case("evaluate-language-file-loop", EVAL_AT, BENCH | {"bench/de.json": link("{t}/bench/de.json")},
         "broken or looping link", "de.json"),
    Case("evaluate-language-file-malformed", EVAL_AT, BENCH | {"bench/en.json": '{"data": [ {'}, "malformed JSON",
         "en.json"),
    Case("evaluate-language-file-not-utf8", EVAL_AT, BENCH | {"bench/en.json": b'{"data": ["\xff"]}'}, "UTF-8",
         "en.json"),
    Case("evaluate-language-file-empty", EVAL_AT, BENCH | {"bench/en.json": b""}, "malformed JSON", "en.json"),
    Case("evaluate-language-file-no-data", EVAL_AT, BENCH | {"bench/en.json": '{"data": 5}'}, "no 'data' list",
         "en.json"),
    Case("evaluate-benchmark-folder-missing", EVAL[:4] + ["lareqa:{t}/none", "--out", "{t}/out"], {},
         "not found", "none"),
    Case("evaluate-benchmark-unknown", EVAL[:4] + ["xquad-q", "--out", "{t}/out"], {}, "unknown benchmark",
         "xquad-q"),
    Case("evaluate-embeddings-missing", EVAL_EMB, {}, "embeddings file not found", "e.npz"),
    Case("evaluate-embeddings-zero-bytes", EVAL_EMB, {"e.npz": b""}, "not a readable .npz", "e.npz"),
    Case("evaluate-embeddings-a-folder", EVAL_EMB, {"e.npz": DIR}, "is a folder, not a file", "e.npz"),
    Case("evaluate-embeddings-object-array", EVAL_EMB, {"e.npz": npz("{m}/emb.npz", Q_en=OBJECTS)}, "array 'Q_en' is unreadable",
         "e.npz"),
    Case("evaluate-embeddings-string-array", EVAL_EMB, {"e.npz": npz("{m}/emb.npz", Q_en=STRINGS)}, "array 'Q_en' holds <U1",
         "e.npz"),
    Case("evaluate-embeddings-nan", EVAL_EMB, {"e.npz": nan("{m}/emb.npz", "C_de")}, "NaN", "e.npz"),
    Case("evaluate-embeddings-a-plain-npy", EVAL_EMB, {"e.npz": ("npy",)}, "not an .npz archive", "e.npz"),
    Case("evaluate-embeddings-not-npz", EVAL_EMB, {"e.npz": "hello"}, "not a readable .npz", "e.npz"),
    Case("evaluate-model-missing", EVAL_MODEL, {}, "not a model folder", "model"),
    Case("evaluate-model-empty-folder", EVAL_MODEL, {"model": DIR}, "not a model folder", "model"),
    Case("evaluate-model-truncated-safetensors", EVAL_MODEL, TRUNCATED_MODEL, "cannot load model", "model"),
    Case("evaluate-beir-queries-malformed", EVAL_BEIR, BEIR | {"beir/queries.jsonl": '{"_id": "q1"\n'},
         "line 1: malformed JSON", "queries.jsonl"),
    Case("evaluate-beir-corpus-not-utf8", EVAL_BEIR, BEIR | {"beir/corpus.jsonl": b'{"_id": "\xff"}\n'},
         "not UTF-8", "corpus.jsonl"),
    Case("evaluate-beir-qrels-a-folder", EVAL_BEIR, BEIR | {"beir/qrels/test.tsv": DIR}, "not found", "test.tsv"),
    # ---- report ----
    Case("report-resamples-0", REPORT + ["--resamples", "0"], EV, "must be >= 1", "--resamples"),
    Case("report-resamples-negative", REPORT + ["--resamples", "-5"], EV, "must be >= 1", "--resamples"),
    Case("report-out-an-existing-file", REPORT, EV | {"rep": "my notes"}, "exists and is not a folder", "rep"),
    Case("report-out-unwritable", REPORT[:3] + ["{t}/locked/rep"], EV | {"locked": LOCKED}, "not writable", "rep"),
    Case("report-run-missing", REPORT, {}, "no evaluation folder", "ev"),
    Case("report-no-evaluation", REPORT, {"ev/notes.txt": "x"}, "no evaluation folder", "ev"),
    Case("report-results-malformed", REPORT, EV | {"ev/results.json": "{"}, "malformed JSON", "ev"),
    Case("report-results-not-utf8", REPORT, EV | {"ev/results.json": b'{"\xff": 1}'}, "not UTF-8", "results.json"),
    Case("report-results-a-list", REPORT, EV | {"ev/results.json": "[]"}, "not list", "results.json"),
    Case("report-results-no-benchmark", REPORT, EV | {"ev/results.json": '{"kind": "lareqa"}'}, "no 'benchmark'",
         "results.json"),
    Case("report-config-missing", REPORT, EV | {"ev/config.json": None}, "no config.json", "ev"),
    Case("report-per-query-zero-bytes", REPORT, per_query(b""), "not a readable .npz", "per_query.npz"),
    Case("report-per-query-object-array", REPORT, per_query(npz(**{"mo/map": OBJECTS})), "'mo/map' is unreadable",
         "per_query.npz"),
    Case("report-per-query-string-array", REPORT, per_query(npz(**{"mo/map": STRINGS})), "'mo/map' holds <U1",
         "per_query.npz"),
    Case("report-per-query-infinite", REPORT, per_query(npz(**{"mo/map": np.array([np.inf] * 9)})),
         "'mo/map' holds infinite values", "per_query.npz"),
    Case("report-per-query-nan", REPORT[:2] + ["{t}/ev2"] + REPORT[2:], EV | {"ev2": copy("{m}/eval"), "ev/per_query.npz": nan(key="mo/map")},
         "'mo/map' is NaN for queries that", "ev/per_query.npz"),
    Case("report-per-query-a-folder", REPORT, per_query(DIR), "no per_query.npz", "ev"),
    # ---- check-leakage ----
    Case("leakage-out-a-folder", LEAK + ["--out", "{t}/d"], {"d": DIR}, "is a folder", "--out"),
    Case("leakage-out-inside-a-file", LEAK + ["--out", "{t}/f/r.json"], {"f": "x"}, "is a file, not a folder",
         "r.json"),
    Case("leakage-train-missing", ["check-leakage", "--train", "{t}/none.jsonl", "--eval", LAREQA], {},
         "No such file", "none.jsonl"),
    Case("leakage-train-malformed", ["check-leakage", "--train", "{t}/i.jsonl", "--eval", LAREQA],
         {"i.jsonl": "{\n"}, "line 1", "i.jsonl"),
    Case("leakage-train-yaml-malformed", ["check-leakage", "--train", "{t}/train.yaml", "--eval", LAREQA],
         {"train.yaml": "datasets: [\n"}, "malformed YAML", "train.yaml"),
    Case("leakage-eval-unknown", LEAK[:3] + ["--eval", "nosuch"], {}, "unknown benchmark", "nosuch"),
    Case("leakage-min-chars-negative", LEAK + ["--min-chars", "-1"], {}, "must be >= 0", "--min-chars"),
    Case("leakage-examples-negative", LEAK + ["--examples", "-1"], {}, "must be >= 0", "--examples"),
    # ---- experiment ----
    Case("experiment-yaml-malformed", EXP, {"exp.yaml": "grid: [\n"}, "malformed YAML", "exp.yaml"),
    Case("experiment-yaml-not-utf8", EXP, {"exp.yaml": b"name: \xff\n"}, "not UTF-8", "exp.yaml"),
    Case("experiment-yaml-empty", EXP, {"exp.yaml": ""}, "should be a mapping", "exp.yaml"),
    Case("experiment-alpha-a-word", EXP, {"exp.yaml": experiment(**{"alpha: [0.5]": "alpha: [half]"}),
                                          "train.yaml": train()}, "should be float", "grid[0].alpha[0]"),
    Case("experiment-grid-null", EXP, {"exp.yaml": experiment(**{
        "grid: [{strategy: [hybrid], alpha: [0.5], seed: [1]}]": "grid: null"}), "train.yaml": train()},
         "'grid' should be a list, got NoneType", "exp.yaml"),
    Case("experiment-grid-empty", EXP, {"exp.yaml": experiment(**{
        "grid: [{strategy: [hybrid], alpha: [0.5], seed: [1]}]": "grid: []"}), "train.yaml": train()},
         "'grid' is empty", "exp.yaml"),
    Case("experiment-strategy-a-string", EXP, {"exp.yaml": experiment(**{"strategy: [hybrid]": "strategy: hybrid"}),
                                               "train.yaml": train()}, "should be a list", "grid[0].strategy"),
    Case("experiment-seed-a-word", EXP, {"exp.yaml": experiment(**{"seed: [1]": "seed: [one]"}),
                                         "train.yaml": train()}, "should be int", "grid[0].seed[0]"),
    Case("experiment-alpha-out-of-range", EXP, {"exp.yaml": experiment(**{"alpha: [0.5]": "alpha: [1.5]"}),
                                                "train.yaml": train()}, "outside [0, 1]", "exp.yaml"),
    Case("experiment-train-config-missing", EXP, {"exp.yaml": experiment()}, "config file not found",
         "train.yaml"),
    Case("experiment-train-config-missing-list", EXP + ["--list"], {"exp.yaml": experiment()},
         "config file not found", "train.yaml"),
    Case("experiment-unknown-override", EXP, {"exp.yaml": experiment("train_overrides: {lr: 1}\n"),
                                              "train.yaml": train()}, "unknown override key 'lr'", "exp.yaml"),
    Case("experiment-evaluate-wise-2", EXP, {"exp.yaml": experiment("evaluate_wise: 2\n"), "train.yaml": train()},
         "must be <= 1.0", "evaluate_wise"),
    Case("experiment-unknown-training-set", EXP, {"exp.yaml": experiment(**{"seed: [1]": "seed: [1], train: [xx]"}),
                                                  "train.yaml": train()}, "'xx'", "exp.yaml"),
    Case("experiment-out-an-existing-file", EXP + ["--out", "{t}/o"], {"exp.yaml": experiment(),
                                                                      "train.yaml": train(), "o": "my notes"},
         "--out exists and is not a folder", "o"),
    Case("experiment-unknown-benchmark", EXP, {"exp.yaml": experiment(**{"'lareqa:{fx}/lareqa_tiny'": "nosuch"}),
                                               "train.yaml": train()}, "unknown benchmark 'nosuch'", "exp.yaml"),
    Case("experiment-only-unknown-run", EXP + ["--only", "nosuch"], {"exp.yaml": experiment(),
                                                                    "train.yaml": train()}, "unknown run(s) nosuch", "--only"),
    # ---- merge ----
    Case("merge-out-an-existing-file", ["merge", "{m}/model", "{m}/model", "--out", "{t}/o"], {"o": "my notes"},
         "not a folder", "o"),
    Case("merge-soup-of-one", ["merge", "{m}/model", "--out", "{t}/o"], {}, "two or more models", "soup"),
    Case("merge-lambda-1.5", ["merge", "{m}/model", "--base", "{m}/model", "--lambda", "1.5", "--out", "{t}/o"], {},
         "outside [0, 1]", "lambda 1.5"),
    Case("merge-lambda-a-word", ["merge", "{m}/model", "--base", "{m}/model", "--lambda", "half", "--out", "{t}/o"],
         {}, "expected comma-separated numbers", "--lambda"),
    Case("merge-weights-not-summing-to-1", ["merge", "{m}/model", "{m}/model", "--weights", "0.5,0.6",
                                            "--out", "{t}/o"], {}, "summing to 1", "--weights"),
    Case("merge-model-missing", ["merge", "{t}/none", "{m}/model", "--out", "{t}/o"], {}, "none", "none"),
    Case("merge-model-truncated", ["merge", "{t}/model", "{m}/model", "--out", "{t}/o"], TRUNCATED_MODEL,
         "cannot load model", "model"),
    Case("merge-validate-with-malformed", ["merge", "{m}/model", "--base", "{m}/model", "--lambda", "0.5,1",
                                           "--validate-with", "{t}/train.yaml", "--out", "{t}/o"],
         {"train.yaml": "datasets: [\n"}, "malformed YAML", "train.yaml"),
    # ---- download (nothing is fetched: every case fails before the network) ----
    Case("download-no-destination", ["download"], {}, "no destination", "--dest", {"HYBRIDBATCH_DATA": None}),
    Case("download-dest-a-file", ["download", "--dest", "{t}/f"], {"f": "x"}, "--dest exists and is not a folder",
         "f"),
    Case("download-dest-inside-a-file", ["download", "--dest", "{t}/f/d"], {"f": "x"}, "is a file, not a folder",
         "f/d"),
    Case("download-timeout-0", ["download", "--dest", "{t}/d", "--timeout", "0"], {}, "must be > 0", "--timeout"),
    Case("download-timeout-negative", ["download", "--dest", "{t}/d", "--timeout=-1"], {}, "must be > 0",
         "--timeout"),
    Case("download-unknown-language", ["download", "--dest", "{t}/d", "--languages", "xx"], {}, "language(s) xx not in",
         "xx"),
    # ---- models ----
    Case("models-cache-inside-a-file", ["models", "--rebuild"], {"f": "x"}, "Not a directory", "f/cache",
         {"HYBRIDBATCH_CACHE": "{t}/f/cache"}),
]


@pytest.fixture(scope="module")
def material(tmp_path_factory, tiny_model_dir) -> Path:
    from hybridbatch.benchmarks.registry import load_benchmark
    from hybridbatch.evaluation.embeddings_file import save_embeddings

    m = tmp_path_factory.mktemp("material")
    write_jsonl(m / "items.jsonl", toy_items(40, ["en", "de"]))
    bench = load_benchmark(f"lareqa:{FIXTURES / 'lareqa_tiny'}")
    rng = np.random.default_rng(0)
    save_embeddings(m / "emb.npz", bench, rng.standard_normal((len(bench.queries), 8)).astype(np.float32),
                    rng.standard_normal((len(bench.candidates), 8)).astype(np.float32))
    assert main(["evaluate", "--embeddings", str(m / "emb.npz"), "--benchmark", f"lareqa:{FIXTURES / 'lareqa_tiny'}",
                 "--out", str(m / "eval")]) == 0
    shutil.copytree(tiny_model_dir, m / "model")
    return m


def _fill(text: str, t: Path, m: Path) -> str:
    return text.replace("{t}", str(t)).replace("{m}", str(m)).replace("{fx}", str(FIXTURES))


def _make(path: Path, content, t: Path, m: Path) -> None:
    edits = isinstance(content, tuple) and content[0] in ("nan", "npz")
    if not edits and (path.is_symlink() or path.exists()):  # replaces what a copy put there
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    if content is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(_fill(content, t, m), encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content == DIR:
        path.mkdir()
    elif content == LOCKED:
        path.mkdir(mode=0o500)
    elif content[0] in ("npz", "nan"):
        with np.load(Path(_fill(content[1], t, m)) if content[1] else path) as data:
            arrays = {k: data[k] for k in data.files}
        if content[0] == "npz":
            arrays |= content[2]
        else:
            key = content[2] or next(k for k in arrays if arrays[k].size)
            arrays[key] = arrays[key].astype(np.float64)
            arrays[key].flat[0] = np.nan
        path.unlink(missing_ok=True)
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
    elif content[0] == "link":
        path.symlink_to(_fill(content[1], t, m))
    elif content[0] == "copy":
        src = Path(_fill(content[1], t, m))
        shutil.copytree(src, path) if src.is_dir() else shutil.copy(src, path)
    elif content == ("npy",):
        np.save(path.with_suffix(".npy"), np.zeros((2, 2)))
        path.with_suffix(".npy").rename(path)
    elif content[0] == "truncated":
        data = Path(_fill(content[1], t, m)).read_bytes()
        path.unlink(missing_ok=True)
        path.write_bytes(data[: len(data) // 2])
    else:
        raise AssertionError(content)


def _snapshot(folder: Path) -> dict[str, Any]:
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = p.read_bytes()
    return out


def test_the_suite_is_big_enough_and_ids_are_unique():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.argv[0] for c in CASES} == {"train", "evaluate", "report", "check-leakage", "experiment", "merge",
                                         "download", "models"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, material: Path, tmp_path: Path, capsys, monkeypatch):
    if any(v == LOCKED for v in case.files.values()) and ROOT:
        pytest.skip("root writes anywhere")
    t = tmp_path / "case"
    t.mkdir()
    for rel, content in case.files.items():
        _make(t / rel, content, t, material)
    for key, value in case.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, _fill(value, t, material))
    monkeypatch.delenv("HYBRIDBATCH_DEBUG", raising=False)
    before = _snapshot(t)
    capsys.readouterr()
    try:
        code = main([_fill(a, t, material) for a in case.argv])
    finally:
        for p in t.rglob("*"):  # let pytest clean up the locked folders
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2, err
    assert "Traceback" not in err, err
    errors = [x for x in lines if x.startswith("hybridbatch: error:")]
    assert len(errors) == 1 and len(lines) == 1, lines
    message = _fill(errors[0], t, material)
    assert case.fragment in message, message
    assert _fill(case.names, t, material) in message, message
    assert _snapshot(t) == before, "the case left something behind or changed its input"
