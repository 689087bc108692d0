"""Build the labelled quote set for the verifier from the real corpora in ../shared, at run time.

Nothing this writes is committed: the set holds corpus text, so it goes to bench/.cache.

Five labels, each checked against an oracle that scans the whole normalised corpus
(every document's ``normalize(text)``; independent of the verifier's candidate
retrieval and fuzzy alignment):

* ``verbatim`` — a sentence (or a 10-30 word stretch of an unpunctuated transcript) cut
  from a random stored passage, exactly as stored. Expected: verbatim.
* ``format`` — the same sentence with 1-3 changes that must not matter: curly quotes,
  case, whitespace, HTML entities, dashes, punctuation stripped, markdown emphasis or a
  link, a trailing t.co link, an elision (``…`` for 2-6 middle words holding no negation,
  contrast or number). Expected: verbatim.
* ``cut`` — the same sentence with an elision that cuts 1-4 middle words holding a negation,
  a contrast or a number (``verify.elision``): every fragment still occurs, in order, so an
  oracle of words alone calls it said; it is not what the sentence says. Expected: not
  verbatim (at best approximate).
* ``words`` — the same sentence with one or two words substituted, deleted or inserted;
  kept only when the oracle finds it nowhere. Expected: approximate (found, not verbatim).
* ``invented`` — plausible quotes that were never said: the first half of one sentence
  spliced to the second half of a sentence from another document, a sentence with most
  content words swapped for other corpus words, or 3-4 word phrases from four documents
  strung together; kept only when the oracle finds them nowhere and they are not within
  0.6 (difflib word ratio) of a sentence they were made from. Expected: not_found.

    python bench/labelled/build.py [--corpora ../shared/corpora-raw] [--out bench/.cache/labelled]

writes ``labelled.db`` (the corpora imported) and ``labelled.jsonl`` (one item a line).
"""

from __future__ import annotations

import argparse
import bisect
import difflib
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402
from deepinsights.verify.align import STOPWORDS  # noqa: E402
from deepinsights.verify.elision import meaning_cut  # noqa: E402
from deepinsights.verify.normalize import Word, normalize, split_elisions, words  # noqa: E402

