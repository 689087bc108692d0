"""The profile site over HTTP: pages, the JSON API, security headers, hostile corpus text, export.

Every test that reads a workspace runs on SQLite and on PostgreSQL: ``workspace`` is the
fixture corpus built once per backend for the module (the tests only read it); the tests
that write to their workspace build their own from conftest's ``db``.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.testclient import TestClient

from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.passages import split_document
from deepinsights.prompt import QUOTES_MARKER
from deepinsights.site_export import INDEX_FILE, export_site
from deepinsights.web.app import create_app
from deepinsights.web.security import CSP
from deepinsights.workspace import open_store

from .test_migrations import older_workspace
from .webutil import (
    BACKENDS,
    PROFILE_YAML,
    fixture_documents,
    make_workspace,
    module_db,
    serving,
    write_profile,
)

SECTIONS = [
    "axioms",
    "lineage",
    "mental-models",
    "tensions",
    "predictions",
    "extensions",
    "eras",
    "search",
    "corpus",
    "gaps",
    "prompt",
]


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    return write_profile(tmp_path / "profiles")


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The fixture corpus's --db value, built once per backend; its tests must not write to it."""
    with module_db(request, tmp_path_factory.mktemp("web")) as db:
        yield make_workspace(db)


@pytest.fixture
def client(workspace: Path, profiles: Path):
    with TestClient(create_app(workspace, profiles)) as c:
        yield c


def _tree(html: str) -> HTMLParser:
    return HTMLParser(html)


# -- the page ------------------------------------------------------------------------


def test_page_renders_every_section_with_contents(client):
    response = client.get("/profile/ada")
    assert response.status_code == 200
    tree = _tree(response.text)
    for section in SECTIONS:
        assert tree.css_first(f"main > section#{section}") is not None, section
        assert tree.css_first(f'nav.toc a[href="#{section}"]') is not None, section
    assert len(tree.css(".axiom")) == 2
    assert len(tree.css("table.ledger tbody tr")) == 2
    assert len(tree.css(".timeline .era")) == 2
    assert tree.css_first("#measured-stats") is not None


def test_reconstructed_items_show_a_marker(client):
    tree = _tree(client.get("/profile/ada").text)
    axioms = tree.css(".axiom")
    assert axioms[0].css_first("[data-reconstructed]") is None
    marker = axioms[1].css_first("[data-reconstructed]")
    assert marker is not None and marker.attributes["title"] == "The heading was lost."


def test_page_has_no_inline_script_and_data_is_a_json_block(client):
    tree = _tree(client.get("/profile/ada").text)
    for script in tree.css("script"):
        assert script.attributes.get("src") or script.attributes.get("type") == "application/json"
    data = json.loads(tree.css_first("script#page-data").text())
    assert data["mode"] == "server" and data["thinker"] == "ada" and data["api"]["search"] == "/api/search"
    assert not [n for n in tree.css("[style]")], "inline styles are refused by the CSP"


def test_profile_text_is_escaped(client):
    html = client.get("/profile/ada").text
    assert "<script>window.__pwned" not in html
    assert "&lt;script&gt;window.__pwned = 9&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.lower()


def test_prompt_is_compiled_into_a_details_block(client):
    tree = _tree(client.get("/profile/ada").text)
    pre = tree.css_first("details.prompt pre#prompt-text")
    assert pre is not None and pre.text().startswith("You are simulating Ada (")
    assert "(8 posts)" in pre.text() and "measured from the imported corpus" in pre.text()  # the claim says 3
    assert tree.css_first("button#copy-prompt") is not None


def test_corpus_panel_shows_measured_beside_claimed(client):
    tree = _tree(client.get("/profile/ada").text)
    measured = {row.css("td")[0].text(): row.css("td")[1].text() for row in tree.css("#measured-stats tbody tr")}
    assert measured == {"post": "8", "tweet": "4", "readme": "1", "transcript": "1"}
    claim = tree.css_first("#claimed-stats tbody tr")
    assert [td.text(strip=True) for td in claim.css("td.num")] == ["3", "8"]


