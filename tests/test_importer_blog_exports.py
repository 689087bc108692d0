"""Blog platform exports: Substack and Medium zips, WordPress WXR, Ghost JSON — realistic and hostile."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError, ImporterError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.ingest import run_import


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return path


def read_all(path: Path, **options):
    importer = importer_for(path)
    assert importer is not None
    opts = ImportRun(root=path, **options)
    return {d.source_id: d for d in importer.read(path, opts)}, opts.skipped


def reimport_is_a_no_op(store, path: Path, **options) -> None:
    again = run_import(store, [str(path)], ImportOptions(**options))
    assert (again.added, again.updated) == (0, 0) and again.unchanged > 0


# -- Substack -----------------------------------------------------------------------------------

SUBSTACK_COLUMNS = ["post_id", "post_date", "is_published", "email_sent_at", "inbox_sent_at", "type", "audience",
                    "title", "subtitle", "podcast_url"]  # fmt: skip


def substack_zip(path: Path, extra: dict[str, str] | None = None) -> Path:
    rows = [
        ["101.why-tokens", "2023-02-01T15:10:21.397Z", "true", "2023-02-01T15:10:22Z", "", "newsletter", "everyone",
         "Why tokens & bytes", "A subtitle", ""],
        ["102.on-scale", "2023-03-05T09:00:00.000Z", "true", "", "", "newsletter", "everyone", "On scale", "", ""],
        ["103.paid-thoughts", "2023-04-01T09:00:00.000Z", "true", "", "", "newsletter", "only_paid", "Paid", "", ""],
        ["104.unfinished", "", "false", "", "", "newsletter", "everyone", "Draft", "", ""],
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUBSTACK_COLUMNS)
    writer.writerows(rows)
    members = {
        "posts.csv": out.getvalue(),
        "posts/101.why-tokens.html": "<p>Tokens are <em>not</em> words &amp; that matters.</p><script>x()</script>",
        "posts/102.on-scale.html": "<h2>Scale</h2><p>More compute wins.</p><blockquote><p>A quote</p></blockquote>",
        "posts/103.paid-thoughts.html": "<p>Only for paying readers.</p>",
        "posts/104.unfinished.html": "<p>Not yet.</p>",
        "posts/101.why-tokens.opens.csv": "email,timestamp\nreader@example.org,2023-02-01\n",
        "email_list.mysub.csv": "email,active_subscription\nreader@example.org,true\n",
        **(extra or {}),
    }
    return make_zip(path, members)


def test_substack_zip(tmp_path, store):
    path = substack_zip(tmp_path / "export.zip")
    assert importer_for(path).name == "substack"
    template = "https://example.substack.com/p/{slug}"
    report = run_import(store, [str(path)], ImportOptions(url_template=template))
    assert (report.added, report.by_kind) == (2, {"newsletter": 2})
    docs, skipped = read_all(path, url_template=template)
    post = docs["101"]
    assert post.title == "Why tokens & bytes"
    assert post.text == "Tokens are not words & that matters."
    assert post.url == "https://example.substack.com/p/why-tokens"
    assert post.published_at.isoformat(timespec="seconds") == "2023-02-01T15:10:21+00:00"
    assert post.meta["subtitle"] == "A subtitle"
    reasons = " | ".join(s.reason for s in skipped)
    assert "1 drafts left out" in reasons and "1 posts for paid subscribers only" in reasons
    assert "2 subscriber lists and open/delivery statistics never read" in reasons
    assert not any("reader@example.org" in d.text for d in docs.values())
    assert set(read_all(path, include_private=True)[0]) == {"101", "102", "103"}
    reimport_is_a_no_op(store, path, url_template=template)


def test_substack_zip_with_traversal_names(tmp_path):
    path = substack_zip(tmp_path / "export.zip", {"../../posts/evil.html": "<p>x</p>", "/abs/posts.csv": "x"})
    docs, skipped = read_all(path)
    assert set(docs) == {"101", "102"}
    assert any("2 members with unsafe names" in s.reason for s in skipped)


# -- Medium -------------------------------------------------------------------------------------


def medium_post(title: str, body: str, when: str | None, canonical: str) -> str:
    time = f'<a href="{canonical}" class="p-canonical-link"><time class="dt-published" datetime="{when}">x</time></a>'
    return f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title><style>body {{ color: red }}</style></head><body><article class="h-entry">
<header><h1 class="p-name">{title}</h1></header>
<section data-field="subtitle" class="p-summary">A subtitle for {title}</section>
<section data-field="body" class="e-content"><section name="a1" class="section"><div class="section-inner">
<h3 name="b1" class="graf graf--h3 graf--leading graf--title">{title}</h3>{body}</div></section></section>
<footer><p>By <a href="https://medium.com/@karpathy" class="p-author h-card">Andrej Karpathy</a>
{"on " + time if when else ""}.</p>
<p><a href="{canonical}" class="p-canonical">Canonical link</a></p>
<p>Exported from <a href="https://medium.com">Medium</a> on March 1, 2023.</p></footer></article></body></html>"""


