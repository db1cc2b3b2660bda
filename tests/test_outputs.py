"""Atomic outputs: files and folders appear whole or not at all."""

from __future__ import annotations

import os

import pytest

from hybridbatch.outputs import atomic_dir, atomic_file, write_text


def test_atomic_file_replaces_on_success(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with atomic_file(target) as handle:
        handle.write(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new"
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_atomic_file_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("stop")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_write_text_and_atomic_dir(tmp_path):
    with atomic_dir(tmp_path / "out") as tmp:
        write_text(tmp / "a.txt", "ä\n")
    assert (tmp_path / "out" / "a.txt").read_bytes() == "ä\n".encode()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