def test_index_redirects_to_the_chosen_profile(workspace, profiles):
    with TestClient(create_app(workspace, profiles, default_slug="ada")) as c:
        response = c.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/profile/ada"


def test_index_lists_profiles_when_there_are_several(workspace, profiles):
    write_profile(profiles, PROFILE_YAML.replace("slug: ada", "slug: bob").replace("Ada Example", "Bob"), "bob.yaml")
    with TestClient(create_app(workspace, profiles)) as c:
        response = c.get("/")
    names = [a.text() for a in _tree(response.text).css(".profile-list a")]
    assert response.status_code == 200 and "Ada Example" in names and "Bob" in names


def test_unknown_profile_is_a_404_page(client):
    response = client.get("/profile/nobody")
    assert response.status_code == 404 and "No profile" in response.text


def test_invalid_profile_is_an_error_page_naming_the_field(workspace, profiles):
    write_profile(profiles, "identity:\n  slug: bad\n  name: Bad\naxioms:\n  - title: no number\n", "bad.yaml")
    with TestClient(create_app(workspace, profiles), raise_server_exceptions=False) as c:
        response = c.get("/profile/bad")
    assert response.status_code == 500
    assert "axioms[0].number" in response.text and "Traceback" not in response.text


@pytest.mark.sqlite_only(reason="a missing SQLite file is the missing workspace; the server must not create it")
def test_page_without_a_corpus_says_how_to_import(tmp_path, profiles):
    missing = tmp_path / "nothing-here.db"
    with TestClient(create_app(missing, profiles)) as c:
        page = c.get("/profile/ada")
        search = c.get("/api/search", params={"q": "micrograd"})
        stats = c.get("/api/stats")
    assert page.status_code == 200
    notice = _tree(page.text).css_first("#no-corpus")
    assert notice is not None and f"insights import PATH --thinker ada --db {missing}" in notice.text()
    assert search.json()["hits"] == []
    assert stats.json()["corpus"]["available"] is False
    assert not missing.exists(), "the server must never create the workspace"


def test_page_without_a_corpus_picks_it_up_once_imported(db, profiles):
    """SQLite: the file does not exist yet; PostgreSQL: the database holds no documents yet."""
    with TestClient(create_app(db, profiles)) as c:
        assert c.get("/api/search", params={"q": "micrograd"}).json()["hits"] == []
        make_workspace(db)
        assert c.get("/api/search", params={"q": "micrograd"}).json()["hits"]


def test_server_side_search_works_without_javascript(client):
    tree = _tree(client.get("/profile/ada", params={"q": "factorio"}).text)
    hits = tree.css("#search-results li")
    assert len(hits) == 1 and hits[0].css_first("mark").text() == "Factorio"
    assert tree.css_first("#search-q").attributes["value"] == "factorio"


# -- the API -------------------------------------------------------------------------


def test_search_api_highlights_and_links(client):
    body = client.get("/api/search", params={"q": "micrograd"}).json()
    assert body["matched"] == 4
    for hit in body["hits"]:
        marked = [text for text, on in hit["snippet"] if on]
        assert marked and all(m.lower() == "micrograd" for m in marked)
    transcript = next(h for h in body["hits"] if h["kind"] == "transcript")
    doc = next(d for d in fixture_documents() if d.kind == "transcript")
    passage = next(p for p in split_document(doc) if "micrograd" in p.text)
    assert passage.ordinal > 0 and passage.url.endswith(
        f"&t={int(passage.anchor_label[:-3]) * 60 + int(passage.anchor_label[-2:])}s"
    )
    assert (transcript["anchor"], transcript["url"]) == (passage.anchor_label, passage.url)


def test_search_api_prefix_matches_the_last_word_as_you_type(client):
    assert client.get("/api/search", params={"q": "microg"}).json()["matched"] == 4
    assert client.get("/api/search", params={"q": "microgradx"}).json()["matched"] == 0


