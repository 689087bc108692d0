"""Topics: clusters of own-word passages, labelled by their distinctive phrases, counted over time.

Passages are clustered on their embedding vectors (``vectors.py``) with k-means (scikit-learn)
started from Ward's agglomerative clustering of a seeded sample of ``WARD_SAMPLE`` passages,
then refined (above ``FIT_SAMPLE`` passages on a seeded sample); the same corpus always gives
the same topics. Ward's start is what makes topics survive a resample: k-means from a random
start (k-means++, one or ten starts) agreed with itself on 90% subsamples at an adjusted Rand
index of 0.43–0.53 on the shared corpora, from Ward's start at 0.52–0.65 (bench_topics).

A cluster far less coherent than the others (the length of its members' mean unit vector, below
Q1 − 1.5 IQR) is a catch-all k-means fills with passages that fit nowhere: it is kept, marked
``mixed`` and numbered after the coherent topics, so it names no era and heads no list.

Each cluster is labelled the way BERTopic labels its topics, by class-based TF-IDF: the
cluster's passages are joined into one document, and a word or two-word phrase scores by its
frequency in that document times log(1 + average words per cluster / its frequency in all
clusters). Only words ``prose.words`` accepts can score (no code, URL, HTML or LaTeX), never a
stop word, a spoken filler or the thinker's own name or host.

Stability is measured, not assumed: the clustering is repeated on 90% subsamples (seeds 1–3)
and compared with the full run on the passages both hold (adjusted Rand index, and for each
topic the best Jaccard overlap with a subsample's cluster).

This module does not find eras (``eras.py`` reads ``Topic.by_month``).
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from wordfreq import zipf_frequency

from .own import OwnPassage
from .vectors import Matrix

SEED = 0
STABILITY_SEEDS = (1, 2, 3)
SUBSAMPLE = 0.9
MAX_TOPICS = 60
FIT_SAMPLE = 20_000
WARD_SAMPLE = 3_000  # Ward's cost grows with the square of this
MIN_FOR_OUTLIERS = 8  # fewer clusters say nothing about which is unlike the rest
LABEL_SAMPLE = 30_000
PHRASES = 8
REPRESENTATIVES = 3
COMMON_ZIPF = 5.3  # a single word this common in everyday English ("time", "way") labels nothing
FILLERS = frozenset(
    """
    uh um umm hmm okay ok yeah yes oh gonna wanna gotta kinda sorta like just really actually basically
    literally right well so going let let's i'm i've i'd i'll you're you've you'll we're we've we'll
    they're it's that's there's here's what's don't doesn't didn't can't won't isn't aren't wasn't
    thing things stuff lot lots bit pretty maybe also still even though much many way ways get got
    gets getting make makes made making say says said see saw look looks looking want wants need needs
    know think use used using one two three new good great nice sure something anything everything
    quite rather etc via per today yesterday now already always never
    """.split()
)
MARKUP_WORDS = frozenset(
    """
    http https www com org net html htm php asp href src nbsp amp quot lt gt div span img png jpg jpeg gif
    svg css js json xml rss mathbf mathrm frac sqrt cdot ldots begin end align textbf emph
    """.split()
)


@dataclass
class Topic:
    """One cluster of own-word passages with its label, size, representative passages and dates."""

    number: int
    phrases: list[str]
    passages: int
    documents: int
    by_month: dict[str, int] = field(default_factory=dict)
    representatives: list[OwnPassage] = field(default_factory=list)
    stability: float | None = None
    coherence: float | None = None
    mixed: bool = False  # a catch-all of passages that fit no other topic (``catch_alls``)

    @property
    def label(self) -> str:
        return ", ".join(self.phrases[:3])

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "label": self.label,
            "phrases": self.phrases,
            "passages": self.passages,
            "documents": self.documents,
            "by_month": self.by_month,
            "stability": self.stability,
            "coherence": self.coherence,
            "mixed": self.mixed,
            "representatives": [p.as_example() for p in self.representatives],
        }


@dataclass
class TopicModel:
    """The topics of one corpus and, for each passage (in the order given), its topic number."""

    topics: list[Topic]
    assignment: list[int]
    vectors: str
    stability: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vectors": self.vectors,
            "stability": self.stability,
            "topics": [t.as_dict() for t in self.topics],
        }


def topic_count(passages: int) -> int:
    """How many topics: about √(n/3), at least 2 and at most ``MAX_TOPICS``."""
    return max(1, min(MAX_TOPICS, passages - 1, max(2, round(math.sqrt(passages / 3)))))


def find_topics(
    passages: list[OwnPassage], vectors: Matrix, source: str, own_names: set[str], *, stability: bool = True
) -> TopicModel:
    """Cluster ``passages`` (rows of ``vectors``) into topics, numbered by size, largest first."""
    if len(passages) < 3:
        return TopicModel([], [0] * len(passages), source)
    k = topic_count(len(passages))
    raw = cluster(vectors, k, SEED)
    coherence = {int(c): _coherence(vectors[raw == c]) for c in np.unique(raw)}
    mixed = catch_alls(coherence)
    sizes = Counter(raw.tolist())
    order = sorted(sizes, key=lambda c: (c in mixed, -sizes[c], c))  # coherent topics first, by size
    renumber = {c: i + 1 for i, c in enumerate(order)}
    assignment = [renumber[int(c)] for c in raw]
    phrases = label(passages, assignment, own_names)
    members: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(assignment):
        members[n].append(i)
    topics = [_topic(n, passages, vectors, members[n], phrases.get(n, [])) for n in range(1, len(order) + 1)]
    for c, n in renumber.items():
        topics[n - 1].coherence, topics[n - 1].mixed = round(coherence[c], 3), c in mixed
    model = TopicModel(topics, assignment, source)
    if stability:
        model.stability = measure_stability(vectors, assignment, k, model.topics)
    return model


def _coherence(members: Matrix) -> float:
    """How tightly a cluster's unit vectors point one way: the length of their mean (1: all
    alike, near 0: unrelated passages)."""
    return float(np.linalg.norm(members.mean(axis=0))) if len(members) else 0.0


def catch_alls(coherence: dict[int, float]) -> set[int]:
    """Clusters far less coherent than the rest (below Q1 − 1.5 IQR of all clusters' coherence):
    the catch-alls k-means fills with passages that fit nowhere ("fascinating, piece, thoughts")."""
    if len(coherence) < MIN_FOR_OUTLIERS:
        return set()
    q1, q3 = np.percentile(list(coherence.values()), [25, 75])
    floor = q1 - 1.5 * (q3 - q1)
    return {c for c, value in coherence.items() if value < floor}


def cluster(vectors: Matrix, k: int, seed: int) -> NDArray[np.int64]:
    """k-means labels of the rows, deterministic for a seed, started from Ward centres
    (``ward_centres``). Above ``FIT_SAMPLE`` rows the centres are refined on a seeded sample and
    every row goes to its nearest centre, so the cost stops growing with the corpus (one thread:
    on a busy 2-core machine more threads were slower)."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(vectors), FIT_SAMPLE, replace=False)) if len(vectors) > FIT_SAMPLE else None
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # subtle: fewer distinct passages than clusters is a small corpus, not an error: fewer topics
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = ward_centres(vectors, k, rng)
        fitted = KMeans(n_clusters=len(start), init=start, n_init=1).fit(vectors if sample is None else vectors[sample])
        labels = fitted.labels_ if sample is None else fitted.predict(vectors)
    return np.asarray(labels, dtype=np.int64)


def ward_centres(vectors: Matrix, k: int, rng: np.random.Generator) -> Matrix:
    """The centres of Ward's agglomerative clustering of a seeded sample into ``k`` clusters
    (fewer when the sample holds fewer distinct rows)."""
    from sklearn.cluster import AgglomerativeClustering

    if len(vectors) > WARD_SAMPLE:
        vectors = vectors[np.sort(rng.choice(len(vectors), WARD_SAMPLE, replace=False))]
    k = min(k, len(np.unique(vectors, axis=0)))
    if k < 2:
        return vectors[:1]
    groups = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(vectors).labels_
    return np.stack([vectors[groups == c].mean(axis=0) for c in range(k)]).astype(vectors.dtype)


def label(passages: list[OwnPassage], assignment: list[int], own_names: set[str]) -> dict[int, list[str]]:
    """Each topic's most distinctive words and two-word phrases by class-based TF-IDF, best first.

    subtle: a term counts once per passage (BERTopic counts every occurrence), so one long
    passage repeating a word cannot label a cluster of many short ones.
    """
    if len(passages) > LABEL_SAMPLE:  # labels are statistics: a seeded sample of passages is enough
        keep = np.sort(np.random.default_rng(SEED).choice(len(passages), LABEL_SAMPLE, replace=False))
        passages, assignment = [passages[i] for i in keep], [assignment[i] for i in keep]
    counts, vocabulary = class_counts(passages, assignment, own_names)
    if counts.shape[1] == 0:
        return {}
    scores = ctfidf(counts)
    return {c: _best_phrases(scores[i], vocabulary) for i, c in enumerate(sorted(set(assignment)))}


def class_counts(
    passages: list[OwnPassage], assignment: list[int], own_names: set[str]
) -> tuple[Any, NDArray[np.str_]]:
    """(topics × labelable terms) counts of the passages using each word or two-word phrase."""
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(ngram_range=(1, 2), token_pattern=r"[^\s]+", lowercase=False, binary=True, min_df=2)
    try:
        by_passage = vectorizer.fit_transform([" ".join(p.words) for p in passages])
    except ValueError:  # no term in two passages
        return np.zeros((len(set(assignment)), 0)), np.asarray([], dtype=np.str_)
    topics = sorted(set(assignment))
    row = {t: i for i, t in enumerate(topics)}
    membership = csr_matrix(
        (np.ones(len(assignment)), ([row[t] for t in assignment], np.arange(len(assignment)))),
        shape=(len(topics), len(assignment)),
    )
    vocabulary = vectorizer.get_feature_names_out()
    own = frozenset(own_words(own_names))
    keep = np.flatnonzero([labelable(str(term), own) for term in vocabulary])
    return (membership @ by_passage)[:, keep], vocabulary[keep]


def own_words(own_names: set[str]) -> set[str]:
    """The lower-case words of the thinker's names, handles and hosts (three letters or more)."""
    return {w.lower() for name in own_names for w in re.split(r"[\s@._/-]+", name) if len(w) >= 3}


def labelable(term: str, own: set[str] | frozenset[str]) -> bool:
    """True for a word or phrase that may label a topic: no stop word or filler at either end, no
    markup residue, nothing of the thinker's own name or host, not everyday English alone."""
    parts = term.split()
    own = frozenset(own)
    if not all(_usable(p, own) for p in parts):
        return False
    if parts[0].lower() in STOP_WORDS or parts[-1].lower() in STOP_WORDS:
        return False
    return len(parts) > 1 or not _everyday(term)


@functools.lru_cache(maxsize=200_000)
def _usable(word: str, own: frozenset[str]) -> bool:
    """A word that may stand in a label: long enough (or an acronym), not markup, not the thinker's name."""
    lower = word.lower()
    return (len(word) >= 3 or word.isupper()) and lower not in MARKUP_WORDS and not any(o in lower for o in own)


@functools.lru_cache(maxsize=200_000)
def _everyday(word: str) -> bool:
    return zipf_frequency(word, "en") >= COMMON_ZIPF


def ctfidf(counts: Any) -> NDArray[np.float64]:
    """Class-based TF-IDF of a (classes × terms) count matrix, as BERTopic computes it."""
    dense = np.asarray(counts.toarray(), dtype=np.float64)
    frequency = dense.sum(axis=0)
    average = dense.sum() / max(1, dense.shape[0])
    idf = np.log(1 + average / np.maximum(frequency, 1))
    tf = dense / np.maximum(dense.sum(axis=1, keepdims=True), 1)
    scores: NDArray[np.float64] = tf * idf
    return scores


def _best_phrases(scores: NDArray[np.float64], vocabulary: NDArray[np.str_]) -> list[str]:
    """The top phrases, skipping one whose words are all already shown by better ones."""
    chosen: list[str] = []
    shown: set[str] = set()
    for i in np.argsort(-scores, kind="stable")[: PHRASES * 6]:
        if scores[i] <= 0:
            break
        term = str(vocabulary[i])
        parts = set(term.lower().split())
        if parts <= shown:
            continue
        chosen.append(term)
        shown |= parts
        if len(chosen) == PHRASES:
            break
    return chosen


def _topic(number: int, passages: list[OwnPassage], vectors: Matrix, members: list[int], phrases: list[str]) -> Topic:
    documents_by_month: dict[str, set[str]] = defaultdict(set)
    for i in members:
        month = passages[i].month
        if month:
            documents_by_month[month].add(passages[i].document_id)
    return Topic(
        number=number,
        phrases=phrases,
        passages=len(members),
        documents=len({passages[i].document_id for i in members}),
        by_month={m: len(d) for m, d in sorted(documents_by_month.items())},
        representatives=representatives(passages, vectors, members),
    )


def representatives(passages: list[OwnPassage], vectors: Matrix, members: list[int]) -> list[OwnPassage]:
    """The passages nearest the topic's centre, one per document, at most ``REPRESENTATIVES``."""
    centre = vectors[members].mean(axis=0)
    closeness = vectors[members] @ centre
    chosen: list[OwnPassage] = []
    documents: set[str] = set()
    for j in np.argsort(-closeness, kind="stable"):
        passage = passages[members[int(j)]]
        if passage.document_id not in documents:
            chosen.append(passage)
            documents.add(passage.document_id)
        if len(chosen) == REPRESENTATIVES:
            break
    return chosen


def measure_stability(vectors: Matrix, assignment: list[int], k: int, topics: list[Topic]) -> dict[str, Any]:
    """Re-cluster 90% subsamples and compare with the full run on the passages they share."""
    from sklearn.metrics import adjusted_rand_score

    full = np.asarray(assignment)
    agreement: list[float] = []
    overlaps: dict[int, list[float]] = defaultdict(list)
    for seed in STABILITY_SEEDS:
        keep = np.flatnonzero(np.random.default_rng(seed).random(len(full)) < SUBSAMPLE)
        again = cluster(vectors[keep], k, seed)
        agreement.append(float(adjusted_rand_score(full[keep], again)))
        for number, jaccard in _best_overlaps(full[keep], again).items():
            overlaps[number].append(jaccard)
    for topic in topics:
        topic.stability = round(float(np.mean(overlaps[topic.number])), 3) if overlaps[topic.number] else None
    measured = [t.stability for t in topics if t.stability is not None]
    return {
        "seeds": list(STABILITY_SEEDS),
        "subsample": SUBSAMPLE,
        "adjusted_rand": [round(a, 3) for a in agreement],
        "mean_adjusted_rand": round(float(np.mean(agreement)), 3),
        "mean_topic_jaccard": round(float(np.mean(measured)), 3) if measured else None,
    }


def _best_overlaps(full: NDArray[np.int64], again: NDArray[np.int64]) -> dict[int, float]:
    """For each full-run topic, the best Jaccard overlap with any subsample cluster."""
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(full, again)
    topics = np.unique(full)
    sizes_full, sizes_again = table.sum(axis=1), table.sum(axis=0)
    union = sizes_full[:, None] + sizes_again[None, :] - table
    jaccard = table / np.maximum(union, 1)
    return {int(t): float(jaccard[i].max()) for i, t in enumerate(topics)}


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | FILLERS


STOP_WORDS = _stop_words()
