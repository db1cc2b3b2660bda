"""``hybridbatch mine``: the train split only, the policies, byte-identical reruns served from the cache, and
errors that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridbatch.cli import main
from hybridbatch.data.negatives import ItemTable, read_negatives
from hybridbatch.errors import HybridbatchError
from hybridbatch.mining.command import MineRequest, run_mine
from hybridbatch.training.config import apply_overrides, load_config
from hybridbatch.training.data import prepare_data
from tests.training.helpers import toy_items, write_config, write_jsonl


def _config(tmp_path: Path, model: str = "default") -> Path:
    write_jsonl(tmp_path / "items.jsonl", toy_items(40, ["en", "de", "es"]))
    write_jsonl(tmp_path / "small.jsonl", toy_items(10, ["en", "fr"], start=300))
    return write_config(tmp_path / "train.yaml", {
        "datasets": [{"jsonl": "items.jsonl", "name": "toy"}, {"jsonl": "small.jsonl", "name": "small"}],
        "model": model, "seed": 3, "validation_fraction": 0.2, "training": {"max_seq_length": 32}})


def _lines(path: Path) -> tuple[dict, list[dict]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return rows[0], rows[1:]


def test_mining_twice_gives_the_same_bytes_from_the_cache(tmp_path, tiny_model_dir, capsys):
    cfg = _config(tmp_path, str(tiny_model_dir))
    a, b = tmp_path / "a.jsonl", tmp_path / "out" / "b.jsonl"
    assert main(["mine", "--config", str(cfg), "--out", str(a), "--per-query", "3"]) == 0
    first = capsys.readouterr().out
    assert main(["mine", "--config", str(cfg), "--out", str(b), "--per-query", "3"]) == 0
    second = capsys.readouterr().out
    assert a.read_bytes() == b.read_bytes()
    data = prepare_data(load_config(cfg))
    n_train = int(data.train.item_offsets[-1])
    assert f"encoding: {2 * n_train} distinct texts, {2 * n_train} encoded now, 0 from the cache" in first
    assert f"encoding: {2 * n_train} distinct texts, 0 encoded now, {2 * n_train} from the cache" in second
    assert f"mined {n_train} training queries (toy 96, small 16)" in second
    for key in ("negatives per query: ", "(of 3; ", "ranking: ", "same-language share of the eligible candidates",
                "median rank of kept negatives: ", f"negatives: {b}"):
        assert key in second
    header, records = _lines(a)
    assert {k: header[k] for k in ("policy", "per_query", "range_min", "range_max", "margin", "sampling", "seed")} == {
        "policy": "same-language", "per_query": 3, "range_min": 0, "range_max": 200, "margin": 0.0, "sampling": "top",
        "seed": 3}
    assert header["model"]["spec"] == str(tiny_model_dir) and header["model"]["precision"] == "fp32"
    assert header["training"]["validation_fraction"] == 0.2 and len(header["training"]["datasets"]) == 2
    assert header["versions"]["sentence-transformers"] and header["candidates"] == n_train
    # one line per training query item, none of the validation split, in global item order
    table = ItemTable(data.train)
    assert [(r["dataset"], r["query_id"]) for r in records] == [table.name_of(i) for i in range(len(table))]
    held_out = {(ps.name.split("/")[0], f"{it.group}/{it.lang}") for ps in data.validation.datasets for it in ps.items}
    named = {(r["dataset"], r["query_id"]) for r in records} | {
        (n.get("dataset", r["dataset"]), n["id"]) for r in records for n in r["negatives"]}
    assert held_out and not named & held_out
    assert main(["mine", "--config", str(cfg), "--check", str(a)]) == 0
    assert "valid for the training split (112 query items" in capsys.readouterr().out


@pytest.mark.parametrize("policy", ["same-language", "other-language", "any"])
def test_policies_and_clusters_with_a_mock_encoder(tmp_path, mock_encoder, policy):
    cfg = _config(tmp_path)
    out = tmp_path / f"{policy}.jsonl"
    summary = run_mine(MineRequest(str(cfg), out=out, overrides={"policy": policy, "per_query": 2, "range_max": 60,
                                                             "margin": None}),
                       encoder=mock_encoder)
    assert "negatives per query: 2.00" in summary
    data = prepare_data(load_config(cfg))
    mined = read_negatives(out, data.train)  # validates clusters, groups and the policy's languages
    table = ItemTable(data.train)
    for i, negs in enumerate(mined.per_item):
        assert len(negs) == 2
        for j in negs:
            assert table.cluster[j] != table.cluster[i]
            same = table.lang[j] == table.lang[i]
            assert same if policy == "same-language" else (not same if policy == "other-language" else True)
    _, records = _lines(out)
    other = [(r, n) for r in records for n in r["negatives"] if "dataset" in n]  # pooled over the datasets
    assert other and all(n["dataset"] != r["dataset"] for r, n in other)


def test_random_sampling_is_deterministic_for_a_seed(tmp_path, mock_encoder):
    cfg = _config(tmp_path)
    files = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        files.append(tmp_path / f"{name}.jsonl")
        run_mine(MineRequest(str(cfg), out=files[-1], sampling="random",
                             overrides={"policy": "any", "seed": seed, "range_max": 50}),
                 encoder=mock_encoder)
    assert files[0].read_bytes() == files[1].read_bytes() != files[2].read_bytes()


def test_seed_is_the_runs_seed_so_the_file_fits_that_runs_split(tmp_path, mock_encoder):
    cfg = _config(tmp_path)  # the config's seed is 3
    out = tmp_path / "seed7.jsonl"
    run_mine(MineRequest(str(cfg), out=out, overrides={"seed": 7}), encoder=mock_encoder)
    header, records = _lines(out)
    assert header["seed"] == 7 and header["training"]["seed"] == 7
    seed7 = prepare_data(apply_overrides(load_config(cfg), {"seed": 7}))
    seed3 = prepare_data(load_config(cfg))
    read = read_negatives(out, seed7.train, "same-language")
    assert read.n_negatives == sum(len(r["negatives"]) for r in records) > 0
    mined = {(r["dataset"], r["query_id"]) for r in records}
    table3 = ItemTable(seed3.train)
    assert mined != {table3.name_of(i) for i in range(len(table3))}
    with pytest.raises(HybridbatchError, match="another seed's validation split"):
        read_negatives(out, seed3.train, "same-language")


@pytest.mark.parametrize("args, message", [
    (["--negatives-range-min", "5", "--negatives-range-max", "5"],
     "negatives.range_max 5 must be larger than negatives.range_min 5"),
    (["--negatives-per-query", "0"], "command line: config key 'negatives.per_query' is 0; must be >= 1"),
    (["--per-query", "0"], "command line: config key 'negatives.per_query' is 0; must be >= 1"),  # earlier spelling
    (["--negatives-margin", "-1"], "config key 'negatives.margin' is -1.0; must be >= 0"),
    (["--sampling", "best"], "config key 'sampling' is 'best'; expected one of top, random"),
    (["--model", "no/such/model"], "not a model folder"),
    (["--check", "x.jsonl"], "give exactly one of --out (mine) and --check"),
])
def test_errors_are_one_line_and_write_nothing(tmp_path, capsys, args, message):
    cfg = _config(tmp_path)
    out = tmp_path / "keep" / "negatives.jsonl"
    out.parent.mkdir()
    out.write_text("earlier file\n")
    assert main(["mine", "--config", str(cfg), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hybridbatch: error:") and "\n" not in err and message in err, err
    assert out.read_text() == "earlier file\n" and list(out.parent.iterdir()) == [out]


def test_no_out_and_a_folder_as_out_are_refused(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["mine", "--config", str(cfg)]) == 2
    assert "give --out negatives.jsonl" in capsys.readouterr().err
    assert main(["mine", "--config", str(cfg), "--out", str(tmp_path)]) == 2
    assert "--out is a folder" in capsys.readouterr().err


def test_check_names_the_file_and_line_of_a_bad_negative(tmp_path, mock_encoder, capsys):
    cfg = _config(tmp_path)
    out = tmp_path / "n.jsonl"
    run_mine(MineRequest(str(cfg), out=out, overrides={"policy": "same-language"}), encoder=mock_encoder)
    lines = out.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    group, lang = record["query_id"].rsplit("/", 1)
    other = "de" if lang != "de" else "en"
    record["negatives"][0] |= {"id": f"{group}/{other}", "lang": other}  # its own translation
    lines[2] = json.dumps(record)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["mine", "--config", str(cfg), "--check", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hybridbatch: error: {out}: line 3: negative 1: ") and "own parallel group" in err
    assert "\n" not in err
    assert main(["mine", "--config", str(cfg), "--check", str(out), "--policy", "other-language"]) == 2
    assert f"{out}: line 2: negative 1:" in capsys.readouterr().err


def test_the_configs_negatives_section_is_the_default_and_flags_override_it(tmp_path, mock_encoder):
    cfg = _config(tmp_path)
    text = cfg.read_text(encoding="utf-8") + "negatives: {policy: any, per_query: 2, range_max: 40}\n"
    cfg.write_text(text, encoding="utf-8")
    out, flagged = tmp_path / "n.jsonl", tmp_path / "f.jsonl"
    run_mine(MineRequest(str(cfg), out=out), encoder=mock_encoder)
    run_mine(MineRequest(str(cfg), out=flagged, overrides={"negatives.per_query": 3}), encoder=mock_encoder)
    assert {k: _lines(out)[0][k] for k in ("policy", "per_query", "range_max")} == {
        "policy": "any", "per_query": 2, "range_max": 40}
    assert _lines(flagged)[0]["per_query"] == 3