def test_search_api_filters_narrow_results(client):
    def matched(**params: str) -> int:
        return int(client.get("/api/search", params={"q": "micrograd", **params}).json()["matched"])

    assert matched(kind="tweet") == 1
    assert matched(kind="post,readme") == 2
    assert matched(since="2022-01-01") == 2
    assert matched(until="2021-12-31") == 1
    assert matched(since="2022-08", until="2022-08") == 1
    assert matched(thinker="someone-else") == 0
    assert len(client.get("/api/search", params={"q": "micrograd", "limit": "1"}).json()["hits"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "(",
        ")",
        "NEAR(a b",
        "a OR b",
        "AND",
        "NOT x",
        "*",
        "-",
        "^",
        ":",
        "a:b",
        "'",
        "\\",
        "{x}",
        "[x]",
        "💥",
        "\x00",
        "x" * 5000,
        "NEAR(",
        '"quotes like this"',
        "parentheses (nested (deep))",
    ],
)
def test_search_api_never_fails_on_syntax(client, query):
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 200
    assert isinstance(response.json()["hits"], list)


def test_search_api_finds_operator_words_as_text(client):
    assert client.get("/api/search", params={"q": "NEAR(a b)"}).json()["matched"] == 1
    assert client.get("/api/search", params={"q": "parentheses (nested"}).json()["matched"] == 1


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-13-99x"}, "until"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "1.5"}, "offset"),
    ],
)
def test_search_api_rejects_bad_parameters_with_400(client, params, fragment):
    response = client.get("/api/search", params={"q": "micrograd", **params})
    assert response.status_code == 400 and fragment in response.json()["error"]


def test_search_api_keeps_hostile_text_as_data_and_drops_unsafe_links(client, workspace):
    hits = client.get("/api/search", params={"q": "pwned", "limit": "50"}).json()["hits"]
    assert len(hits) == 6
    assert all(hit["url"] is None or hit["url"].startswith("https://") for hit in hits)
    response = client.get("/api/search", params={"q": "pwned"})
    assert response.headers["content-type"] == "application/json"
    texts = "".join(t for hit in hits for t, _ in hit["snippet"])
    assert "<script>" in texts  # data in JSON, escaped by every renderer


def test_server_rendered_hostile_results_are_inert(client):
    html = client.get("/profile/ada", params={"q": "pwned"}).text
    tree = _tree(html)
    results = tree.css_first("#search-results")
    assert len(results.css("li")) == 6
    assert results.css("script, img, iframe, b, i, a[onclick], [onerror]") == []
    assert len(results.css("div")) == 2 * 6  # only the page's own meta and title lines
    assert [a.attributes["href"] for a in results.css("a") if not a.attributes["href"].startswith("https://")] == []
    assert "&lt;script&gt;window.__pwned" in html


def test_bidi_controls_are_shown_not_obeyed(client):
    hit = client.get("/api/search", params={"q": "bidi"}).json()["hits"][0]
    text = "".join(t for t, _ in hit["snippet"])
    assert "invoice[U+202E]exe.pdf" in text and "[U+2066]isolate[U+2069]" in text
    assert "\u202e" not in text and hit["title"] == "bidi [U+202E]title"


def test_search_cache_sees_every_commit(db, profiles):
    from deepinsights.models import Document, ImportReport

    with TestClient(create_app(make_workspace(db), profiles)) as c:
        assert c.get("/api/search", params={"q": "zeppelin"}).json()["matched"] == 0
        assert c.get("/api/search", params={"q": "zeppelin"}).json()["matched"] == 0  # now cached
        writer = open_store(db)
        try:
            with writer.transaction():
                doc = Document(source="fixture", source_id="z", kind="post", text="A zeppelin over the factory.")
                writer.upsert_documents([doc], ImportReport(), thinker="ada")
        finally:
            writer.close()
        assert c.get("/api/search", params={"q": "zeppelin"}).json()["matched"] == 1