def medium_zip(path: Path) -> Path:
    return make_zip(path, {
        "README.html": "<p>Your Medium export</p>",
        "posts/2017-10-20_Software-2-0-a64152b37c35.html": medium_post(
            "Software 2.0", "<p class='graf'>Neural networks are not just another classifier.</p>",
            "2017-11-11T20:26:21.611Z", "https://medium.com/@karpathy/software-2-0-a64152b37c35"),
        "posts/2016-06-01_Yes-you-should-understand-backprop-e2f06eab496b.html": medium_post(
            "Yes you should understand backprop", "<p>Backprop is a leaky abstraction.</p>",
            "2016-12-19T18:54:00.000Z", "https://medium.com/@karpathy/yes-you-should-understand-backprop-e2f06eab496b"),
        "posts/draft_Unfinished-thoughts-1a2b3c4d5e6f.html": medium_post(
            "Unfinished thoughts", "<p>Not ready.</p>", None, "https://medium.com/p/1a2b3c4d5e6f"),
        "claps/claps.html": "<p>claps</p>",
        "ips/ips.html": "<p>127.0.0.1</p>",
    })  # fmt: skip


def test_medium_zip(tmp_path, store):
    path = medium_zip(tmp_path / "medium-export.zip")
    assert importer_for(path).name == "medium"
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind) == (2, {"post": 2})
    docs, skipped = read_all(path)
    post = docs["a64152b37c35"]
    assert post.title == "Software 2.0"
    assert post.url == "https://medium.com/@karpathy/software-2-0-a64152b37c35"
    assert post.published_at.isoformat(timespec="seconds") == "2017-11-11T20:26:21+00:00"
    assert post.text == "Neural networks are not just another classifier."
    assert post.meta["subtitle"] == "A subtitle for Software 2.0" and post.meta["author"] == "Andrej Karpathy"
    reasons = " | ".join(s.reason for s in skipped)
    assert "1 drafts left out" in reasons and "3 files outside posts/" in reasons
    with_drafts, _ = read_all(path, include_private=True)
    assert with_drafts["1a2b3c4d5e6f"].meta["draft"] is True
    reimport_is_a_no_op(store, path)


def test_extracted_medium_folder(tmp_path):
    zipfile.ZipFile(medium_zip(tmp_path / "m.zip")).extractall(tmp_path / "medium")
    docs, _ = read_all(tmp_path / "medium")
    assert set(docs) == {"a64152b37c35", "e2f06eab496b"}


