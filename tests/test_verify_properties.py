"""Properties of quote verification, checked by hypothesis against a real store (SQLite and PostgreSQL).

* every stretch of five or more words of a stored document verifies verbatim, whatever
  punctuation, markup and case surround it;
* changing one word of such a stretch to a word the corpus does not hold makes it not verbatim.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepinsights.backends.sqlite import Store
from deepinsights.models import Document, ImportReport
from deepinsights.verify import VERBATIM, Locator
from deepinsights.verify.normalize import words
from deepinsights.workspace import open_store

from . import pg

_COUNTER = itertools.count()
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéß", min_size=1, max_size=9)
GLUE = st.sampled_from([" ", " ", " ", ", ", ". ", "\n", " — ", " “", "” ", " (", ") ", " &amp; ", " **", "** ", "’s "])


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A document of 6-400 words joined by punctuation and markup."""
    tokens = draw(st.lists(WORD, min_size=6, max_size=400))
    glue = draw(st.lists(GLUE, min_size=len(tokens), max_size=len(tokens)))
    return "".join(token + sep for token, sep in zip(tokens, glue, strict=True)).strip()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for every example of a module run, on each backend (examples add documents to it)."""
    if request.param == "sqlite":
        store = Store(Path(tmp_path_factory.mktemp("props")) / "props.db")
        yield store
        store.close()
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    name = cluster.database(pg.MIGRATED)
    pg_store = open_store(cluster.url(name))
    yield pg_store
    pg_store.close()
    cluster.drop(name)


def _add(store: Store, text: str) -> None:
    with store.transaction():
        store.upsert_documents([Document("prop", str(next(_COUNTER)), "post", text)], ImportReport(), thinker="p")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=documents(), data=st.data())
def test_every_stretch_of_a_stored_document_is_verbatim(shared_store: Store, text: str, data: st.DataObject) -> None:
    _add(shared_store, text)
    found = words(text)
    size = data.draw(st.integers(min_value=5, max_value=min(40, len(found))))
    at = data.draw(st.integers(min_value=0, max_value=len(found) - size))
    quote = text[found[at].start : found[at + size - 1].end]
    result = Locator(shared_store).locate(quote)
    assert result.status == VERBATIM, (quote, result)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=documents(), data=st.data())
def test_one_new_word_makes_a_stretch_not_verbatim(shared_store: Store, text: str, data: st.DataObject) -> None:
    _add(shared_store, text)
    found = words(text)
    size = data.draw(st.integers(min_value=5, max_value=min(40, len(found))))
    at = data.draw(st.integers(min_value=0, max_value=len(found) - size))
    target = found[data.draw(st.integers(min_value=at, max_value=at + size - 1))]
    mutated = text[: target.start] + f"qqzx{next(_COUNTER)}" + text[target.end :]
    quote = mutated[found[at].start : found[at + size - 1].end + len(mutated) - len(text)]
    result = Locator(shared_store).locate(quote)
    assert result.status != VERBATIM, (quote, result)
