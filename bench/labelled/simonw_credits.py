"""The people Simon Willison's link blog credits most, labelled from its `via` fields, blind to any ranking.

Ground truth for bench/bench_lineage.py. Written and run before deep-insights' lineage
ranking existed, by rules fixed here, so the labels cannot lean towards what the ranking finds.

Rules:

1. A *credit* is a row of `blog_blogmark.ndjson` (simonw/simonwillisonblog-backup) with a
   `via_url` or a `via_title`: the link post says whom it found the link through.
2. A credit's *source* is the host of `via_url` (`www.` dropped), or for social sites
   (twitter.com, x.com, Mastodon servers, bsky.app) host + account; on hub hosts where many
   people publish (github.com, gist.github.com, delicious.com, medium.com, simonwillison.net's
   own blogmarks pages) the source is the `via_title` itself. Without `via_url`, the title.
3. Every source with 3 or more credits, every hub title that is a person's name, and every
   smaller source whose titles or account name a person labelled so (@kellan beside "Kellan" on
   laughingmeme.org) is labelled by hand in `simonw_credit_labels.json`: `person` (with the
   person's name), `organisation` (a site, company, community, aggregator or publication:
   Hacker News, Slashdot, MetaFilter, O'Reilly Radar, Ajaxian…), `thinker` (Simon Willison
   himself: @simonw, @simon, his own sites), `blog` (a blog whose author no credit names) or
   `other` (a mailing list, a blog host). A blog is its author's (`person`) only where the
   corpus says who writes it: another credit on the same host names the person ("ongoing" and
   "Tim Bray" on tbray.org), or a title does ("Jeremy Zawodny's blog"); the label records which.
   A social account is a person when its titles or name show one ("@jacobian"; "Alex Russell").
4. A person's credits are summed over all their sources (jacobian.org + @jacobian +
   "Jacob Kaplan-Moss" on delicious); the 20 with most credits are the labelled set
   (`simonw-top-people.json`), each with the aliases a ranking may name them by (name, handles,
   blog titles, hosts). Ties at the cut are broken by name and reported.

    python bench/labelled/simonw_credits.py [--corpora ../shared/corpora-raw] [--worksheet]

`--worksheet` prints every source with its credit count and titles (what the labeller reads).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
LABELS = HERE / "simonw_credit_labels.json"
OUT = HERE / "simonw-top-people.json"
TABLE = "simon-willison/blog-backup/blog_blogmark.ndjson"
SOCIAL = ("twitter.com", "x.com", "bsky.app", "mastodon.social", "fedi.simonwillison.net", "hachyderm.io")
HUBS = ("github.com", "gist.github.com", "delicious.com", "del.icio.us", "medium.com", "simonwillison.net")
MIN_CREDITS = 3
TOP = 20


def credits(corpora: Path) -> list[tuple[str, str]]:
    """(source, title) for every credited link post."""
    columns: list[str] = json.loads((corpora / TABLE).with_suffix(".metadata.json").read_text())["columns"]
    found = []
    for line in (corpora / TABLE).open(encoding="utf-8"):
        row = dict(zip(columns, json.loads(line), strict=True))
        url, title = row.get("via_url") or "", (row.get("via_title") or "").strip()
        if url or title:
            found.append((source_of(url, title), title))
    return found


def source_of(url: str, title: str) -> str:
    """Rule 2: host, host/account on social sites, the title on hub hosts or without a URL."""
    if not url:
        return f"title:{title}"
    parsed = urlparse(url)
    host = parsed.netloc.lower().removeprefix("www.")
    if host in SOCIAL or host.endswith(".social"):
        account = parsed.path.strip("/").split("/")[0].lstrip("@").lower()
        return f"{host}/{account}"
    if host in HUBS:
        return f"{host}:{title}"
    return host


def worksheet(found: list[tuple[str, str]]) -> None:
    counts = Counter(source for source, _ in found)
    titles: dict[str, Counter[str]] = defaultdict(Counter)
    for source, title in found:
        titles[source][title] += 1
    for source, n in counts.most_common():
        if n >= MIN_CREDITS or source.split(":")[0] in HUBS:
            print(n, source, dict(titles[source].most_common(5)))


def top_people(found: list[tuple[str, str]], labels: dict[str, Any]) -> dict[str, Any]:
    """Rule 4: credits summed per labelled person, the TOP most credited."""
    per_person: Counter[str] = Counter()
    aliases: dict[str, set[str]] = defaultdict(set)
    for source, _title in found:
        label = labels.get(source)
        if label and label["kind"] == "person":
            per_person[label["person"]] += 1
            aliases[label["person"]].update(label.get("aliases", []))
    ranked = sorted(per_person.items(), key=lambda item: (-item[1], item[0]))
    cut = ranked[TOP - 1][1] if len(ranked) >= TOP else 0
    tied = [name for name, n in ranked[TOP:] if n == cut]
    people = [{"person": name, "credits": n, "aliases": sorted(aliases[name] | {name})} for name, n in ranked[:TOP]]
    kinds = Counter(labels[s]["kind"] if s in labels else "unlabelled" for s, _ in found)
    return {
        "what": "the 20 people Simon Willison's link blog (blog_blogmark via_url/via_title) credits most",
        "rules": "bench/labelled/simonw_credits.py (module docstring)",
        "credits": len(found),
        "credits_by_label": dict(kinds.most_common()),
        "tied_at_the_cut_and_left_out": tied,
        "people": people,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=HERE.parents[2] / "shared" / "corpora-raw")
    parser.add_argument("--worksheet", action="store_true")
    args = parser.parse_args()
    found = credits(args.corpora)
    if args.worksheet:
        worksheet(found)
        return
    result = top_people(found, json.loads(LABELS.read_text()))
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
