"""Feed importer: RSS, Atom, Substack; entities never expanded; bozo feeds salvaged."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.feed import IMPORTER, _split_prologue
from deepinsights.ingest import run_import


def read(path: Path, **options):
    opts = ImportRun(**options)
    return list(IMPORTER.read(path, opts)), opts


def rss(items: str, *, head: str = '<?xml version="1.0" encoding="UTF-8"?>', channel: str = "") -> bytes:
    body = (
        f'<rss version="2.0"><channel><title>T</title><link>https://t.example/</link>{channel}{items}</channel></rss>'
    )
    return (head + "\n" + body).encode("utf-8")


def item(n: int, text: str = "words") -> str:
    return f"<item><title>Item {n}</title><link>https://t.example/{n}</link><description>{text}</description></item>"


def test_detects_rss_atom_but_not_html_or_markdown(fixtures, tmp_path):
    assert IMPORTER.detect(fixtures / "feed.xml")
    assert IMPORTER.detect(fixtures / "atom.xml")
    assert importer_for(fixtures / "feed.xml") is IMPORTER
    assert not IMPORTER.detect(fixtures / "page.html")
    assert not IMPORTER.detect(fixtures)
    md = tmp_path / "note.md"
    md.write_text("# About <rss> feeds\n\n<rss version='2.0'> is how a feed starts.\n")
    assert not IMPORTER.detect(md)
    other_xml = tmp_path / "config.xml"
    other_xml.write_text('<?xml version="1.0"?><feed><not-atom/></feed>')
    assert not IMPORTER.detect(other_xml)


def test_rss_items(fixtures):
    docs, opts = read(fixtures / "feed.xml")
    assert opts.skipped == []
    first, second = docs
    assert first.source == "feed"
    assert first.kind == "post"
    assert first.title == "On the Analytical Engine"
    assert first.url == "https://ada.example/2023/engine"
    assert first.source_id == "https://ada.example/2023/engine"
    assert first.published_at == datetime.fromisoformat("2023-01-02T10:00:00+00:00")
    assert first.text == "The engine weaves algebraic patterns.\n\nJust as the loom weaves flowers & leaves."
    assert first.meta == {
        "feed": "Ada's Notebook",
        "author": "Ada",
        "tags": ["engines"],
        "description": "A short summary.",
    }
    assert second.text == "Cards carry the program."
    assert second.source_id == "https://ada.example/#cards-2023"  # a bare guid is namespaced by the feed
    assert second.published_at == datetime.fromisoformat("2023-01-03T10:30:00+00:00")


def test_atom_entries(fixtures):
    docs, _ = read(fixtures / "atom.xml")
    first, second = docs
    assert first.title == "Numbers & symbols"
    assert first.text == "The engine manipulates symbols, not only numbers."
    assert first.source_id == "tag:ada.example,2023:symbols"
    assert first.published_at == datetime.fromisoformat("2023-02-01T09:00:00+00:00")
    assert second.text == "Note G computes Bernoulli numbers."
    assert second.published_at == datetime.fromisoformat("2023-02-01T08:00:00+00:00")  # updated, no published


def test_substack_feed_is_a_newsletter(tmp_path):
    path = tmp_path / "substack.xml"
    path.write_bytes(rss(item(1), channel="<generator>Substack</generator>"))
    docs, _ = read(path)
    assert [d.kind for d in docs] == ["newsletter"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs &lol9;</title><link>https://t.example/</link>
<item><title>Boom &lol9;</title><link>https://t.example/1</link><description>before &lol9; after</description></item>
<item><title>Plain</title><link>https://t.example/2</link><description>safe text</description></item>
</channel></rss>
"""


