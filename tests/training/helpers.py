"""Toy parallel training data for the planner / trainer tests (letters only, so the tiny test
tokenizer from conftest.build_tiny_model covers every character)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from hybridbatch.data.training_pairs import Item, PairSet, TrainingPairs


def word(i: int) -> str:
    """A distinct lowercase word per integer (bb, bc, ...)."""
    i += 27
    out = ""
    while i:
        out = chr(97 + i % 26) + out
        i //= 26
    return out


def toy_items(n_groups: int, languages: list[str], *, start: int = 0, missing: dict[str, int] | None = None,
              negatives: bool = False) -> list[Item]:
    """One item per (group, language). ``missing[lang] = k``: only the first k groups have lang."""
    missing = missing or {}
    items = []
    for g in range(start, start + n_groups):
        w = word(g)
        for lang in languages:
            if lang in missing and g - start >= missing[lang]:
                continue
            items.append(Item(f"g{w}", lang, f"what is {w} in {lang}", f"the {w} passage {lang}",
                              negative=f"not the {w} passage {lang}" if negatives else None))
    return items


def toy_pairs(n_groups: int = 30, languages: tuple[str, ...] = ("en", "de", "es"), name: str = "toy",
              **kwargs) -> PairSet:
    return PairSet(name, toy_items(n_groups, list(languages), **kwargs))


def toy_training(*sets: PairSet) -> TrainingPairs:
    return TrainingPairs(list(sets) or [toy_pairs()])


def write_jsonl(path: Path, items: list[Item]) -> Path:
    rows = [{k: v for k, v in vars(it).items() if v is not None} for it in items]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def parse_row(query: str, positive: str) -> tuple[str, str, str]:
    """(query_lang, passage_lang, group word) of a toy row's texts."""
    q, p = query.split(), positive.split()
    return q[-1], p[-1], q[2]


def record_training_batches(monkeypatch, train_queries: set[str], seen: list) -> None:
    """Make ``hybridbatch.training.trainer.build_trainer`` wrap the trainer's collator so that every training
    batch (recognised by its first query being a training query) is appended to ``seen`` as
    [[query, positive], ...]. ``monkeypatch``: pytest's fixture or anything with ``setattr``."""
    from hybridbatch.training import trainer as training

    original = training.build_trainer

    def build_trainer(*args, **kwargs):
        trainer = original(*args, **kwargs)
        collator = trainer.data_collator

        class Recorder:
            def __getattr__(self, name):
                return getattr(collator, name)

            def __call__(self, features):
                if features[0]["query"] in train_queries:
                    seen.append([[f["query"], f["positive"]] for f in features])
                return collator(features)

        trainer.data_collator = Recorder()
        return trainer

    monkeypatch.setattr(training, "build_trainer", build_trainer)


class Patcher:
    """``setattr`` for scripts without pytest's monkeypatch."""

    @staticmethod
    def setattr(target, name, value) -> None:
        setattr(target, name, value)
