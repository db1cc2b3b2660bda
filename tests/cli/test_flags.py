"""Every flag of every command that sets a config field is derived from that field (one declaration: its
spelling, type, range and help); no command writes such a flag by hand."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pytest

from hybridbatch.cli import build_parser
from hybridbatch.cli.config_flags import DEST_PREFIX, add_config_flags
from hybridbatch.config import override_fields, setting
from hybridbatch.evaluation.config import EvaluationConfig
from hybridbatch.experiment.config import ExecutorSettings, ExperimentConfig
from hybridbatch.merging.command import MergeRequest
from hybridbatch.mining.rank import MiningSettings
from hybridbatch.search.index import IndexSettings
from hybridbatch.training.config import TrainConfig

CONFIG_CLASSES = (TrainConfig, EvaluationConfig, ExperimentConfig, ExecutorSettings, IndexSettings, MiningSettings,
                  MergeRequest)


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _field_spellings(classes=CONFIG_CLASSES) -> dict[str, str]:
    """Every spelling a config field's flag has or would have, and every leaf name (as a dest) → its path."""
    out: dict[str, str] = {}
    for cls in classes:
        for path, leaf in override_fields(cls).items():
            for flag in {*leaf.flags, f"--{leaf.name.replace('_', '-')}"}:
                out[flag] = f"{cls.__name__}.{path}"
                out[f"--no-{flag[2:]}"] = f"{cls.__name__}.{path}"
            out[leaf.name] = f"{cls.__name__}.{path}"
    return out


def hand_written_shadows(commands: dict[str, argparse.ArgumentParser], spellings: dict[str, str],
                         allowed: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Flags not derived from a config field whose spelling or dest is a config field's (less the
    ``allowed`` (command, dest) pairs)."""
    found = []
    for name, parser in commands.items():
        for action in parser._actions:
            if (action.dest.startswith(DEST_PREFIX) or not action.option_strings or action.dest == "help"
                    or (name, action.dest) in allowed):
                continue
            found += [f"{name} {key} (shadows {spellings[key]})" for key in (*action.option_strings, action.dest)
                      if key in spellings]
    return found


# (command, dest) of flags that are not config fields although a field of some config class has the name: a
# command's own output path, the shared data folder of commands without such a field, and report's --base (a
# system label, not merge's base model)
NOT_FIELDS = frozenset({("evaluate", "out"), ("check-leakage", "out"), ("report", "out"), ("merge", "out"),
                        ("index", "out"), ("mine", "out"), ("report", "seen_languages"), ("report", "base"),
                        ("check-leakage", "train"), ("download", "languages"), ("train", "data_dir"),
                        ("mine", "data_dir"), ("check-leakage", "data_dir"),
                        ("export-records", "out")})


def test_no_command_writes_a_config_field_flag_by_hand():
    wrong = hand_written_shadows(_commands(), _field_spellings(), NOT_FIELDS)
    assert not wrong, wrong


def test_the_check_catches_a_hand_written_flag():
    parser = argparse.ArgumentParser()

    @dataclass
    class Settings:
        per_query: int = setting(4, ge=1, flags=("--negatives-per-query",))

    add_config_flags(parser, Settings)
    assert hand_written_shadows({"toy": parser}, _field_spellings([Settings])) == []
    parser.add_argument("--per-query", type=int)
    assert hand_written_shadows({"toy": parser}, _field_spellings([Settings])) == [
        "toy --per-query (shadows Settings.per_query)", "toy per_query (shadows Settings.per_query)"]


@pytest.mark.parametrize("command, flag", [("train", "--negatives-per-query"), ("mine", "--negatives-per-query"),
                                           ("train", "--precision"), ("mine", "--precision"),
                                           ("evaluate", "--precision"), ("index", "--precision"),
                                           ("search", "--device"), ("serve", "--backend"),
                                           ("experiment", "--device"), ("index", "--batch-size"),
                                           ("merge", "--lambda"), ("merge", "--select-metric"),
                                           ("merge", "--data-dir")])
def test_one_setting_has_one_spelling_in_every_command(command, flag):
    parser = _commands()[command]
    action = next(a for a in parser._actions if flag in a.option_strings)
    assert action.dest.startswith(DEST_PREFIX)