def test_billion_laughs_is_not_expanded(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    assert IMPORTER.detect(path)
    started = time.monotonic()
    docs, opts = read(path)
    assert time.monotonic() - started < 5
    assert len(docs) == 2
    assert all("lollol" not in (d.text + (d.title or "")) for d in docs)
    assert sum(len(d.text) for d in docs) < 200
    assert docs[1].text == "safe text"
    reasons = [s.reason for s in opts.skipped]
    assert "DTD entity declarations ignored (entities are never expanded)" in reasons
    assert any("feed is malformed" in r and "imported the 2 items that parsed" in r for r in reasons)


@pytest.mark.parametrize("target", ["secret", "/etc/passwd"])
def test_external_entity_is_never_read(tmp_path, target):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4242")
    url = secret.as_uri() if target == "secret" else "file:///etc/passwd"
    feed = f"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "{url}"> <!ENTITY % remote SYSTEM "{url}"> %remote; ]>
<rss version="2.0"><channel><title>x</title><link>https://t.example/</link>
<item><title>Leak &xxe;</title><link>https://t.example/1</link><description>leak: &xxe; end</description></item>
</channel></rss>"""
    path = tmp_path / "xxe.xml"
    path.write_text(feed)
    docs, opts = read(path)
    everything = json.dumps([(d.title, d.text, d.meta) for d in docs])
    assert "TOPSECRET" not in everything
    assert "root:" not in everything
    assert len(docs) == 1
    assert docs[0].text.startswith("leak:")


def test_doctype_with_tricky_internal_subset_is_cut_whole():
    data = b"""<?xml version="1.0"?><!-- c --><!DOCTYPE rss [ <!ENTITY a "]>"> <!-- ' -->"""
    data += b""" <!ENTITY b '<rss>'> ]><rss/>"""
    declaration, doctype, rest = _split_prologue(data)
    assert declaration == b'<?xml version="1.0"?>'
    assert doctype.startswith(b"<!DOCTYPE rss [") and doctype.endswith(b"]>")
    assert rest == b"<rss/>"


def test_mismatched_tags_salvage_items_with_a_warning(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(rss(item(1) + "<item><title>Two</title><link>https://t.example/2</link><description>x</b></item>"))
    docs, opts = read(path)
    assert [d.title for d in docs][:1] == ["Item 1"]
    assert len(docs) >= 1
    assert len(opts.skipped) == 1
    assert opts.skipped[0].reason.startswith("feed is malformed (")
    assert f"imported the {len(docs)} items that parsed" in opts.skipped[0].reason


@pytest.mark.parametrize(
    ("declared", "codec"), [("ISO-8859-1", "utf-8"), ("UTF-8", "latin-1"), ("x-no-such-codec", "utf-8")]
)
def test_wrong_declared_encoding_still_imports(tmp_path, declared, codec):
    path = tmp_path / "mislabelled.xml"
    feed = rss(item(1, "café naïve"), head=f'<?xml version="1.0" encoding="{declared}"?>').decode()
    path.write_bytes(feed.encode(codec))
    docs, opts = read(path)
    assert len(docs) == 1
    assert docs[0].text.startswith("caf")
    assert docs[0].text.endswith("ve")
    assert all(s.reason.startswith("feed is malformed") for s in opts.skipped)


def test_utf16_feed(tmp_path):
    path = tmp_path / "wide.xml"
    path.write_bytes(
        rss(item(1, "wide café"), head='<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16")
    )
    assert IMPORTER.detect(path)
    docs, _ = read(path)
    assert docs[0].text == "wide café"


def test_items_without_id_or_text_are_counted(tmp_path):
    path = tmp_path / "thin.xml"
    path.write_bytes(rss(item(1) + "<item><description>no link, no guid</description></item><item></item>"))
    docs, opts = read(path)
    assert len(docs) == 1
    assert [s.reason for s in opts.skipped] == ["2 items without text or id not imported"]


def test_unreadable_feed_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.xml"
    path.write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><<<<')
    with pytest.raises(CorruptArchiveError, match="junk.xml"):
        read(path)


def test_hostile_item_html_is_text_only(tmp_path):
    html = "&lt;p onclick='x()'&gt;hi&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&lt;/p&gt;"
    path = tmp_path / "hostile.xml"
    path.write_bytes(rss(f"<item><title>t</title><link>javascript:alert(3)</link><guid>g1</guid><description>{html}"
                         "</description></item>"))  # fmt: skip
    (doc,) = read(path)[0]
    assert doc.text == "hi"
    assert doc.url is None


def test_import_feed_into_store(fixtures, store):
    report = run_import(store, [str(fixtures / "feed.xml"), str(fixtures / "atom.xml")], ImportOptions())
    assert report.added == 4
    assert report.by_source == {"feed": 4}
    again = run_import(store, [str(fixtures / "feed.xml")], ImportOptions())
    assert (again.added, again.unchanged) == (0, 2)


@pytest.mark.shared
def test_real_substack_newsletter(corpora):
    path = corpora / "simon-willison" / "newsletter" / "simonw-substack-com.xml"
    assert importer_for(path) is IMPORTER
    docs, opts = read(path)
    assert opts.skipped == []
    assert len(docs) == 20
    assert {d.kind for d in docs} == {"newsletter"}
    dates = sorted(d.published_at for d in docs)
    assert dates[0].date().isoformat() == "2023-10-26"
    assert dates[-1].date().isoformat() == "2024-04-22"
    assert all(d.url and d.url.startswith("https://simonw.substack.com/p/") for d in docs)
    assert len({d.source_id for d in docs}) == 20
    assert all(len(d.text) > 1000 and "<p>" not in d.text for d in docs)