def test_cached_search_does_not_hide_a_running_import(db, profiles):
    """Until the writer commits, readers see the old corpus, and so does the cache."""
    from deepinsights.models import Document, ImportReport

    with TestClient(create_app(make_workspace(db), profiles)) as c:
        writer = open_store(db)
        try:
            with writer.transaction():
                doc = Document(source="fixture", source_id="y", kind="post", text="An uncommitted yurt.")
                writer.upsert_documents([doc], ImportReport(), thinker="ada")
                assert c.get("/api/search", params={"q": "yurt"}).json()["matched"] == 0
            assert c.get("/api/search", params={"q": "yurt"}).json()["matched"] == 1
        finally:
            writer.close()


@pytest.mark.parametrize("slots", [None, "1", "many"])
def test_the_server_runs_one_search_per_core_at_a_time_and_queues_the_rest(workspace, profiles, monkeypatch, slots):
    """Sixteen searches at once run a core's worth at a time (or as many as set), in turn; every one is answered."""
    import time
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from deepinsights.web.app import search_slots

    if slots is not None:
        monkeypatch.setenv("DEEPINSIGHTS_SEARCH_SLOTS", slots)
    app = create_app(workspace, profiles, cache_size=0)
    corpus = app.state.site.corpus
    searching, most, lock = 0, 0, threading.Lock()
    search_body = corpus.search_body

    def counted(params):
        nonlocal searching, most
        with lock:
            searching += 1
            most = max(most, searching)
        try:
            time.sleep(0.05)  # long enough for every request to arrive while the first ones run
            return search_body(params)
        finally:
            with lock:
                searching -= 1

    corpus.search_body = counted
    with serving(app) as base, ThreadPoolExecutor(16) as pool:
        urls = [f"{base}/api/search?q=engine&limit={n + 1}" for n in range(16)]
        bodies = list(pool.map(lambda url: json.loads(urllib.request.urlopen(url, timeout=30).read()), urls))
    assert [len(b["hits"]) for b in bodies] == [min(n + 1, len(bodies[-1]["hits"])) for n in range(16)]
    cores = len(os.sched_getaffinity(0))
    assert most == min(16, search_slots()) and search_slots() == (1 if slots == "1" else cores)


def test_profile_and_stats_api(client):
    body = client.get("/api/profile/ada").json()
    assert body["slug"] == "ada" and body["profile"]["identity"]["name"] == "Ada Example"
    assert client.get("/api/profile/nobody").status_code == 404
    stats = client.get("/api/stats", params={"thinker": "ada"}).json()
    assert stats["corpus"] == {"available": True, "documents": 14, "error": None}
    assert sum(row["items"] for row in stats["stats"]) == 14
    slugs = [entry["slug"] for entry in client.get("/api/profiles").json()]
    assert slugs[0] == "ada" and "karpathy" in slugs  # the folder's profiles first, then the packaged ones


# -- security ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile/ada", "/api/search?q=x", "/static/site.css", "/nowhere", "/api/profile/x"])
def test_every_response_carries_security_headers(client, path):
    response = client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP and "object-src 'none'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"


