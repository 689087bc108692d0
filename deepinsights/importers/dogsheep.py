"""Import the SQLite databases Dogsheep tools write: twitter-to-sqlite, mastodon-to-sqlite, github-to-sqlite.

A database is recognised by its schema, not its name: ``tweets`` + ``users(screen_name)``
(twitter-to-sqlite), ``statuses`` + ``accounts(username)`` (mastodon-to-sqlite), ``repos`` +
``users(login)`` with issues, comments, releases or READMEs (github-to-sqlite). It is
opened read-only (``mode=ro``, ``query_only``, ``trusted_schema`` off) and only its tables
are read, never its views or triggers. Each Document keeps the row's original id as
``source_id`` and ``meta.table``.

* twitter-to-sqlite: tweets become Documents through ``tweet_api`` (kinds, threads, URLs as
  for archives); the tool keeps reposted and quoted tweets as rows of their own and liked
  ones in ``favorited_by``: those are not the thinker's unless ``--handle`` says so.
* mastodon-to-sqlite: the account's statuses become ``post``s linking to
  ``<account url>/<id>``; favourites and bookmarks (``status_activities``) by others are
  left out, and so are boosts (the tool keeps nothing of the boosted post).
* github-to-sqlite: issues and pull requests (``post``), issue comments (``reply``),
  releases (``note``) and READMEs (``readme``) written by ``--handle``, else by the login
  that owns the most repositories; the others are counted and left out.

It does not read starred repos, commits, followers or any other table, and never writes to
the database.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .base import ImportRun
from .markdown import markdown_to_marked
from .marking import cleaned, html_to_marked
from .textutil import clean
from .tweet_api import documents as tweet_documents
from .tweet_shapes import ApiTweet, from_v1

MAGIC = b"SQLite format 3\x00"
SCHEMAS = {
    "twitter-to-sqlite": {"tweets": {"id", "full_text", "user", "created_at"}, "users": {"id", "screen_name"}},
    "mastodon-to-sqlite": {"statuses": {"id", "account_id", "content"}, "accounts": {"id", "username", "url"}},
    "github-to-sqlite": {"repos": {"id", "full_name", "owner"}, "users": {"id", "login"}},
}


def _connect(path: Path) -> sqlite3.Connection:
    """The database, read-only: a path URI with ``mode=ro``, so nothing can be written or created."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only = 1")
    conn.execute("PRAGMA trusted_schema = 0")
    return conn


