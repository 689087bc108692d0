"""Claims resting on sources the workspace does not hold are "unverifiable here", not mismatches (both backends).

A profile written from tweets, podcasts and a second blog, checked against a workspace of
one blog: what it cannot check is counted apart with what to import, the grounding score is
computed over what it can check, and a real mismatch stays a mismatch.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.models import Document, ImportReport
from deepinsights.profile import parse_profile
from deepinsights.verify import verify_profile

PROFILE = """
identity: {slug: ada, name: Ada Example}
axioms:
  - number: 1
    title: Small things
    quotes:
      - {text: "Small programs teach more than big frameworks.", source: {title: Small Programs}}
      - {text: "Words that are nowhere at all.", source: {title: Small Programs}}
      - {text: "A tweet she may well have written.", source: {title: tweets}}
      - {text: "Something said on a podcast.", source: {title: Dwarkesh podcast}}
      - {text: "Either in the post or the essay.", source: {title: 'Small Programs, The Missing Essay'}}
lineage:
  - {name: Factorio, claimed_count: 5, count_query: factory}
  - {name: Small, claimed_count: 0, count_query: small}
corpus_claims:
  - {label: tweets, items: 10, kinds: [tweet], first: 2020-01, words_claimed: 100}
  - {label: main blog, items: 1, kinds: [post], url_contains: ada.example}
  - {label: second blog, items: 3, kinds: [post], url_contains: second.example}
"""


def _doc(source_id: str, kind: str, text: str, **fields: str) -> Document:
    when = datetime(2021, 3, 1, tzinfo=UTC)
    return Document("test", source_id, kind, text, published_at=when, **fields)  # type: ignore[arg-type]


@pytest.fixture
def blog(store: Store) -> Store:
    """One blog post: no tweets, no transcripts, nothing from the second blog."""
    post = _doc("p1", "post", "Small programs teach more than big frameworks. The factory grows.",
                title="Small Programs", url="https://ada.example/small")  # fmt: skip
    with store.transaction():
        store.upsert_documents([post], ImportReport(), thinker="ada")
    return store


def test_what_the_workspace_lacks_is_unverifiable_here_with_the_reason(blog: Store) -> None:
    report = verify_profile(parse_profile(PROFILE), blog)
    quotes = {q.path: (q.status, q.gap.reason if q.gap else None) for q in report.quotes}
    assert quotes == {
        "axioms[0].quotes[0]": ("verbatim", None),
        "axioms[0].quotes[1]": ("not_found", None),  # its source is here: a real mismatch
        "axioms[0].quotes[2]": ("unverifiable_here", "no tweets imported"),
        "axioms[0].quotes[3]": ("unverifiable_here", "no transcripts imported"),
        "axioms[0].quotes[4]": ("unverifiable_here", "“The Missing Essay” is not in the workspace"),
    }
    counts = {c.id: (c.status, c.gap.reason if c.gap else None) for c in report.counts}
    assert counts["corpus.tweets.items"] == ("unverifiable_here", "no tweets imported")
    assert counts["corpus.tweets.words"] == counts["corpus.tweets.first"] == counts["corpus.tweets.items"]
    assert counts["corpus.main-blog.items"] == ("match", None)
    assert counts["corpus.second-blog.items"] == ("unverifiable_here", "nothing from second.example imported")
    partial = counts["lineage.factorio"]  # claimed 5, measured 1 in a workspace that lacks the tweets
    assert partial[0] == "unverifiable_here" and "no tweets imported; nothing from second.example" in str(partial[1])
    assert counts["lineage.small"] == ("close", None), "measured above the claim: more data cannot fix that"


def test_grounding_is_computed_over_what_can_be_checked(blog: Store) -> None:
    summary = verify_profile(parse_profile(PROFILE), blog).summary
    # checkable: quotes verbatim 1 + not found 0; main blog items 1; Small close 0.5 → 2.5 points of 4 claims
    assert (summary.scored_claims, summary.grounding) == (4, 62.5)
    assert summary.unverifiable_here == 8
    assert "grounding 62.5/100 over the 4 claims checkable here (8 unverifiable here)" in summary.line()
    assert summary.here_lines()[0] == (
        "unverifiable here: no tweets imported — import an X archive (or a Mastodon or Bluesky export) "
        "to check 4 claims"
    )


def test_strict_fails_on_mismatches_only(blog: Store) -> None:
    failures = verify_profile(parse_profile(PROFILE), blog).failures()
    assert failures == ["axioms[0].quotes[1]: not_found", "lineage.small: claimed 0, measured 1"]


def test_once_the_source_is_imported_the_claim_is_checked(blog: Store) -> None:
    tweet = _doc("t1", "tweet", "The factory must grow.", url="https://x.com/ada/status/1")
    with blog.transaction():
        blog.upsert_documents([tweet], ImportReport(), thinker="ada")
    report = verify_profile(parse_profile(PROFILE), blog)
    statuses = {c.id: c.status for c in report.counts}
    assert statuses["corpus.tweets.items"] == "mismatch"  # 1 tweet, 10 claimed: now a real difference
    quote = next(q for q in report.quotes if q.path == "axioms[0].quotes[2]")
    assert quote.status == "not_found" and quote.gap is None
