"""Language metadata: name, script, family and resource class of every language the benchmarks use.

The data is ``languages.json`` next to this module (package data): one entry per language under a
canonical key (ISO 639-3, or the code Tatoeba uses), and per benchmark code system (``lareqa``: ISO
639-1, ``tatoeba``: ISO 639-3, ``tico19``: TICO-19's own codes such as ``es_LA``, ``ti_ER``, ``afriqa``,
``ntrex128``: NTREX-128's file codes such as ``zho_Hant``, ``srp-Cyrl``, ``fra-CA``) the map from its codes
to those keys. The resource class is the 0-5 taxonomy of Joshi et al. 2020; each
entry says where its class comes from (``class_source``: the paper's Table 1, the published list as
transcribed second-hand, or this project's estimate, with a note), so that nothing is more certain than
its source.

Codes are unambiguous across the systems (a 2-letter code is ISO 639-1, 3 letters ISO 639-3), so
:func:`language_info` resolves a code without being told its system; ``-`` and ``_`` are the same, and a
script (``-Hant``) or region (``-GB``) subtag it does not know is dropped. :func:`project_code` gives the one
code hybridbatch writes for a language of a code system in training data and reports (``zho_Hant`` →
``zh-Hant``, ``eng-GB`` → ``en-GB``, ``arb`` → ``ar``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from hybridbatch.errors import HybridbatchError

CLASS_SOURCES = ("joshi2020:table1", "lang2tax", "estimate")
# A script subtag (ISO 15924, ``Hant``) or a region subtag (ISO 3166 ``GB`` / UN M.49 ``419``) after ``-`` or ``_``.
_SUBTAG = re.compile(r"^(?P<base>[A-Za-z]{2,3})[-_](?:(?P<script>[A-Z][a-z]{3})|(?P<region>[A-Z]{2}|[0-9]{3}))$")
# The variety of an entry's primary script that a script subtag may name without being marked: Chinese written
# in Simplified characters is the unmarked case (TICO-19 ``zh``, NTREX ``zho_Hans``), Cantonese in Traditional.
_UNMARKED_VARIANT = {"cmn": "Hans", "wuu": "Hans", "yue": "Hant"}
_FIELDS = {"name": str, "script": str, "family": str, "joshi_class": int, "class_source": str}


@dataclass(frozen=True)
class LanguageInfo:
    """One language. ``code`` is its canonical key; ``joshi_class`` 0 (left behind) … 5 (winners)."""

    code: str
    name: str
    iso639_1: str | None
    script: str
    family: str
    joshi_class: int
    class_source: str
    note: str | None = None

    @property
    def scripts(self) -> list[str]:
        """ISO 15924 codes, most frequent in the benchmark data first."""
        return self.script.split("+")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (results files carry these per language)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _source() -> str:
    return str(resources.files("hybridbatch.data") / "languages.json")


@lru_cache(maxsize=1)
def metadata() -> dict[str, Any]:
    """The parsed and checked ``languages.json``."""
    path = _source()
    try:
        doc = json.loads(resources.files("hybridbatch.data").joinpath("languages.json").read_text("utf-8"))
    except FileNotFoundError:
        raise HybridbatchError("language metadata file not found (is the package installed with its data?)",
                               path=path) from None
    except json.JSONDecodeError as exc:
        raise HybridbatchError(f"malformed JSON at line {exc.lineno}: {exc.msg}", path=path) from None
    _check(doc, path)
    return doc


def _check(doc: Any, path: str) -> None:
    if not isinstance(doc, dict) or not isinstance(doc.get("languages"), dict) \
            or not isinstance(doc.get("code_systems"), dict):
        raise HybridbatchError("expected an object with 'languages' and 'code_systems'", path=path)
    iso1: dict[str, str] = {}
    for key, entry in doc["languages"].items():
        record = f"language {key!r}"
        if not isinstance(entry, dict):
            raise HybridbatchError("expected an object", path=path, record=record)
        for name, kind in _FIELDS.items():
            if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
                raise HybridbatchError(f"'{name}' missing or not {kind.__name__}", path=path, record=record)
        if not 0 <= entry["joshi_class"] <= 5:
            raise HybridbatchError(f"joshi_class {entry['joshi_class']} outside 0-5", path=path, record=record)
        if entry["class_source"] not in CLASS_SOURCES:
            raise HybridbatchError(f"class_source {entry['class_source']!r}; expected one of "
                                   f"{', '.join(CLASS_SOURCES)}", path=path, record=record)
        if entry["class_source"] == "estimate" and not entry.get("note"):
            raise HybridbatchError("an estimated class needs a note saying why", path=path, record=record)
        code = entry.get("iso639_1")
        if code is not None:
            if code in iso1:
                raise HybridbatchError(f"ISO 639-1 code {code!r} also given to {iso1[code]!r}", path=path,
                                       record=record)
            iso1[code] = key
    aliases: dict[str, str] = {}
    for system, spec in doc["code_systems"].items():
        codes = spec.get("codes") if isinstance(spec, dict) else None
        if not isinstance(codes, dict):
            raise HybridbatchError("expected an object with 'codes'", path=path, record=f"code system {system!r}")
        for code, key in codes.items():
            record = f"code system {system!r} code {code!r}"
            if key not in doc["languages"]:
                raise HybridbatchError(f"maps to {key!r}, which has no entry in 'languages'", path=path,
                                       record=record)
            if aliases.setdefault(_norm(code), key) != key:
                raise HybridbatchError(f"maps to {key!r} but another system maps it to "
                                       f"{aliases[_norm(code)]!r}", path=path, record=record)


def _norm(code: str) -> str:
    return code.strip().replace("-", "_")


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Every accepted code (canonical keys, ISO 639-1 codes, every system's codes) → canonical key."""
    doc = metadata()
    index = {key: key for key in doc["languages"]}
    for key, entry in doc["languages"].items():
        if entry.get("iso639_1"):
            index.setdefault(entry["iso639_1"], key)
    for spec in doc["code_systems"].values():
        for code, key in spec["codes"].items():
            index.setdefault(_norm(code), key)
    return index


