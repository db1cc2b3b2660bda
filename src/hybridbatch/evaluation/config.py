"""What determines an evaluation's numbers: how to encode (:class:`EvaluationSettings`, shared by
``hybridbatch evaluate`` and an experiment's ``evaluate:`` section) and what to evaluate
(:class:`EvaluationConfig`, recorded in each report folder as config.json). ``hybridbatch evaluate`` derives its
flags from these fields (:func:`hybridbatch.cli.config_flags.add_config_flags`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from hybridbatch.config import Backend, Device, Precision, check_fields, setting
from hybridbatch.data.benchmark import CandidateText
from hybridbatch.data.perturb import parse_perturbation
from hybridbatch.errors import HybridbatchError


@dataclass(kw_only=True)
class EvaluationSettings:
    """How to encode for an evaluation (shared by ``hybridbatch evaluate`` and an experiment's
    ``evaluate:`` section). Types and ranges are checked by :meth:`validate` (:func:`hybridbatch.config.check_fields`)."""

    languages: list[str] | None = setting(None, help="language subset (default: all)")
    candidate_text: CandidateText = setting("sentence", help="encode candidates as the sentence alone or "
                                            "followed by its paragraph (LAReQA)")
    batch_size: int = setting(64, ge=1, help="encoding batch size")
    max_seq_length: int | None = setting(None, ge=8, le=100_000, help="truncate inputs to this many tokens")
    query_prefix: str | None = setting(None, help="literal query prefix (default: the model's 'query' prompt)")
    passage_prefix: str | None = setting(None, help="literal passage prefix (default: the model's 'passage' "
                                         "prompt)")
    precision: Precision = setting("auto", help="fp32, bf16 (bfloat16 autocast) or auto: bf16 where it is "
                                   "native (CUDA, CPUs with AVX512-BF16/AMX), else fp32")
    device: Device = setting("auto", help="auto (CUDA when present) | cpu | cuda")
    backend: Backend = setting("torch", help="what runs the forward pass: torch, onnx (ONNX Runtime, fp32 only) "
                               "or openvino (OpenVINO; fp32 as true f32), each an export of the torch model made "
                               "once into the cache (optional extras: pip install 'hybridbatch[onnx]' / "
                               "'hybridbatch[openvino]'); its vectors have their own cache identity")
    cache: bool = setting(True, help="read and write the embedding cache")
    perturb: list[str] = setting(default_factory=list, help="also score with perturbed queries (pair classification: "
                                 "perturbed second texts): NAME[:strength] (hybridbatch.data.perturb), e.g. "
                                 "char-noise:0.1, code-switch:0.5")
    perturb_seed: int = setting(0, help="seed of the query perturbations")

    def validate(self) -> None:
        """Every field against its type and range, and every perturbation spec; raises
        :class:`HybridbatchError` naming the field."""
        check_fields(self)
        if self.perturb:
            try:
                parse_perturbations(self.perturb)
            except HybridbatchError as exc:
                raise HybridbatchError(f"perturb: {exc}") from None


@dataclass(kw_only=True)
class EvaluationConfig(EvaluationSettings):
    """Everything that determines an evaluation's numbers (stored in the output folder as config.json)."""

    benchmark: str = setting(help="benchmark spec (see hybridbatch.benchmarks.registry)")
    model: str | None = setting(None, help="model to encode with ('default' or a folder)")
    embeddings: str | None = setting(None, help="an .npz of Q_<lang>/C_<lang> arrays to score instead")
    data_dir: str | None = setting(None, help="shared data folder (default: $HYBRIDBATCH_DATA)")
    extra: dict[str, Any] = setting(default_factory=dict, help="free-form labels recorded with the run")

    @classmethod
    def from_settings(cls, settings: EvaluationSettings, **fields: Any) -> EvaluationConfig:
        """A config with the :class:`EvaluationSettings` values of ``settings`` (fields a subclass adds, such
        as an experiment's ``benchmarks``, are left out) and ``fields`` (benchmark, model, extra, ...)."""
        shared = {f.name: getattr(settings, f.name) for f in dataclasses.fields(EvaluationSettings)}
        return cls(**{**shared, **fields})

    def validate(self) -> None:
        """Field types and ranges, and exactly one of ``model`` and ``embeddings``."""
        super().validate()
        if (self.model is None) == (self.embeddings is None):
            raise HybridbatchError("give exactly one of --model and --embeddings")
        if self.perturb and self.embeddings:
            raise HybridbatchError("--perturb needs --model (perturbed queries must be encoded)")


def parse_perturbations(specs: list[str]):
    """Every spec parsed (:func:`hybridbatch.data.perturb.parse_perturbation`); a repeated perturbation (same
    name and strength) is an error."""
    out = [parse_perturbation(s) for s in specs]
    keys = [p.key for p in out]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise HybridbatchError(f"perturbation(s) given twice: {', '.join(repeated)}")
    return out
