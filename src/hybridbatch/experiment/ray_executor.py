"""Run a grid's jobs (:mod:`.jobs`) as Ray tasks: ``hybridbatch experiment --executor ray``.

Every job is one task with the per-run resources (``num_cpus``, ``num_gpus``, ``memory``); this process
submits a job once the jobs it waits for have succeeded (a run's evaluations after its training, a soup
after its members' trainings) and collects the results with ``ray.wait`` as they end. Only Ray's public
API is used: ``ray.init``, ``ray.remote``, ``ray.wait``, ``ray.get``, ``ray.cancel``, ``ray.nodes``.

A task runs in this process's working folder, with this process's ``HYBRIDBATCH_*`` environment variables
(data folder, cache), so a cluster of several machines needs the output folder, the data and the training
configs at the same paths on every node (a shared file system) and hybridbatch installed on each. A task
whose worker dies (killed, out of memory) fails — retried ``retries`` times first — and its run continues
from its folder when the command is run again.

Ray is an optional dependency (``pip install 'hybridbatch[ray]'``); it is imported only here, on use.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Hashable
from typing import Any

from hybridbatch.errors import HybridbatchError
from hybridbatch.experiment.jobs import Job, JobResult, execute, failed

log = logging.getLogger(__name__)

EXTRA = "pip install 'hybridbatch[ray]'"
ENV_PREFIX = "HYBRIDBATCH_"
CONNECT_TIMEOUT_S = 5.0
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


def parse_memory(text: str) -> int:
    """Bytes of ``8G``, ``500M``, ``1.5g``, ``1048576`` (binary units; a trailing B or iB is allowed)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise HybridbatchError(f"--ray-memory {text!r}: expected a size such as 8G, 500M or a number of bytes")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def import_ray() -> Any:
    try:
        import ray  # deferred: ray (optional)
    except ImportError:
        raise HybridbatchError(f"--executor ray needs Ray, which is not installed: {EXTRA}") from None
    return ray


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of ``host:port`` or ``ray://host:port``; None for ``auto`` and the like."""
    match = re.fullmatch(r"(?:ray://)?\[?([^\[\]]+?)\]?:(\d+)", address.strip())
    return (match.group(1), int(match.group(2))) if match else None


def _gib(n: float) -> str:
    return f"{n / 1024 ** 3:.1f} GiB"


def _run_job(job: Job, cwd: str) -> JobResult:
    """The task: run ``job`` in the driver's working folder."""
    try:
        os.chdir(cwd)
    except OSError as exc:
        return failed(job, f"the driver's folder {cwd} is not on node {socket.gethostname()} ({exc.strerror}); "
                           "every node needs the same folders (a shared file system)")
    return execute(job)


class RayExecutor:
    """Jobs as Ray tasks on the cluster at ``address`` (None: a new local one, or ``$RAY_ADDRESS``; a Ray
    session already open in this process is used as it is). Per task: ``cpus``, ``gpus``, ``memory`` (bytes)."""

    name = "ray"
    slots = None

    def __init__(self, address: str | None = None, cpus: float = 1.0, gpus: float = 0.0, memory: int | None = None,
                 retries: int = 0):
        self.address, self.cpus, self.gpus, self.memory, self.retries = address, cpus, gpus, memory, retries
        self._ray: Any = None
        self._owned = False
        self._jobs: dict[Hashable, Job] = {}
        self._remote: Any = None

    def check(self) -> None:
        """Ray is installed, the resources make sense, ``address`` answers. Nothing is started."""
        if self.cpus < 0 or self.gpus < 0:
            raise HybridbatchError(f"--ray-cpus {self.cpus:g} / --ray-gpus {self.gpus:g} must be >= 0")
        if self.cpus == 0 and self.gpus == 0:
            raise HybridbatchError("--ray-cpus 0 needs --ray-gpus > 0 (a task must hold some resource)")
        if self.retries < 0:
            raise HybridbatchError(f"--ray-retries {self.retries} must be >= 0")
        self._ray = import_ray()
        target = _host_port(self.address) if self.address else None
        if target is not None:
            try:
                socket.create_connection(target, timeout=CONNECT_TIMEOUT_S).close()
            except OSError as exc:
                raise HybridbatchError(f"--ray-address {self.address}: cannot reach it "
                                       f"({exc.strerror or type(exc).__name__})") from None

    def start(self) -> None:
        """Connect (or start a local cluster), then check that some node has a run's resources."""
        ray = self._ray or import_ray()
        self._ray = ray
        if not ray.is_initialized():
            verbose = logging.getLogger().isEnabledFor(logging.INFO)
            kwargs: dict[str, Any] = {"log_to_driver": verbose, "logging_level": logging.INFO if verbose else logging.WARNING}
            if not self.address and not os.environ.get("RAY_ADDRESS"):
                kwargs["include_dashboard"] = False
            try:
                ray.init(address=self.address or None, **kwargs)
            except Exception as exc:
                what = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                where = f"--ray-address {self.address}" if self.address else "a local Ray cluster"
                raise HybridbatchError(f"{where}: cannot start Ray ({what})") from None
            self._owned = True
        self._check_resources(ray.nodes())
        self._remote = ray.remote(_run_job)

    def _check_resources(self, nodes: list[dict[str, Any]]) -> None:
        offers = [n.get("Resources", {}) for n in nodes if n.get("Alive", True)]

        def fits(r: dict[str, float]) -> bool:
            return (r.get("CPU", 0) >= self.cpus and r.get("GPU", 0) >= self.gpus
                    and (self.memory is None or r.get("memory", 0) >= self.memory))

        if any(fits(r) for r in offers):
            return
        want = f"{self.cpus:g} CPU, {self.gpus:g} GPU" + (f", {_gib(self.memory)} memory" if self.memory else "")
        have = "; ".join(f"{r.get('CPU', 0):g} CPU, {r.get('GPU', 0):g} GPU, {_gib(r.get('memory', 0))} memory"
                         for r in offers[:4]) or "none alive"
        self.close()
        raise HybridbatchError(f"no node of the Ray cluster has what one run asks for ({want}); nodes: {have}")

    def submit(self, job: Job) -> Hashable:
        env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
        options: dict[str, Any] = {"name": job.key, "num_cpus": self.cpus, "num_gpus": self.gpus,
                                   "max_retries": self.retries}
        if self.memory:
            options["memory"] = self.memory
        if env:
            options["runtime_env"] = {"env_vars": env}
        ref = self._remote.options(**options).remote(job, os.getcwd())
        self._jobs[ref] = job
        return ref

    def wait(self, handles: list[Hashable]) -> list[tuple[Hashable, JobResult]]:
        ray = self._ray
        ready, _ = ray.wait(list(handles), num_returns=1)
        out = []
        for ref in ready:
            job = self._jobs.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:
                line = next((x.strip() for x in str(exc).splitlines() if x.strip()), "")
                died = isinstance(exc, (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                                        ray.exceptions.OutOfMemoryError))
                result = failed(job, f"its Ray worker died ({type(exc).__name__})" if died
                                else f"{type(exc).__name__}: {line}")
            out.append((ref, result))
        return out

    def close(self) -> None:
        """Cancel what is still running (an interrupted grid), and stop the cluster this executor started."""
        ray = self._ray
        if ray is None or not ray.is_initialized():
            return
        for ref in list(self._jobs):
            try:
                ray.cancel(ref, force=True)
            except Exception as exc:  # already ended or lost: nothing to stop
                log.debug("cancel %s: %s", self._jobs[ref].key, exc)
        self._jobs.clear()
        if self._owned:
            ray.shutdown()
            self._owned = False