def _resolve(code: str) -> str | None:
    """Canonical key of a system-less ``code``, dropping an unknown script or region subtag; None if unknown."""
    key = _index().get(_norm(code))
    if key is None:
        match = _SUBTAG.match(code.strip())
        if match:
            key = _index().get(match["base"])
    return key


def code_systems() -> list[str]:
    """Names of the code systems (``lareqa``, ``tatoeba``, ``tico19``, ``afriqa``, ``ntrex128``, …)."""
    return list(metadata()["code_systems"])


def system_codes(system: str) -> dict[str, str]:
    """Code → canonical key for one code system; an unknown system is an error."""
    systems = metadata()["code_systems"]
    if system not in systems:
        raise HybridbatchError(f"unknown code system {system!r}; known: {', '.join(systems)}", path=_source())
    return dict(systems[system]["codes"])


def language_info(code: str, system: str | None = None) -> LanguageInfo:
    """The metadata of ``code`` (in ``system`` when given, else in any system); unknown → error."""
    if system is not None:
        key = system_codes(system).get(code) or system_codes(system).get(_norm(code))
    else:
        key = _resolve(code)
    if key is None:
        where = f"code system {system!r}" if system else "any code system"
        raise HybridbatchError(f"unknown language code {code!r} in {where}", path=_source())
    entry = metadata()["languages"][key]
    return LanguageInfo(code=key, name=entry["name"], iso639_1=entry.get("iso639_1"), script=entry["script"],
                        family=entry["family"], joshi_class=entry["joshi_class"],
                        class_source=entry["class_source"], note=entry.get("note"))


def known(code: str) -> bool:
    """Whether :func:`language_info` knows ``code``."""
    return _resolve(code) is not None


def project_code(code: str, system: str) -> str:
    """The code hybridbatch writes for ``code`` of code system ``system`` in training data and reports.

    The entry's ISO 639-1 code, else its canonical key; plus ``-<Script>`` when ``code`` names a script other
    than the entry's primary (first) one, and ``-<REGION>`` when it names a region: ntrex128 ``arb`` → ``ar``,
    ``zho_Hans`` → ``zh``, ``zho_Hant`` → ``zh-Hant``, ``srp-Cyrl`` → ``sr-Cyrl`` (Serbian's primary script
    here is Latin), ``eng-GB`` → ``en-GB``. :func:`language_info` resolves every result. A code the system does
    not have, or an unknown system, is an error.
    """
    info = language_info(code, system)
    out = info.iso639_1 or info.code
    match = _SUBTAG.match(code.strip())
    if match and match["script"]:
        script = match["script"]
        if script not in (info.scripts[0], _UNMARKED_VARIANT.get(info.code)):
            out += f"-{script}"
    elif match and match["region"]:
        out += f"-{match['region']}"
    return out


def describe(codes: Iterable[str], system: str | None = None) -> dict[str, dict[str, Any]]:
    """``{code: info.as_dict()}`` for the codes that have metadata (others are left out), for results files."""
    out = {}
    for code in codes:
        try:
            out[code] = language_info(code, system).as_dict()
        except HybridbatchError:
            continue
    return out


def resource_class(code: str, system: str | None = None) -> int:
    """Joshi et al. 2020 class (0-5) of ``code``."""
    return language_info(code, system).joshi_class