THINKERS = {"karpathy": "karpathy", "simon-willison": "simonw"}
NEAR_COPY = 0.6
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=[-*#>|])")
_CODE = re.compile(r"[{}=;<>\\`|]|\b(def|return|import|self|print)\b")


@dataclass
class Item:
    """One labelled quote: its text, label, how it was made and the document it came from."""

    id: str
    text: str
    label: str
    how: str
    document_id: str | None = None


@dataclass
class Sample:
    text: str
    document_id: str


def import_corpora(corpora: Path, db_path: Path, names: tuple[str, ...] = tuple(THINKERS)) -> Path:
    """Import the named corpora (one thinker each) into a fresh ``db_path`` with ``run_import``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db_path)
    try:
        for name in names:
            run_import(store, [str(corpora / name)], ImportOptions(thinker=THINKERS.get(name, name)))
    finally:
        store.close()
    return db_path


class Oracle:
    """Does a quote occur in the corpus? Every fragment, in order, in one document's normalised text."""

    def __init__(self, store: Store) -> None:
        texts = [" " + normalize(r["text"]) + " " for r in store.rows("SELECT text FROM documents ORDER BY id")]
        self.big = "\x00".join(texts)
        self.starts = [0]
        for text in texts[:-1]:
            self.starts.append(self.starts[-1] + len(text) + 1)

    def occurs(self, quote: str) -> bool:
        fragments = [" " + normalize(f) + " " for f in split_elisions(quote)]
        if not fragments:
            return False
        at = self.big.find(fragments[0])
        while at >= 0:
            doc = bisect.bisect_right(self.starts, at) - 1
            end = self.starts[doc + 1] - 1 if doc + 1 < len(self.starts) else len(self.big)
            if _in_order(self.big[at:end], fragments):
                return True
            at = self.big.find(fragments[0], at + 1)
        return False


def _in_order(text: str, fragments: list[str]) -> bool:
    pos = 0
    for fragment in fragments:
        # subtle: fragments share their bounding spaces, so search from the space that ends the last one
        found = text.find(fragment, pos)
        if found < 0:
            return False
        pos = found + len(fragment) - 1
    return True


def sample_sentences(store: Store, rng: random.Random, n: int) -> list[Sample]:
    """``n`` distinct sentences (or transcript stretches) of 8-40 words from random passages."""
    top = int(store.rows("SELECT max(id) AS m FROM passages")[0]["m"])
    found: dict[str, Sample] = {}
    for _ in range(n * 50):
        if len(found) >= n:
            break
        row = store.rows(
            'SELECT p.start, p."end", d.id, d.text FROM passages p JOIN documents d ON d.id = p.document_id '
            "WHERE p.id >= ? ORDER BY p.id LIMIT 1",
            [rng.randint(1, top)],
        )
        if row:
            sample = _sentence_in(row[0]["text"], row[0]["start"], row[0]["end"], rng)
            if sample and normalize(sample) not in found:
                found[normalize(sample)] = Sample(sample, row[0]["id"])
    return list(found.values())


def _sentence_in(text: str, start: int, end: int, rng: random.Random) -> str | None:
    spans = [(a, b) for a, b in _sentence_spans(text) if start <= a < end] or [(start, end)]
    a, b = rng.choice(spans)
    chunk = words(text[a:b])
    if len(chunk) > 40:
        size = rng.randint(10, 30)
        i = rng.randrange(0, len(chunk) - size)
        chunk = chunk[i : i + size]
    if not 8 <= len(chunk) <= 40:
        return None
    sentence = text[a + chunk[0].start : a + chunk[-1].end].strip()
    if _CODE.search(sentence) or sum(c.isalpha() for c in sentence) < 0.7 * len(sentence.replace(" ", "")):
        return None
    return sentence


def _sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    last = 0
    for match in _SENTENCE.finditer(text):
        yield last, match.start()
        last = match.end()
    yield last, len(text)


# -- perturbations that must not matter ---------------------------------------------------------------


def _curly(text: str, rng: random.Random) -> str:
    text = re.sub(r"'", "\u2019", text)
    opened = [False]

    def quote(_: re.Match[str]) -> str:
        opened[0] = not opened[0]
        return "\u201c" if opened[0] else "\u201d"

    return "\u201c" + re.sub(r'"', quote, text) + "\u201d"


def _case(text: str, rng: random.Random) -> str:
    return rng.choice([str.upper, str.lower, str.title])(text)


def _whitespace(text: str, rng: random.Random) -> str:
    return re.sub(r" ", lambda _: rng.choice([" ", "  ", "\n", " \t", " "]), text)


def _entities(text: str, rng: random.Random) -> str:
    text = text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&quot;")
    return "&quot;" + text + "&quot;" if rng.random() < 0.5 else text


def _dashes(text: str, rng: random.Random) -> str:
    return re.sub(
        r"(?<=\w) (?=\w)",
        lambda _: rng.choice([" ", " \u2014 ", " - ", " \u2013 "]) if rng.random() < 0.1 else " ",
        text,
    )


def _strip_punctuation(text: str, rng: random.Random) -> str:
    """What an auto-caption looks like: lower case, no punctuation (but apostrophes and decimal points kept)."""
    if re.search(r"https?://|www\.", text):  # a caption has no links; stripping would mangle one into words
        return text.lower()
    return re.sub(r"(?!(?<=\w)[.'\u2019](?=\w))[^\w\s]", " ", text).lower()


def _markdown(text: str, rng: random.Random) -> str:
    found = words(text)
    w = rng.choice(found)
    styled = rng.choice(
        [
            f"**{text[w.start : w.end]}**",
            f"[{text[w.start : w.end]}](https://example.com/x?a=1)",
            f"<em>{text[w.start : w.end]}</em>",
        ]
    )
    return text[: w.start] + styled + text[w.end :]


def _link(text: str, rng: random.Random) -> str:
    return f"{text} https://t.co/{rng.randrange(16**8):08x}"


def _elide(text: str, rng: random.Random) -> str:
    """Cut 2-6 middle words that hold no negation, contrast or number (else mark a leading or trailing cut)."""
    found = words(text)
    for _ in range(10 if len(found) >= 12 else 0):
        cut = rng.randint(2, min(6, len(found) - 8))
        at = rng.randint(4, len(found) - cut - 4)
        if not meaning_cut(w.norm for w in found[at : at + cut]):
            mark = rng.choice([" \u2026 ", " ... ", " [...] ", "\u2026 "])
            return text[: found[at - 1].end] + mark + text[found[at + cut].start :]
    return "\u2026" + text if rng.random() < 0.5 else text + "..."


def cut_meaning(text: str, rng: random.Random) -> str | None:
    """``text`` with an elision over 1-4 middle words holding a negation, contrast or number (None: it has none)."""
    found = words(text)
    inner = [i for i in range(3, len(found) - 3) if meaning_cut([found[i].norm])]
    if not inner:
        return None
    i = rng.choice(inner)
    start = rng.randint(max(3, i - 1), i)
    end = min(len(found) - 3, i + rng.randint(1, 3))
    mark = rng.choice([" \u2026 ", " ... ", " [...] "])
    return text[: found[start - 1].end] + mark + text[found[end].start :]


FORMAT: dict[str, Callable[[str, random.Random], str]] = {
    "curly": _curly, "case": _case, "whitespace": _whitespace, "entities": _entities, "dashes": _dashes,
    "punctuation": _strip_punctuation, "markdown": _markdown, "link": _link, "elision": _elide,
}  # fmt: skip


_ORDER = ("punctuation", "elision", "case", "curly", "dashes", "whitespace", "markdown", "entities", "link")


def perturb_format(text: str, rng: random.Random) -> tuple[str, str]:
    """Apply 1-3 format changes, in an order where each keeps the others meaningful.

    subtle: stripping punctuation after adding an elision mark, an entity or a link would
    remove the mark or turn ``&quot;`` into the word "quot", so it always goes first.
    """
    names = sorted(rng.sample(sorted(FORMAT), rng.randint(1, 3)), key=_ORDER.index)
    for name in names:
        text = FORMAT[name](text, rng)
    return text, "+".join(names)


# -- perturbations that must be caught ----------------------------------------------------------------


def perturb_words(text: str, rng: random.Random, vocab: list[str]) -> tuple[str, str]:
    """Substitute, delete or insert one or two words (content words where possible)."""
    changes = []
    for _ in range(rng.choice([1, 1, 2])):
        found = words(text)
        content = [w for w in found if w.norm not in STOPWORDS and len(w.norm) > 2] or found
        target: Word = rng.choice(content)
        op = rng.choices(["substitute", "delete", "insert"], weights=[70, 15, 15])[0]
        replacement = _other_word(vocab, target.norm, rng)
        if op == "substitute":
            text = text[: target.start] + replacement + text[target.end :]
        elif op == "delete":
            text = (text[: target.start] + text[target.end :]).replace("  ", " ", 1)
        else:
            text = text[: target.end] + " " + replacement + text[target.end :]
        changes.append(op)
    return text, "+".join(changes)


def _other_word(vocab: list[str], avoid: str, rng: random.Random) -> str:
    while True:
        word = rng.choice(vocab)
        if word != avoid:
            return word


# -- invented quotes ---------------------------------------------------------------------------------


def invent(samples: list[Sample], rng: random.Random, vocab: list[str]) -> tuple[str, str, list[str]]:
    """A quote nobody said, in the corpus's words, with the real sentences it was made from."""
    how = rng.choice(["splice", "swap", "phrases"])
    if how == "splice":
        text, sources = _splice(samples, rng)
        return text, how, sources
    if how == "swap":
        sample = rng.choice([s for s in samples if len(words(s.text)) >= 10])
        return _swap(sample, rng, vocab), how, [sample.text]
    parts, sources = [], []
    for sample in rng.sample(samples, 4):
        found = words(sample.text)
        size = rng.randint(3, 4)
        i = rng.randrange(0, max(1, len(found) - size))
        parts.append(sample.text[found[i].start : found[min(i + size, len(found)) - 1].end])
        sources.append(sample.text)
    return " ".join(parts), how, sources


def near_copy(text: str, sources: list[str]) -> bool:
    """True when ``text`` is within 0.6 (difflib word ratio) of a sentence it was made from: a misquote."""
    mine = normalize(text).split()
    return any(difflib.SequenceMatcher(None, mine, normalize(s).split()).ratio() >= NEAR_COPY for s in sources)


def _splice(samples: list[Sample], rng: random.Random) -> tuple[str, list[str]]:
    """The first half of one sentence and the second half of another, from two documents."""
    while True:
        a, b = rng.sample(samples, 2)
        wa, wb = words(a.text), words(b.text)
        half = rng.randint(5, 10)
        if a.document_id != b.document_id and len(wa) >= half + 2 and len(wb) >= half + 2:
            return a.text[: wa[half - 1].end] + " " + b.text[wb[len(wb) - half].start :], [a.text, b.text]


def _swap(sample: Sample, rng: random.Random, vocab: list[str]) -> str:
    """Swap words (content words first) for other corpus words until at least 45% have changed."""
    found = words(sample.text)
    content = [w for w in found if w.norm not in STOPWORDS and len(w.norm) > 3]
    others = [w for w in found if w not in content]
    rng.shuffle(content)
    rng.shuffle(others)
    chosen = (content + others)[: max(3, int(len(found) * 0.45 + 0.999))]
    text = sample.text
    for w in sorted(chosen, key=lambda w: -w.start):
        text = text[: w.start] + _other_word(vocab, w.norm, rng) + text[w.end :]
    return text


def vocabulary(samples: list[Sample]) -> list[str]:
    """Content words of the sampled sentences (so substitutions stay in the corpus's own style)."""
    return sorted({w.norm for s in samples for w in words(s.text) if w.norm not in STOPWORDS and len(w.norm) > 3})


def build_items(store: Store, *, seed: int = 0, verbatim: int = 250, invented: int = 150) -> list[Item]:
    """The labelled set for the corpus in ``store`` (see the module docstring)."""
    rng = random.Random(seed)
    oracle = Oracle(store)
    samples = sample_sentences(store, rng, verbatim)
    vocab = vocabulary(samples)
    items: list[Item] = []
    for i, sample in enumerate(samples):
        items.append(Item(f"v{i}", sample.text, "verbatim", "as stored", sample.document_id))
        text, how = perturb_format(sample.text, rng)
        items.append(Item(f"f{i}", text, "format", how, sample.document_id))
        cut = cut_meaning(sample.text, rng)
        if cut is not None:
            items.append(Item(f"c{i}", cut, "cut", "elision over a negation, contrast or number", sample.document_id))
        for _ in range(20):
            text, how = perturb_words(sample.text, rng, vocab)
            if not oracle.occurs(text):
                items.append(Item(f"w{i}", text, "words", how, sample.document_id))
                break
    made = 0
    for _ in range(invented * 20):
        if made >= invented:
            break
        text, how, sources = invent(samples, rng, vocab)
        if normalize(text) and not near_copy(text, sources) and not oracle.occurs(text):
            items.append(Item(f"i{made}", text, "invented", how))
            made += 1
    return items


def write_items(items: list[Item], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(asdict(item), ensure_ascii=False) + "\n")
    return path


def read_items(path: Path) -> list[Item]:
    return [Item(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora-raw")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / ".cache" / "labelled")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbatim", type=int, default=250)
    parser.add_argument("--invented", type=int, default=150)
    args = parser.parse_args(argv)
    db_path = import_corpora(args.corpora, args.out / "labelled.db")
    store = Store(db_path)
    try:
        items = build_items(store, seed=args.seed, verbatim=args.verbatim, invented=args.invented)
    finally:
        store.close()
    path = write_items(items, args.out / "labelled.jsonl")
    counts = {
        label: sum(1 for i in items if i.label == label) for label in ("verbatim", "format", "cut", "words", "invented")
    }
    print(f"wrote {path}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
