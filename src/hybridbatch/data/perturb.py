"""Deterministic query perturbations for the robustness suite (docs/studies.md has examples of each).

A perturbation is ``NAME[:strength]`` with strength p in (0, 1]:

* ``char-noise:p`` — each non-space character cluster (a character with its combining marks) is edited
  with probability p by one of insert / delete / swap-with-next / substitute (equally likely); inserted and
  substituted clusters are drawn from the query's own clusters, so the script stays the query's. The last
  non-space cluster is never deleted.
* ``diacritics[:p]`` — with probability p per word, combining marks on Latin, Greek and Cyrillic letters
  and Arabic short-vowel marks (harakat, U+064B–U+065F, U+0670) are removed. Marks that are letters' vowels
  (Devanagari, Thai) stay: removing them changes the word, not its accents.
* ``lowercase[:p]`` — each word lowercased with probability p.
* ``punctuation[:p]`` — each punctuation character (Unicode category P*) removed with probability p.
* ``translit[:p]`` — each word transliterated to Latin script (``anyascii``) with probability p.
* ``code-switch[:p]`` — a contiguous span of ⌈p·n⌉ of the query's n tokens (words; characters for text
  without spaces, e.g. Chinese) is replaced by the proportional span of a parallel translation of the
  query (same group): English when the query is not English and English is there, else a seeded choice.

Randomness: one generator per (seed, perturbation name, query id) (:func:`query_rng`); the uniform draw of
each unit is compared with p, so the units edited at p are a subset of those edited at any p' > p.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hybridbatch.data.benchmark import Benchmark
from hybridbatch.errors import HybridbatchError

DEFAULT_STRENGTH = {"char-noise": 0.1, "diacritics": 1.0, "lowercase": 1.0, "punctuation": 1.0,
                    "translit": 1.0, "code-switch": 0.5}
NAMES = tuple(DEFAULT_STRENGTH)
_JOINERS = {"\u200c", "\u200d"}
_STRIP_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")


@dataclass(frozen=True)
class Perturbation:
    """One perturbation and its strength; ``key`` (``char-noise:0.1``) names its outputs."""

    name: str
    strength: float

    @property
    def key(self) -> str:
        return f"{self.name}:{self.strength:g}"


def parse_perturbation(spec: str) -> Perturbation:
    """``NAME[:strength]`` → :class:`Perturbation`; an unknown name or a strength outside (0, 1] is an error."""
    name, _, value = str(spec).strip().partition(":")
    if name not in DEFAULT_STRENGTH:
        raise HybridbatchError(f"unknown perturbation {spec!r}; expected NAME[:strength] with NAME one of "
                               f"{', '.join(NAMES)}")
    try:
        strength = float(value) if value else DEFAULT_STRENGTH[name]
    except ValueError:
        raise HybridbatchError(f"perturbation {spec!r}: strength {value!r} is not a number") from None
    if not 0.0 < strength <= 1.0 or math.isnan(strength):
        raise HybridbatchError(f"perturbation {spec!r}: strength {strength:g} outside (0, 1]")
    return Perturbation(name, strength)


def query_rng(seed: int, name: str, query_id: str) -> np.random.Generator:
    """The generator of one query under one perturbation (stable across runs and machines)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode()), zlib.crc32(query_id.encode())])


def clusters(text: str) -> list[str]:
    """``text`` split into characters with their combining marks (and ZWJ/ZWNJ) attached."""
    out: list[str] = []
    for ch in text:
        if out and (unicodedata.category(ch).startswith("M") or ch in _JOINERS):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def char_noise(text: str, p: float, rng: np.random.Generator) -> tuple[str, int]:
    """(noisy text, number of edits): see the module doc. Never removes the last non-space cluster."""
    cl = clusters(text)
    solid = [i for i, c in enumerate(cl) if not c.isspace()]
    if not solid:
        return text, 0
    u, op, pick = rng.random(len(cl)), rng.integers(0, 4, len(cl)), rng.integers(0, len(solid), len(cl))
    out: list[str] = []
    left, edits, i = len(solid), 0, 0
    while i < len(cl):
        c = cl[i]
        if c.isspace() or u[i] >= p:
            out.append(c)
            i += 1
            continue
        edits += 1
        other = cl[solid[pick[i]]]
        if op[i] == 0:  # insert a cluster before this one
            out += [other, c]
        elif op[i] == 1 and left > 1:  # delete
            left -= 1
        elif op[i] == 2 and i + 1 < len(cl) and not cl[i + 1].isspace():  # swap with the next cluster
            out += [cl[i + 1], c]
            i += 1
        else:  # substitute (also a delete of the last cluster or a swap without a neighbour)
            out.append(other)
        i += 1
    return "".join(out), edits