def test_truncated_export_zip_is_one_line_error(tmp_path, store):
    whole = medium_zip(tmp_path / "m.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ImporterError, match="cut.zip") as info:
        run_import(store, [str(cut)], ImportOptions())
    assert "\n" not in str(info.value) and store.document_count() == 0


# -- WordPress WXR ------------------------------------------------------------------------------

WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>A Blog</title><link>https://blog.example.org</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login><![CDATA[sam]]></wp:author_login></wp:author>
"""


def wxr_item(pid: int, title: str, body: str, *, kind="post", status="publish", password="", extra="") -> str:
    slug = title.lower().replace(" ", "-")
    return f"""<item><title>{title}</title><link>https://blog.example.org/{pid}/{slug}/</link>
<pubDate>Tue, 05 Mar 2019 10:00:00 +0000</pubDate><dc:creator><![CDATA[sam]]></dc:creator>
<guid isPermaLink="false">https://blog.example.org/?p={pid}</guid>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{pid}</wp:post_id><wp:post_date><![CDATA[2019-03-05 11:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2019-03-05 10:00:00]]></wp:post_date_gmt><wp:post_name><![CDATA[slug-{pid}]]></wp:post_name>
<wp:status><![CDATA[{status}]]></wp:status><wp:post_type><![CDATA[{kind}]]></wp:post_type>
<wp:post_password><![CDATA[{password}]]></wp:post_password>{extra}</item>
"""


COMMENT = """<wp:comment><wp:comment_id>7</wp:comment_id><wp:comment_author><![CDATA[Visitor]]></wp:comment_author>
<wp:comment_content><![CDATA[Someone else's words]]></wp:comment_content></wp:comment>"""
TERMS = """<category domain="category" nicename="ml"><![CDATA[Machine Learning]]></category>
<category domain="post_tag" nicename="rnn"><![CDATA[rnn]]></category>"""


def wxr(path: Path, items: list[str] | None = None, head: str = WXR_HEAD) -> Path:
    items = items or [
        wxr_item(1, "First post", "<p>RNNs are <strong>unreasonably</strong> effective &amp; fun.</p>",
                 extra=TERMS + COMMENT + COMMENT),
        wxr_item(2, "Second post", "Plain text body\n\nwith two paragraphs"),
        wxr_item(3, "About", "<p>About me</p>", kind="page"),
        wxr_item(4, "Draft", "<p>draft</p>", status="draft"),
        wxr_item(5, "Secret", "<p>private</p>", status="private"),
        wxr_item(6, "Locked", "<p>locked</p>", password="hunter2"),
        wxr_item(7, "photo.jpg", "", kind="attachment", status="inherit"),
    ]  # fmt: skip
    path.write_text(head + "".join(items) + "</channel></rss>\n", encoding="utf-8")
    return path


def test_wordpress_wxr(tmp_path, store):
    path = wxr(tmp_path / "blog.WordPress.2023-01-01.xml")
    assert importer_for(path).name == "wordpress"
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind) == (3, {"post": 2, "page": 1})
    docs, skipped = read_all(path)
    first = docs["1"]
    assert first.title == "First post" and first.text == "RNNs are unreasonably effective & fun."
    assert first.url == "https://blog.example.org/1/first-post/"
    assert first.published_at.isoformat() == "2019-03-05T10:00:00+00:00"
    assert first.meta["categories"] == ["Machine Learning"] and first.meta["tags"] == ["rnn"]
    assert all("Someone else" not in d.text for d in docs.values())
    reasons = " | ".join(s.reason for s in skipped)
    assert "2 comments left out" in reasons and "2 private or password-protected" in reasons
    assert "1 'draft' posts left out" in reasons and "1 'attachment' items not imported" in reasons
    assert set(read_all(path, include_private=True)[0]) == {"1", "2", "3", "5", "6"}
    reimport_is_a_no_op(store, path)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    ],
    ids=["external-entity", "billion-laughs"],
)
def test_wxr_with_entities_is_refused(tmp_path, store, doctype):
    head = WXR_HEAD.replace("?>\n", "?>\n" + doctype + "\n", 1)
    path = wxr(tmp_path / "evil.xml", [wxr_item(1, "x &xxe; &d;", "<p>&xxe;</p>")], head=head)
    assert importer_for(path).name == "wordpress"
    with pytest.raises(CorruptArchiveError, match="evil.xml' is not a readable WordPress export: it declares a DTD"):
        run_import(store, [str(path)], ImportOptions())
    assert store.document_count() == 0


def test_truncated_wxr_leaves_the_store_unchanged(tmp_path, store):
    whole = wxr(tmp_path / "blog.xml").read_text()
    cut = tmp_path / "cut.xml"
    cut.write_text(whole[: int(len(whole) * 0.8)], encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match="cut.xml' is not a readable WordPress export") as info:
        run_import(store, [str(cut)], ImportOptions())
    assert "\n" not in str(info.value)
    assert store.document_count() == 0 and store.integrity_check() == "ok"


# -- Ghost --------------------------------------------------------------------------------------


