"""One writer per experiment folder: a second process refuses naming the holder; a dead holder's lock is
taken over; another host's lock is not."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hybridbatch.cli import main
from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.lock import ExperimentLock, active_holder
from tests.experiment.tiny_grid import write_tiny_grid

REPO = Path(__file__).resolve().parents[2]
HOLD = ("import sys, time\nfrom hybridbatch.experiment.lock import ExperimentLock\n"
        "ExperimentLock(sys.argv[1]).acquire()\nprint('held', flush=True)\ntime.sleep(120)\n")


def test_a_second_experiment_on_a_held_folder_is_refused_and_a_dead_holders_lock_is_taken_over(
        tmp_path, tiny_model_dir, capsys):
    exp = write_tiny_grid(tmp_path, tiny_model_dir)
    out = tmp_path / "grid"
    out.mkdir()
    lock = out / "experiment.lock"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["experiment", "--config", str(exp), "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"another hybridbatch experiment is writing this folder: pid {holder.pid} on {socket.gethostname()} since" in err
        assert sorted(p.name for p in out.iterdir()) == ["experiment.lock"]  # nothing else was written
        assert main(["experiment", "--config", str(exp), "--out", str(out), "--list"]) == 0  # --list still reads
        assert f"running now: pid {holder.pid}" in capsys.readouterr().err
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert json.loads(lock.read_text())["pid"] == holder.pid  # a killed holder leaves its file
    assert active_holder(lock) is None
    with ExperimentLock(lock) as taken:
        assert taken.taken_over["pid"] == holder.pid
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(HybridbatchError, match=f"pid {os.getpid()} on"):  # held here: refused here too
            ExperimentLock(lock).acquire()
    assert not lock.exists()  # released


def test_a_lock_written_on_another_host_is_not_taken_over(tmp_path):
    lock = tmp_path / "experiment.lock"
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere", "started_utc": "2026-01-01T00:00:00+00:00",
                                "argv": ["hybridbatch", "experiment"]}))
    with pytest.raises(HybridbatchError, match="pid 1 on elsewhere since 2026-01-01T00:00:00"):
        ExperimentLock(lock).acquire()
    lock.write_text("not json")  # an unreadable file holds nothing
    with ExperimentLock(lock) as taken:
        assert taken.taken_over is None