def _journals(path: Path) -> list[Path]:
    """The files SQLite reads beside a database when they exist: sidecars, so never symbolic links."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal", "-shm")]


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Each table's columns (tables only: a view could run any query)."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {c[1] for c in conn.execute("SELECT * FROM pragma_table_info(?)", (t,))} for t in tables}


def tool_of(columns: dict[str, set[str]]) -> str | None:
    """Which Dogsheep tool wrote a database with these tables and columns, if any."""
    for tool, tables in SCHEMAS.items():
        if all(table in columns and wanted <= columns[table] for table, wanted in tables.items()):
            return tool
    return None


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(16) == MAGIC
    except OSError:
        return False


def _fail(path: Path, ex: sqlite3.Error) -> CorruptArchiveError:
    return CorruptArchiveError(f"'{path}' is not a readable SQLite database: {str(ex)[:160]}")


# -- twitter-to-sqlite ------------------------------------------------------------------------

# subtle: twitter-to-sqlite stores full_text with entities expanded and HTML unescaped, ids as
# integers, created_at as ISO 8601, and reposted/quoted tweets as foreign keys to their rows.
_TWEET = "SELECT t.*, u.screen_name AS screen_name FROM tweets t LEFT JOIN users u ON u.id = t.user"


def _tweet_rows(conn: sqlite3.Connection, columns: dict[str, set[str]]) -> Iterator[ApiTweet | None]:
    embedded = _embedded_ids(conn, columns)
    lookup = conn.cursor()
    for row in conn.execute(f"{_TWEET} ORDER BY t.id"):
        yield _api_tweet(dict(row), row["id"] in embedded, lookup)


def _embedded_ids(conn: sqlite3.Connection, columns: dict[str, set[str]]) -> set[Any]:
    """Tweets saved because another one reposts or quotes them, or the account liked them."""
    sources = [f"SELECT {c} FROM tweets WHERE {c} IS NOT NULL" for c in ("retweeted_status", "quoted_status")
               if c in columns["tweets"]]  # fmt: skip
    if "tweet" in columns.get("favorited_by", set()):
        sources.append("SELECT tweet FROM favorited_by")
    return {r[0] for r in conn.execute(" UNION ".join(sources))} if sources else set()


def _api_tweet(row: dict[str, Any], embedded: bool, lookup: sqlite3.Cursor) -> ApiTweet | None:
    tweet = _as_v1(row)
    for key in ("retweeted_status", "quoted_status"):
        if row.get(key):
            nested = lookup.execute(f"{_TWEET} WHERE t.id = ?", (row[key],)).fetchone()
            tweet[key] = _as_v1(dict(nested)) if nested else {"id_str": str(row[key]), "user": {}}
            tweet[f"{key}_id_str"] = str(row[key])
    found = from_v1(tweet)
    if found is None:
        return None
    return replace(found, embedded=embedded)


def _as_v1(row: dict[str, Any]) -> dict[str, Any]:
    """A tweets row as the v1.1 shape ``tweet_shapes.from_v1`` reads (the tool dropped the ``_str`` keys)."""
    return {
        "id_str": str(row.get("id") or ""),
        "full_text": row.get("full_text") or "",
        "created_at": row.get("created_at"),
        "user": {"screen_name": row.get("screen_name") or "", "id_str": str(row.get("user") or "")},
        "in_reply_to_status_id_str": str(row.get("in_reply_to_status_id") or ""),
        "in_reply_to_user_id_str": str(row.get("in_reply_to_user_id") or ""),
        "in_reply_to_screen_name": row.get("in_reply_to_screen_name") or "",
        "favorite_count": row.get("favorite_count"),
        "retweet_count": row.get("retweet_count"),
        "lang": row.get("lang"),
    }


# -- mastodon-to-sqlite -----------------------------------------------------------------------


def _mastodon(
    conn: sqlite3.Connection, columns: dict[str, set[str]], label: str, options: ImportRun
) -> Iterator[Document]:
    activity = "status_activities" in columns
    others = "SELECT status_id FROM status_activities" if activity else "SELECT NULL WHERE 0"
    rows = conn.execute(
        f"SELECT s.id, s.content, s.created_at, a.id AS account, a.username, a.url, s.id IN ({others}) AS saved "
        "FROM statuses s LEFT JOIN accounts a ON a.id = s.account_id ORDER BY s.id"
    ).fetchall()
    owner = _mastodon_owner(rows, label, options)
    empty = 0
    for row in rows:
        if (row["username"] or "").lower() != owner:
            continue
        text, spans = cleaned(*html_to_marked(row["content"] or ""))
        if not text:
            empty += 1
            continue
        yield Document(
            source="mastodon-to-sqlite",
            source_id=str(row["id"]),
            origin=options.origin,  # status ids are numbered per Mastodon server
            kind="post",
            text=text,
            thinker=owner,
            url=f"{row['url'].rstrip('/')}/{row['id']}" if _http(row["url"]) else None,
            published_at=options.date(row["created_at"], f"{label}#{row['id']}"),
            source_path=label,
            meta={"table": "statuses", "account_id": str(row["account"])},
            others=spans,
        )
    _left_out(options, label, sum(1 for r in rows if (r["username"] or "").lower() != owner), "statuses", owner)
    if empty:
        reason = f"{empty:,} statuses without content (boosts: mastodon-to-sqlite keeps nothing of the boosted post)"
        options.skip(label, reason, expected=True)


def _mastodon_owner(rows: list[sqlite3.Row], label: str, options: ImportRun) -> str:
    names = Counter((r["username"] or "").lower() for r in rows if not r["saved"])
    every = {(r["username"] or "").lower() for r in rows}
    return _pick(options, names, every, label, "statuses")


# -- github-to-sqlite -------------------------------------------------------------------------

_ISSUES = """SELECT i.id, i.number, i.title, i.body, i.created_at, i.type, u.login, r.full_name, r.html_url
FROM issues i LEFT JOIN users u ON u.id = i.user LEFT JOIN repos r ON r.id = i.repo ORDER BY i.id"""
_COMMENTS = """SELECT c.id, c.body, c.created_at, c.html_url, u.login FROM issue_comments c
LEFT JOIN users u ON u.id = c.user ORDER BY c.id"""
_RELEASES = """SELECT e.id, e.name, e.tag_name, e.body, e.created_at, e.published_at, e.html_url, u.login, r.full_name
FROM releases e LEFT JOIN users u ON u.id = e.author LEFT JOIN repos r ON r.id = e.repo ORDER BY e.id"""
_READMES = """SELECT r.id, r.full_name, r.html_url, r.readme, r.created_at, r.pushed_at, u.login
FROM repos r LEFT JOIN users u ON u.id = r.owner ORDER BY r.id"""


def _github(
    conn: sqlite3.Connection, columns: dict[str, set[str]], label: str, options: ImportRun
) -> Iterator[Document]:
    items = list(_github_items(conn, columns, label, options))
    owners = Counter(
        (r["login"] or "").lower() for r in conn.execute("SELECT u.login FROM repos r JOIN users u ON u.id = r.owner")
    )
    if not owners:
        owners = Counter(login for login, _ in items)
    owner = _pick(options, owners, {login for login, _ in items}, label, "items")
    empty = 0
    for login, doc in items:
        if login == owner and doc.text:
            yield replace(doc, thinker=owner)
        empty += login == owner and not doc.text
    if empty:
        options.skip(label, f"{empty:,} issues, comments, releases or repositories without text", expected=True)
    _left_out(options, label, sum(1 for login, _ in items if login != owner), "issues, comments and releases", owner)


def _github_items(
    conn: sqlite3.Connection, columns: dict[str, set[str]], label: str, options: ImportRun
) -> Iterator[tuple[str, Document]]:
    """(author login, Document) of each issue, comment, release and README the database holds."""
    tables = (
        ("issues", {"number", "title", "body", "type", "user", "repo"}, _ISSUES, _issue),
        ("issue_comments", {"body", "user", "html_url"}, _COMMENTS, _comment),
        ("releases", {"name", "tag_name", "body", "author", "html_url", "repo"}, _RELEASES, _release),
        ("repos", {"readme", "html_url"}, _READMES, _readme),
    )
    for table, needed, sql, make in tables:
        if needed <= columns.get(table, set()):
            for row in conn.execute(sql):
                yield _login(row), make(row, label, options)


def _issue(row: sqlite3.Row, label: str, options: ImportRun) -> Document:
    page = "pull" if row["type"] == "pull" else "issues"
    url = f"{row['html_url']}/{page}/{row['number']}" if _http(row["html_url"]) else None
    meta = {"table": "issues", "repo": row["full_name"], "type": row["type"] or "issue", "number": row["number"]}
    return _gh_doc(
        f"issue:{row['id']}", "post", row["title"], row["body"], url, row["created_at"], label, meta, options
    )


def _comment(row: sqlite3.Row, label: str, options: ImportRun) -> Document:
    url = _http(row["html_url"])
    return _gh_doc(f"issue_comment:{row['id']}", "reply", None, row["body"], url, row["created_at"], label,
                   {"table": "issue_comments"}, options)  # fmt: skip


def _release(row: sqlite3.Row, label: str, options: ImportRun) -> Document:
    title = f"{row['full_name'] or ''} {row['name'] or row['tag_name'] or ''}".strip()
    date = row["published_at"] or row["created_at"]
    meta = {"table": "releases", "repo": row["full_name"], "tag": row["tag_name"]}
    return _gh_doc(
        f"release:{row['id']}", "note", title, row["body"], _http(row["html_url"]), date, label, meta, options
    )


def _readme(row: sqlite3.Row, label: str, options: ImportRun) -> Document:
    title = f"{row['full_name']} README"
    date = row["pushed_at"] or row["created_at"]
    meta = {"table": "repos", "repo": row["full_name"]}
    return _gh_doc(
        f"repo:{row['id']}", "readme", title, row["readme"], _http(row["html_url"]), date, label, meta, options
    )


def _gh_doc(
    source_id: str,
    kind: str,
    title: str | None,
    body: Any,
    url: str | None,
    date: Any,
    label: str,
    meta: dict[str, Any],
    options: ImportRun,
) -> Document:
    text, others = cleaned(*markdown_to_marked(body)) if isinstance(body, str) else ("", ())
    return Document(
        source="github-to-sqlite",
        source_id=source_id,
        kind=kind,
        text=text,
        title=clean(title) if title else None,
        url=url,
        published_at=options.date(date, f"{label}#{source_id}"),
        source_path=label,
        meta={k: v for k, v in meta.items() if v not in (None, "")},
        others=others,
    )


def _login(row: sqlite3.Row) -> str:
    return str(row["login"] or "").lower()


# -- shared --------------------------------------------------------------------------------


def _pick(options: ImportRun, counts: Counter[str], every: set[str], label: str, what: str) -> str:
    """``--handle``, else the account with the most items of its own."""
    wanted = options.own_handle()
    if wanted:
        if wanted not in every:
            names = ", ".join(f"@{n}" for n, _ in counts.most_common(5)) or "none"
            raise EmptyImportError(f"'{label}' holds no {what} by @{wanted} (accounts in it: {names})")
        return wanted
    if not counts:
        raise EmptyImportError(f"'{label}' holds no {what}")
    return counts.most_common(1)[0][0]


def _left_out(options: ImportRun, label: str, n: int, what: str, owner: str) -> None:
    if n:
        reason = f"{n:,} {what} by other accounts left out: the thinker is @{owner} (--handle picks another)"
        options.skip(label, reason, expected=True)


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


class DogsheepImporter:
    """SQLite databases written by twitter-to-sqlite, mastodon-to-sqlite and github-to-sqlite."""

    name = "dogsheep"
    description = "SQLite database made by twitter-to-sqlite, mastodon-to-sqlite or github-to-sqlite"

    def detect(self, path: Path) -> bool:
        if not path.is_file() or not _is_sqlite(path):
            return False
        if any(p.is_symlink() for p in _journals(path)):
            return True  # claimed without opening it: ``read`` says why it is refused
        try:
            with closing(_connect(path)) as conn:
                return tool_of(_columns(conn)) is not None
        except sqlite3.Error:
            return True  # subtle: a SQLite header but no readable schema: claimed, so the error says so

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        label = options.relative(path)
        for journal in _journals(path):
            if not options.followed(journal):
                raise CorruptArchiveError(f"'{path}': SQLite would read '{journal.name}' beside it, a symbolic link")
        try:
            with closing(_connect(path)) as conn:
                columns = _columns(conn)
                yield from self._read(conn, columns, path, label, options)
        except sqlite3.Error as ex:
            raise _fail(path, ex) from None

    def _read(
        self, conn: sqlite3.Connection, columns: dict[str, set[str]], path: Path, label: str, options: ImportRun
    ) -> Iterator[Document]:
        tool = tool_of(columns)
        if tool == "twitter-to-sqlite":
            yield from tweet_documents(lambda: _tweet_rows(conn, columns), str(path), label, options, tool)
        elif tool == "mastodon-to-sqlite":
            yield from _mastodon(conn, columns, label, options)
        elif tool == "github-to-sqlite":
            yield from _github(conn, columns, label, options)
        else:
            raise CorruptArchiveError(f"'{path}' is not a database made by a Dogsheep tool (no known tables)")


IMPORTER = DogsheepImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