def ghost_post(pid: str, title: str, **extra):
    post = {"id": pid, "uuid": f"uuid-{pid}", "title": title, "slug": title.lower().replace(" ", "-"),
            "mobiledoc": None, "lexical": "{}", "html": f"<p>{title} body &amp; more.</p>", "plaintext": "",
            "feature_image": None, "featured": 0, "type": "post", "status": "published", "visibility": "public",
            "created_at": "2022-01-01T10:00:00.000Z", "updated_at": "2022-01-02T10:00:00.000Z",
            "published_at": "2022-01-01T12:30:00.000Z", "custom_excerpt": None, "canonical_url": None}  # fmt: skip
    post.update(extra)
    return post


def ghost_json(path: Path, wrap: bool = True) -> Path:
    data = {
        "posts": [
            ghost_post("p1", "Hello Ghost", canonical_url="https://example.org/original/"),
            ghost_post("p2", "Second"),
            ghost_post("p3", "About", type="page"),
            ghost_post("p4", "Draft", status="draft", published_at=None),
            ghost_post("p5", "Members", visibility="members"),
            ghost_post("p6", "Legacy page", type=None, page=True),
        ],
        "tags": [{"id": "t1", "name": "Ideas", "slug": "ideas"}, {"id": "t2", "name": "AI", "slug": "ai"}],
        "posts_tags": [{"id": "x1", "post_id": "p1", "tag_id": "t2", "sort_order": 1},
                       {"id": "x2", "post_id": "p1", "tag_id": "t1", "sort_order": 0}],
        "users": [{"id": "u1", "name": "Sam Writer", "slug": "sam", "email": "sam@example.org"}],
        "posts_authors": [{"id": "a1", "post_id": "p1", "author_id": "u1", "sort_order": 0}],
        "members": [{"id": "m1", "email": "reader@example.org"}],
    }  # fmt: skip
    export = {"meta": {"exported_on": 1700000000000, "version": "5.75.0"}, "data": data}
    path.write_text(json.dumps({"db": [export]} if wrap else export), encoding="utf-8")
    return path


def test_ghost_json(tmp_path, store):
    path = ghost_json(tmp_path / "my-site.ghost.2023-11-14.json")
    assert importer_for(path).name == "ghost"
    template = "https://example.org/{slug}/"
    report = run_import(store, [str(path)], ImportOptions(url_template=template))
    assert (report.added, report.by_kind) == (4, {"post": 2, "page": 2})
    docs, skipped = read_all(path, url_template=template)
    hello = docs["p1"]
    assert hello.text == "Hello Ghost body & more." and hello.title == "Hello Ghost"
    assert hello.url == "https://example.org/original/" and docs["p2"].url == "https://example.org/second/"
    assert hello.published_at.isoformat() == "2022-01-01T12:30:00+00:00"
    assert hello.meta["tags"] == ["Ideas", "AI"] and hello.meta["authors"] == ["Sam Writer"]
    reasons = " | ".join(s.reason for s in skipped)
    assert "1 'draft' posts left out" in reasons and "1 members-only or paid posts left out" in reasons
    assert all("reader@example.org" not in d.text for d in docs.values())
    reimport_is_a_no_op(store, path, url_template=template)
    assert set(read_all(ghost_json(tmp_path / "old.json", wrap=False))[0]) == {"p1", "p2", "p3", "p6"}


def test_ghost_wrong_shape_and_truncation(tmp_path, store):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"db": [{"meta": {"exported_on": 1}, "data": {"posts": "no"}}]}), encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match="wrong.json' is not a Ghost export"):
        run_import(store, [str(wrong)], ImportOptions())
    cut = tmp_path / "cut.json"
    cut.write_text(ghost_json(tmp_path / "g.json").read_text()[:500], encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match="cut.json' is not valid JSON"):
        run_import(store, [str(cut)], ImportOptions())
    assert store.document_count() == 0


def test_export_zip_with_a_bomb_member_is_refused(tmp_path, store):
    """A post body that inflates past the ratio cap aborts the import with a line naming the member."""
    bomb = b"<p>" + b"a" * (40 * 1024 * 1024) + b"</p>"
    path = substack_zip(tmp_path / "bomb.zip", {"posts/101.why-tokens.html": bomb})
    with pytest.raises(CorruptArchiveError, match=r"bomb.zip': member 'posts/101.why-tokens.html'.*zip bomb"):
        run_import(store, [str(path)], ImportOptions())
    assert store.document_count() == 0