def _words(text: str) -> list[str]:
    """Runs of non-space and of space characters, in order (joining them gives ``text`` back)."""
    parts: list[str] = []
    for ch in text:
        if parts and parts[-1][-1].isspace() == ch.isspace():
            parts[-1] += ch
        else:
            parts.append(ch)
    return parts


def _per_word(text: str, p: float, rng: np.random.Generator, change) -> str:
    parts = _words(text)
    u = rng.random(len(parts))
    return "".join(change(w) if not w.isspace() and u[i] < p else w for i, w in enumerate(parts))


def strip_diacritics(word: str) -> str:
    """Combining marks of Latin/Greek/Cyrillic letters and Arabic harakat removed (NFD, then NFC)."""
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.category(ch) == "Mn":
            arabic = "\u064b" <= ch <= "\u065f" or ch == "\u0670"
            if arabic or (base and unicodedata.name(base, "").startswith(_STRIP_SCRIPTS)):
                continue
        else:
            base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def transliterate(word: str) -> str:
    """``word`` in Latin script (``anyascii``); unchanged when that would leave nothing."""
    try:
        from anyascii import anyascii
    except ImportError:  # pragma: no cover - anyascii is a dependency
        raise HybridbatchError("the translit perturbation needs the 'anyascii' package") from None
    latin = anyascii(word).strip()
    return latin or word


def perturb_text(text: str, p: Perturbation, rng: np.random.Generator) -> str:
    """``text`` under a perturbation that needs no other text (every name but ``code-switch``)."""
    if p.name == "char-noise":
        return char_noise(text, p.strength, rng)[0]
    if p.name == "diacritics":
        out = _per_word(text, p.strength, rng, strip_diacritics)
    elif p.name == "lowercase":
        out = _per_word(text, p.strength, rng, str.lower)
    elif p.name == "translit":
        out = _per_word(text, p.strength, rng, transliterate)
    elif p.name == "punctuation":
        u = rng.random(len(text))
        out = "".join(ch for i, ch in enumerate(text)
                      if not (unicodedata.category(ch).startswith("P") and u[i] < p.strength))
    else:
        raise HybridbatchError(f"perturbation {p.name!r} needs the parallel queries (use perturb_queries)")
    return out if out.strip() else text


def tokens(text: str) -> tuple[list[str], bool]:
    """(tokens, spaced): whitespace words when the text has two or more, else character clusters."""
    words = text.split()
    if len(words) >= 2:
        return words, True
    return [c for c in clusters(text.strip()) if not c.isspace()], False


def code_switch(text: str, partner: str, p: float, rng: np.random.Generator) -> str:
    """Replace a span of ⌈p·n⌉ tokens of ``text`` (seeded start) by the same relative span of ``partner``."""
    own, own_spaced = tokens(text)
    other, other_spaced = tokens(partner)
    if not own or not other:
        return text
    n, m = len(own), len(other)
    w = min(n, max(1, math.ceil(p * n - 1e-9)))
    a = min(int(rng.random() * (n - w + 1)), n - w)
    b = min(m - 1, a * m // n)
    e = max(b + 1, min(m, round((a + w) * m / n)))
    sep = " " if own_spaced or other_spaced else ""
    own_sep = " " if own_spaced else ""
    pieces = [own_sep.join(own[:a]), (" " if other_spaced else "").join(other[b:e]), own_sep.join(own[a + w:])]
    return sep.join(x for x in pieces if x)


def partner_language(lang: str, available: Sequence[str], rng: np.random.Generator) -> str | None:
    """English if the query is not English and English is available, else a seeded choice; None if none."""
    others = sorted(x for x in available if x != lang)
    if not others:
        return None
    if "en" in others:
        return "en"
    return others[int(rng.integers(len(others)))]


def perturb_queries(bench: Benchmark, p: Perturbation, seed: int) -> tuple[list[str], dict[str, int]]:
    """The perturbed text of every query of ``bench`` (in order) and counts: ``changed`` (text differs),
    ``no_partner`` (code-switch without a translation in another language: left unchanged)."""
    by_group: dict[str, dict[str, str]] = {}
    for q in bench.queries:
        by_group.setdefault(q.group, {}).setdefault(q.lang, q.text)
    texts: list[str] = []
    no_partner = 0
    for q in bench.queries:
        rng = query_rng(seed, p.name, q.id)
        if p.name == "code-switch":
            lang = partner_language(q.lang, list(by_group[q.group]), rng)
            if lang is None:
                no_partner += 1
                texts.append(q.text)
                continue
            texts.append(code_switch(q.text, by_group[q.group][lang], p.strength, rng))
        else:
            texts.append(perturb_text(q.text, p, rng))
    changed = sum(t != q.text for t, q in zip(texts, bench.queries))
    return texts, {"queries": len(texts), "changed": changed, "no_partner": no_partner}