def test_cross_site_posts_are_refused(client):
    assert client.post("/api/search", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api/search", headers={"Origin": "null"}).status_code == 403
    assert client.post("/api/search", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/api/search", headers={"Origin": "http://testserver"}).status_code == 405


def test_foreign_host_headers_are_refused(client):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the corpus."""
    assert client.get("/api/search?q=micrograd", headers={"Host": "evil.example"}).status_code == 400


TRAVERSALS = [
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/..%5c..%5c..%5cetc%5cpasswd",
    "/static/%252e%252e/%252e%252e/etc/passwd",
    "/static//etc/passwd",
    "/static/site.css/../../app.py",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/..%2fapp.py",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_files_never_leave_the_static_folder(workspace, profiles, path):
    """Sent byte for byte over a real socket (an HTTP client library would normalise the dots)."""
    with serving(create_app(workspace, profiles)) as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        conn.close()
    assert response.status in (400, 404), (path, response.status)
    assert b"root:" not in body and b"create_app" not in body


def test_static_files_are_served(client):
    css = client.get("/static/site.css")
    js = client.get("/static/site.js")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.text
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]


# -- concurrency ---------------------------------------------------------------------


def test_concurrent_requests_each_get_a_working_connection(workspace, profiles):
    errors: list[str] = []
    with serving(create_app(workspace, profiles)) as base:
        host = base.removeprefix("http://")

        def worker(word: str) -> None:
            conn = http.client.HTTPConnection(host, timeout=10)
            for _ in range(15):
                conn.request("GET", f"/api/search?q={word}")
                response = conn.getresponse()
                body = json.loads(response.read())
                if response.status != 200 or not body["hits"]:
                    errors.append(f"{word}: {response.status}")
            conn.close()

        threads = [threading.Thread(target=worker, args=(w,)) for w in ["micrograd", "tokenizer", "factorio"] * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


# -- static export -------------------------------------------------------------------


def _index_data(site: Path) -> dict:
    text = (site / INDEX_FILE).read_text(encoding="ascii")
    prefix = "window.DEEPINSIGHTS_INDEX = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


def test_export_writes_a_page_and_a_safe_index(tmp_path, workspace, profiles):
    site = tmp_path / "site"
    report = export_site(site, workspace, slug="ada", profiles_dir=profiles)
    assert report.pages == ["index.html"] and report.documents == 14 and report.passages == 15
    assert (site / "static" / "site.css").is_file() and (site / "static" / "site.js").is_file()
    raw = (site / INDEX_FILE).read_bytes()
    for forbidden in (b"</script", b"<script", b"<", b">", "\u2028".encode(), "\u2029".encode()):
        assert forbidden not in raw
    data = _index_data(site)
    texts = [p[1] for p in data["passages"]]
    assert any("<script>window.__pwned" in t for t in texts) and any("\u2028" in t for t in texts)
    urls = [d[3] for d in data["docs"]] + [p[2] for p in data["passages"]]
    assert all(u is None or u.startswith("https://") for u in urls)


def test_exported_page_is_static_and_self_contained(tmp_path, workspace, profiles):
    site = tmp_path / "site"
    export_site(site, workspace, slug="ada", profiles_dir=profiles)
    tree = _tree((site / "index.html").read_text(encoding="utf-8"))
    sources = [s.attributes.get("src") for s in tree.css("script") if s.attributes.get("src")]
    assert sources == ["search-index.js", "static/site.js"]
    assert tree.css_first('meta[http-equiv="Content-Security-Policy"]') is not None
    data = json.loads(tree.css_first("script#page-data").text())
    assert data["mode"] == "static" and data["api"]["search"] is None
    for link in tree.css("link[href], script[src]"):
        target = link.attributes.get("href") or link.attributes.get("src")
        assert (site / target).is_file(), target


def test_export_of_several_profiles_writes_an_index_page(tmp_path, workspace, profiles):
    write_profile(profiles, PROFILE_YAML.replace("slug: ada", "slug: bob").replace("Ada Example", "Bob"), "bob.yaml")
    site = tmp_path / "site"
    report = export_site(site, workspace, profiles_dir=profiles)
    assert {"ada.html", "bob.html", "index.html"} <= set(report.pages)
    links = [a.attributes["href"] for a in _tree((site / "index.html").read_text()).css(".profile-list a")]
    assert "ada.html" in links and "bob.html" in links


def test_export_without_a_corpus(tmp_path, profiles):
    site = tmp_path / "site"
    report = export_site(site, None, slug="ada", profiles_dir=profiles)
    assert report.passages == 0 and _index_data(site) == {"v": 1, "docs": [], "passages": []}
    assert "insights import" in (site / "index.html").read_text()


def test_export_of_an_unknown_profile_is_a_clear_error(tmp_path, workspace, profiles, run):
    result = run("export-site", tmp_path / "site", "nobody", "--db", workspace, "--profiles", profiles)
    assert result.exit_code == 1 and "No profile 'nobody'" in result.output


def test_export_site_command(tmp_path, workspace, profiles, run):
    result = run("export-site", tmp_path / "site", "ada", "--db", workspace, "--profiles", profiles, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passages"] == 15


# -- verification --------------------------------------------------------------------


def test_verify_api_reports_quotes_and_counts(client):
    body = client.get("/api/verify/ada").json()
    assert body["available"] is True
    quote = next(q for q in body["results"]["quotes"] if q["path"] == "axioms[0].quotes[0]")
    assert quote["status"] == "verbatim" and quote["location"]["kind"] == "readme"
    counts = {c["id"]: c for c in body["results"]["counts"]}
    assert counts["corpus.posts.items"]["measured"] == 8 and counts["corpus.posts.items"]["status"] == "mismatch"
    assert client.get("/api/verify/nobody").status_code == 404


def test_every_count_placeholder_matches_a_verify_id(db):
    """The page finds each badge by verify's ids; a renamed id would leave a badge blank."""
    from deepinsights.profile import load_profile
    from deepinsights.verify import verify_profile

    make_workspace(db, thinker="karpathy")
    with TestClient(create_app(db)) as c:
        tree = _tree(c.get("/profile/karpathy").text)
    store = open_store(db, read_only=True)
    try:
        report = verify_profile(load_profile("karpathy"), store)
    finally:
        store.close()
    placeholders = {n.attributes["data-count-for"] for n in tree.css("[data-count-for]")}
    quotes = {n.attributes["data-verify-for"] for n in tree.css("[data-verify-for]")}
    assert placeholders and placeholders <= {c.id for c in report.counts}
    assert quotes == {q.path for q in report.quotes if not q.path.startswith("simulator.")}


def test_verify_without_a_corpus(tmp_path, profiles):
    with TestClient(create_app(tmp_path / "none.db", profiles)) as c:
        assert c.get("/api/verify/ada").json() == {"slug": "ada", "available": False, "results": None}


def test_export_embeds_verification_results(tmp_path, workspace, profiles):
    site = tmp_path / "site"
    export_site(site, workspace, slug="ada", profiles_dir=profiles)
    data = json.loads(_tree((site / "index.html").read_text()).css_first("script#page-data").text())
    with TestClient(create_app(workspace, profiles)) as c:
        served = c.get("/api/verify/ada").json()["results"]
    statuses = {q["path"]: q["status"] for q in data["verify"]["quotes"]}
    assert statuses == {"axioms[0].quotes[0]": "verbatim"}
    assert data["verify"]["summary"] == served["summary"], "the export embeds what the server's API returns"


# -- the packaged Karpathy profile ---------------------------------------------------


def test_karpathy_page_holds_every_seed_section(tmp_path):
    with TestClient(create_app(tmp_path / "none.db")) as c:
        response = c.get("/profile/karpathy")
    assert response.status_code == 200
    tree = _tree(response.text)
    counts = {
        ".axiom": 10,
        ".lineage-entry": 4,
        ".model": 8,
        ".tension": 5,
        "table.ledger tbody tr": 20,
        ".extension": 5,
        ".timeline .era": 4,
        "ul.gaps:not(#computed-gaps) li": 6,
    }
    for selector, expected in counts.items():
        assert len(tree.css(selector)) == expected, selector
    assert tree.css_first("[data-reconstructed]") is not None
    assert "Make the complex legible" in tree.css_first("pre#prompt-text").text()


def test_headings_and_counts_come_from_the_workspace_and_the_profiles_are_claims(db):
    """The seed's "Tweet Archive Search (756 tweets)" over a workspace of a few posts says what is there instead."""
    make_workspace(db, thinker="karpathy")
    with TestClient(create_app(db)) as c:
        tree = _tree(c.get("/profile/karpathy").text)
    assert tree.css_first("#search-title").text().strip().startswith("Archive search")
    holdings = tree.css_first("#search-holdings").text()
    assert "14 documents: 8 posts, 4 tweets, 1 README, 1 transcript" in holdings.replace("\n", " ")
    claim = tree.css_first("#search-claim")
    assert "“Tweet Archive Search (756 tweets) — Search the full tweet corpus" in claim.text()
    assert claim.css_first(".badge.claim") is not None
    assert [a.text().strip() for a in tree.css("nav.toc a") if "search" in a.text().lower()] == ["Archive search"]
    assert "756 tweets" in tree.css_first("#built-from").text() and tree.css_first("#built-from .badge.claim")
    assert "This workspace: 14 documents" in tree.css_first("#built-from-measured").text()
    prompt = tree.css_first("pre#prompt-text").text()
    assert "public output (4 tweets, 8 posts, 1 transcript, 4 podcast appearances (claimed), 1 README)." in prompt
    assert "GitHub repos" not in prompt and QUOTES_MARKER in prompt
    assert "[not checked: its source is not in the corpus" in prompt and "[not found in the corpus" in prompt


# -- the CLI -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_command(*args: object) -> Iterator[str]:
    """``insights serve ARGS --port 0`` in a real process; yields the address it prints."""
    command = [sys.executable, "-m", "deepinsights", "serve", *map(str, args), "--port", "0"]
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def search_served(address: str, q: str) -> dict:
    conn = http.client.HTTPConnection(address.split("/")[2], timeout=10)
    try:
        conn.request("GET", f"/api/search?q={q}")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def test_serve_prints_its_address_and_serves(tmp_path, workspace, profiles):
    with serve_command("ada", "--db", workspace, "--profiles", profiles) as address:
        assert address.startswith("http://127.0.0.1:") and address.endswith("/profile/ada")
        assert search_served(address, "factorio")["matched"] == 1


def test_serve_reads_an_older_workspace_without_changing_it(tmp_path, profiles):
    db = tmp_path / "older.db"
    older_workspace(db, "m006_fts_hashsize").close()  # as a previous version of deep-insights left it
    before = db.read_bytes()
    with serve_command("ada", "--db", db, "--profiles", profiles) as address:
        assert search_served(address, "analytical")["matched"] == 1  # not "migrate it first"
    assert db.read_bytes() == before


def test_serve_refuses_an_unknown_profile(workspace, profiles, run):
    result = run("serve", "nobody", "--db", workspace, "--profiles", profiles, "--port", str(_free_port()))
    assert result.exit_code == 1 and "No profile 'nobody'" in result.output


# -- the real corpus -----------------------------------------------------------------


KARPATHY_PARTS = ("blog", "project-writing", "lecture-transcripts")


@pytest.mark.shared
@pytest.mark.slow
def test_karpathy_archive_search_on_the_real_corpus(corpora, db):
    """Each word is found exactly when it occurs in the raw files (an oracle, not a hope)."""
    root = corpora / "karpathy"
    store = open_store(db)
    try:
        run_import(store, [str(root / part) for part in KARPATHY_PARTS], ImportOptions(thinker="karpathy"))
    finally:
        store.close()
    raw = " ".join(
        p.read_text(errors="replace").lower()
        for part in KARPATHY_PARTS
        for p in (root / part).rglob("*")
        if p.is_file()
    )
    assert "micrograd" in raw and "tokenizer" in raw
    with TestClient(create_app(db)) as c:
        for word in ("Factorio", "micrograd", "tokenizer"):
            body = c.get("/api/search", params={"q": word, "thinker": "karpathy"}).json()
            assert (body["matched"] > 0) == (word.lower() in raw), word
            marked = {text.lower() for hit in body["hits"] for text, on in hit["snippet"] if on}
            assert all(m.startswith(word.lower()[:5]) for m in marked), (word, marked)
        page = _tree(c.get("/profile/karpathy").text)
        assert page.css_first("#no-corpus") is None
        assert len(page.css("#measured-stats tbody tr")) >= 3


def test_fixture_documents_are_what_the_tests_expect():
    docs = fixture_documents()
    assert len(docs) == 14 and len({d.id for d in docs}) == 14
