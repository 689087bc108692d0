/* deep-insights profile page: archive search (server API or the offline index; a bm25 / semantic /
 * hybrid mode selector and "more like this" when the workspace has vectors), the copy button,
 * the eras bar, the contents highlight and verification badges. No framework, no build step.
 * Corpus text is only ever put into the DOM with textContent, never as markup. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 180;
  var SNIPPET_CHARS = 240;
  var MORE_SHOWN = 4;  // a document's other passages the offline search shows (the server's PASSAGES_PER_DOCUMENT - 1)
  var WORD = /[\p{L}\p{N}_]/u;
  var WORDS = /[\p{L}\p{N}_]+/gu;
  var SAFE_URL = /^https?:\/\//i;
  /* Control characters (C0 but tab and newline, DEL, C1, bidi): shown as [U+202E], never obeyed.
   * The same class as deepinsights/display.py's CONTROL_CLASS (a test keeps them equal). */
  var CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

  function readPageData() {
    var node = document.getElementById("page-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent || "{}"); } catch (e) { return null; }
  }

  function visible(text) {
    return String(text).replace(CONTROLS, function (c) { return "[U+" + ("000" + c.charCodeAt(0).toString(16).toUpperCase()).slice(-4) + "]"; });
  }

  function textNode(text) {
    return document.createTextNode(visible(text));
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = visible(text);
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && SAFE_URL.test(url.trim()) ? url.trim() : null;
  }

  function plural(n, word) {
    return n.toLocaleString("en") + " " + word + (n === 1 ? "" : (word.slice(-2) === "ch" ? "es" : "s"));
  }

  /* ---------------------------------------------------------------- rendering hits */

  /* which ranking found a hit, as its badge says it: hybrid's any-word fallback is not "bm25" */
  var FOUND_BY = { bm25: ["bm25", "bm25"], "any-word": ["any", "any word"], semantic: ["semantic", "semantic"] };

  function metaLine(hit) {
    var meta = [hit.kind];
    if (hit.published_at) meta.push(String(hit.published_at).slice(0, 10));
    if (hit.anchor) meta.push(hit.anchor);
    var line = el("div", "hit-meta", meta.join(" · "));
    (hit.found_by || []).forEach(function (by) {
      var look = FOUND_BY[by] || ["semantic", by];
      line.appendChild(textNode(" "));
      line.appendChild(el("span", "badge found-by found-" + look[0], look[1]));
    });
    return line;
  }

  function renderSnippet(hit) {
    var snippet = el("p", "hit-snippet");
    (hit.snippet || []).forEach(function (part) {
      snippet.appendChild(part[1] ? el("mark", null, part[0]) : textNode(part[0]));
    });
    return snippet;
  }

  /* a document's other matching passages, folded under its best one: "3 more passages" */
  function morePassages(hit) {
    var box = el("details", "more-passages");
    box.appendChild(el("summary", null, plural(hit.more.length, "more passage")));
    var list = el("ol", "passages");
    hit.more.forEach(function (passage) {
      var item = el("li");
      var line = metaLine(passage);
      var url = safeUrl(passage.url);
      if (url && url !== safeUrl(hit.url)) {
        var link = el("a", null, "open");
        link.href = url;
        link.rel = "noopener noreferrer";
        line.appendChild(textNode(" · "));
        line.appendChild(link);
      }
      item.appendChild(line);
      item.appendChild(renderSnippet(passage));
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function renderHit(hit, similarApi) {
    var li = el("li");
    li.appendChild(metaLine(hit));
    var title = el("div", "hit-title");
    var url = safeUrl(hit.url);
    var label = hit.title || hit.kind;
    if (url) {
      var a = el("a", null, label);
      a.href = url;
      a.rel = "noopener noreferrer";
      title.appendChild(a);
    } else {
      title.textContent = visible(label);
    }
    li.appendChild(title);
    li.appendChild(renderSnippet(hit));
    if (hit.more && hit.more.length) li.appendChild(morePassages(hit));
    if (typeof similarApi === "string" && hit.id) li.appendChild(moreLikeThis(hit, similarApi));
    return li;
  }

  /* "more like this": the documents nearest to a hit's document, fetched once and shown under it */
  function moreLikeThis(hit, api) {
    var box = el("div", "similar");
    var button = el("button", "link-button more-like-this", "more like this");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    var status = el("p", "similar-status muted");
    var list = el("ol", "results similar-results");
    status.hidden = list.hidden = true;
    var loaded = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      status.hidden = !open;
      list.hidden = !open;
      if (!open || loaded) return;
      loaded = true;
      status.textContent = "Finding similar passages…";
      fetchJson(api + encodeURIComponent(hit.id) + "?limit=5").then(function (body) {
        list.replaceChildren.apply(list, body.hits.map(function (h) { return renderHit(h, null); }));
        status.textContent = body.hits.length ? "Similar in meaning:" : "Nothing similar found.";
      }, function (error) {
        loaded = false;
        status.textContent = visible("More like this failed: " + (error && error.message ? error.message : "unknown error"));
      });
    });
    box.appendChild(button);
    box.appendChild(status);
    box.appendChild(list);
    return box;
  }

  function fetchJson(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
        return body;
      });
    });
  }

  function showResults(ui, result, query) {
    var hits = result.hits.map(function (hit) { return renderHit(hit, ui.similar); });
    ui.results.replaceChildren.apply(ui.results, hits);
    ui.results.setAttribute("data-query", query);
    if (!query.trim()) { ui.status.textContent = ""; return; }
    var text = result.status ? result.status.charAt(0).toUpperCase() + result.status.slice(1) + "." : "";
    if (!result.hits.length) text = "No matches for “" + query + "”.";
    if (result.notice) text += " " + result.notice;
    if (result.pending) text += " " + plural(result.pending, "passage") + " not yet searchable by meaning (found by their words only).";
    ui.status.textContent = visible(text);
  }

  /* ---------------------------------------------------------------- offline search */

  function terms(query) {
    var found = query.toLowerCase().match(WORDS) || [];
    return found.filter(function (t) { return t !== "and"; }).slice(0, 32);
  }

  function lowered(index) {
    if (!index._lower) {
      index._lower = index.passages.map(function (p) {
        var lower = String(p[1]).toLowerCase();
        return lower.length === String(p[1]).length ? lower : null; // subtle: some letters change length when lowered
      });
    }
    return index._lower;
  }

  function wordStarts(lower, term, max) {
    var found = [], from = 0, pos;
    while (found.length < max && (pos = lower.indexOf(term, from)) !== -1) {
      if (pos === 0 || !WORD.test(lower.charAt(pos - 1))) found.push(pos);
      from = pos + term.length;
    }
    return found;
  }

  function passes(doc, params) {
    var date = doc[4] || "";
    if (params.thinker && doc[0] !== params.thinker) return false;
    if (params.kind && doc[1] !== params.kind) return false;
    if (params.since && (!date || date < params.since)) return false;
    if (params.until && (!date || date >= params.until + "~")) return false;
    return true;
  }

  function staticSearch(index, params) {
    var wanted = terms(params.q);
    if (!wanted.length) return { matched: 0, capped: false, hits: [] };
    var lower = lowered(index), scored = [];
    for (var i = 0; i < index.passages.length; i++) {
      var passage = index.passages[i], doc = index.docs[passage[0]];
      if (!passes(doc, params)) continue;
      var text = lower[i] || String(passage[1]).toLowerCase(), score = 0, first = -1;
      for (var j = 0; j < wanted.length; j++) {
        var hits = wordStarts(text, wanted[j], 8);
        if (!hits.length) { score = 0; break; }
        score += Math.log(1 + hits.length);
        if (first === -1 || hits[0] < first) first = hits[0];
      }
      if (score > 0) scored.push([score / Math.sqrt(1 + text.length / 1000), i, first]);
    }
    scored.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    var groups = [], byDoc = {};
    scored.forEach(function (s) {  // one entry per document, best passage first, as the server groups them
      var doc = index.passages[s[1]][0];
      if (byDoc[doc] === undefined) { byDoc[doc] = groups.length; groups.push([]); }
      groups[byDoc[doc]].push(s);
    });
    var hits = groups.slice(0, params.limit).map(function (group) {
      var best = staticHit(index, group[0][1], group[0][2], wanted);
      best.more = group.slice(1, 1 + MORE_SHOWN).map(function (s) { return staticHit(index, s[1], s[2], wanted); });
      return best;
    });
    var status = scored.length ? plural(scored.length, "matching passage") + " in " + plural(groups.length, "document") : "";
    return { matched: scored.length, capped: false, documents: groups.length, status: status, hits: hits };
  }

  function staticHit(index, i, first, wanted) {
    var passage = index.passages[i], doc = index.docs[passage[0]];
    return {
      thinker: doc[0], kind: doc[1], title: doc[2], url: passage[2] || doc[3], published_at: doc[4],
      anchor: passage[3], snippet: snippetParts(String(passage[1]), first, wanted)
    };
  }

  function snippetParts(text, first, wanted) {
    var lower = text.toLowerCase();
    if (lower.length !== text.length) lower = text; // cannot map offsets: show unmarked
    var start = Math.max(0, first - 80);
    while (start > 0 && WORD.test(text.charAt(start - 1)) && first - start < 100) start--;
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    var marks = [];
    wanted.forEach(function (term) {
      wordStarts(lower.slice(start, end), term, 50).forEach(function (pos) {
        var stop = pos + term.length;
        while (start + stop < end && WORD.test(text.charAt(start + stop))) stop++;
        marks.push([start + pos, start + stop]);
      });
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var parts = [], at = start;
    if (start > 0) parts.push(["…", 0]);
    marks.forEach(function (m) {
      if (m[0] < at) return;
      if (m[0] > at) parts.push([text.slice(at, m[0]), 0]);
      parts.push([text.slice(m[0], m[1]), 1]);
      at = m[1];
    });
    if (at < end) parts.push([text.slice(at, end), 0]);
    if (end < text.length) parts.push(["…", 0]);
    return parts;
  }

  /* ---------------------------------------------------------------- search wiring */

  function searchParams(ui, data) {
    return {
      q: ui.q.value, kind: ui.kind.value, since: ui.since.value, until: ui.until.value,
      mode: ui.mode && !ui.mode.disabled ? ui.mode.value : "", thinker: data.thinker || "", limit: data.limit || 20
    };
  }

  function serverSearch(data, params, signal) {
    var query = new URLSearchParams();
    Object.keys(params).forEach(function (key) { if (params[key]) query.set(key, params[key]); });
    return fetchJson(data.api.search + "?" + query.toString(), signal);
  }

  /* The mode selector appears only when the server says the workspace has vectors (never in the
   * static export, which has no API): the URL's mode, else the API's default, is selected. */
  function initModes(ui, data) {
    var modes = data.mode === "server" && data.api && data.api.modes ? String(data.api.modes).split(",") : [];
    if (!ui.mode || !modes.length) return;
    var wanted = new URLSearchParams(location.search).get("mode");
    ui.mode.value = modes.indexOf(wanted) !== -1 ? wanted : (data.api.default_mode || modes[0]);
    ui.mode.disabled = false;
    document.getElementById("search-mode-label").hidden = false;
    ui.similar = data.api.similar || null;
  }

  function rememberQuery(params) {
    if (!window.history || !window.history.replaceState || location.protocol === "file:") return;
    var query = new URLSearchParams();
    ["q", "kind", "since", "until", "mode"].forEach(function (key) { if (params[key]) query.set(key, params[key]); });
    var search = query.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : "") + location.hash);
  }

  function initSearch(data) {
    var form = document.getElementById("search-form");
    if (!form) return;
    var ui = {
      q: document.getElementById("search-q"), kind: document.getElementById("search-kind"),
      since: document.getElementById("search-since"), until: document.getElementById("search-until"),
      status: document.getElementById("search-status"), results: document.getElementById("search-results"),
      mode: document.getElementById("search-mode"), similar: null
    };
    initModes(ui, data);
    var index = window.DEEPINSIGHTS_INDEX || null;
    var timer = null, controller = null, generation = 0;
    if (data.mode === "static") fillKinds(ui.kind, index);

    function run() {
      var params = searchParams(ui, data), mine = ++generation;
      if (controller) controller.abort();
      if (!params.q.trim()) { showResults(ui, { matched: 0, hits: [] }, ""); return; }
      if (data.mode === "static") {
        if (!index) { ui.status.textContent = "The search index (search-index.js) is missing."; return; }
        showResults(ui, staticSearch(index, params), params.q);
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      ui.status.textContent = "Searching…";
      serverSearch(data, params, controller && controller.signal).then(function (result) {
        if (mine !== generation) return;
        showResults(ui, result, params.q);
        rememberQuery(params);
      }, function (error) {
        if (mine !== generation || (error && error.name === "AbortError")) return;
        ui.status.textContent = visible("Search failed: " + (error && error.message ? error.message : "unknown error"));
      });
    }

    function later() { clearTimeout(timer); timer = setTimeout(run, DEBOUNCE_MS); }

    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(); });
    ui.q.addEventListener("input", later);
    [ui.kind, ui.since, ui.until, ui.mode].forEach(function (input) { if (input) input.addEventListener("change", run); });
    if (data.mode === "static" && index) ui.q.disabled = false;
    var initial = new URLSearchParams(location.search).get("q");
    if (initial && !ui.q.value) ui.q.value = initial;
    if (ui.q.value && (!ui.results.children.length || ui.similar)) run();
  }

  function fillKinds(select, index) {
    if (!index || select.options.length > 1) return;
    var kinds = {};
    index.docs.forEach(function (doc) { kinds[doc[1]] = true; });
    Object.keys(kinds).sort().forEach(function (kind) {
      var option = el("option", null, kind);
      option.value = kind;
      select.appendChild(option);
    });
  }

  /* ---------------------------------------------------------------- copy button */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return legacyCopy(text); });
    }
    return Promise.resolve(legacyCopy(text));
  }

  function legacyCopy(text) {
    var area = el("textarea", "copy-buffer");
    area.value = text;
    area.setAttribute("readonly", "");
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function initCopy() {
    var button = document.getElementById("copy-prompt");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById("copy-status");
    button.addEventListener("click", function () {
      var text = source ? source.textContent : "";
      copyText(text).then(function (ok) {
        status.textContent = ok ? "Copied " + plural(text.length, "character") + "." : "Copy failed: select the text below and copy it.";
        if (!ok) document.getElementById("prompt-details").open = true;
      });
    });
  }

  /* ---------------------------------------------------------------- eras bar */

  function year(partial) {
    var m = /^(\d{4})(?:-(\d{2}))?/.exec(partial || "");
    return m ? Number(m[1]) + (m[2] ? (Number(m[2]) - 1) / 12 : 0) : null;
  }

  function initEras() {
    var bar = document.getElementById("era-bar"), axis = document.getElementById("era-axis");
    if (!bar) return;
    var spans = Array.prototype.slice.call(bar.children);
    var ranges = spans.map(function (span, i) {
      var start = year(span.getAttribute("data-start"));
      var end = year(span.getAttribute("data-end"));
      if (end === null) end = i + 1 < spans.length ? year(spans[i + 1].getAttribute("data-start")) : null;
      if (end === null) { var now = new Date(); end = now.getFullYear() + now.getMonth() / 12; }
      return [start, Math.max(end + 1 / 12, start + 1 / 12)];
    });
    if (!ranges.length) return;
    var lo = Math.min.apply(null, ranges.map(function (r) { return r[0]; }));
    var hi = Math.max.apply(null, ranges.map(function (r) { return r[1]; }));
    var span = hi - lo || 1;
    spans.forEach(function (node, i) {
      node.style.left = ((ranges[i][0] - lo) / span * 100).toFixed(2) + "%";
      node.style.width = ((ranges[i][1] - ranges[i][0]) / span * 100).toFixed(2) + "%";
    });
    axis.children[0].textContent = String(Math.floor(lo));
    axis.children[1].textContent = String(Math.floor(hi - 1e-9));
    bar.hidden = false;
    axis.hidden = false;
  }

  /* ---------------------------------------------------------------- contents */

  function initContents() {
    var toc = document.getElementById("toc");
    if (toc && window.matchMedia && window.matchMedia("(max-width: 999px)").matches) toc.open = false;
    if (!window.IntersectionObserver) return;
    var links = {};
    document.querySelectorAll("[data-toc]").forEach(function (a) { links[a.getAttribute("data-toc")] = a; });
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting || !links[entry.target.id]) return;
        Object.keys(links).forEach(function (id) { links[id].classList.toggle("active", id === entry.target.id); });
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    document.querySelectorAll("main > section[id]").forEach(function (section) { observer.observe(section); });
  }

  /* ---------------------------------------------------------------- verification */

  function initVerification(data) {
    if (data.verify) { applyVerification(data.verify); return; }
    if (!data.api || !data.api.verify || !data.corpus) return;
    fetch(data.api.verify, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && body.results) applyVerification(body.results); }, function () {});
  }

  var QUOTE_BADGES = {
    verbatim: ["ok", "verbatim"], approximate: ["approx", "approximate"], not_found: ["bad", "not found"],
    unverifiable_here: ["here", "unverifiable here"]
  };
  var COUNT_BADGES = {
    match: ["ok", "matches"], close: ["approx", "close"], mismatch: ["bad", "differs"],
    measured: ["claim", "measured"], unverifiable: ["pending", "unverifiable"],
    unverifiable_here: ["here", "unverifiable here"]
  };

  function badge(kind, text) {
    return el("span", "badge " + kind, text);
  }

  function linkTo(location) {
    var url = safeUrl(location.url), label = location.title || location.kind || "document";
    var node = url ? el("a", null, label) : el("span", null, label);
    if (url) { node.href = url; node.rel = "noopener noreferrer"; }
    return node;
  }

  function describeLocation(location, prefix) {
    var parts = [textNode(prefix), linkTo(location)];
    var meta = [location.kind, (location.published_at || "").slice(0, 10), location.anchor].filter(Boolean);
    if (meta.length) parts.push(textNode(" (" + meta.join(" · ") + ")"));
    if (location.excerpt) parts.push(textNode(": “" + location.excerpt + "”"));
    return parts;
  }

  function applyQuote(check) {
    var target = document.querySelector('[data-verify-for="' + cssEscape(check.path) + '"]');
    var detail = document.querySelector('[data-verify-detail="' + cssEscape(check.path) + '"]');
    if (!target) return;
    var look = QUOTE_BADGES[check.status] || ["pending", check.status];
    target.className = "badge verify-badge " + look[0];
    target.textContent = look[1] + (check.status === "approximate" ? " " + Math.round(check.score * 100) + "%" : "");
    target.hidden = false;
    if (!detail) return;
    var parts = [];
    if (check.gap) parts = [textNode("Not checked: " + check.gap.reason + " (" + check.gap.hint + " to check it).")];
    else if (check.location) parts = describeLocation(check.location, check.status === "verbatim" ? "Found in " : "Closest wording in ");
    else if (check.closest) parts = describeLocation(check.closest, "Not in the corpus. Nearest passage, for reference only: ");
    else parts = [textNode("Not in the corpus.")];
    if (check.note && !check.gap) parts.push(textNode(" (" + check.note + ")"));
    detail.replaceChildren.apply(detail, parts);
    detail.hidden = false;
  }

  function applyCount(check) {
    document.querySelectorAll('[data-count-for="' + cssEscape(check.id) + '"]').forEach(function (node) {
      var look = COUNT_BADGES[check.status] || ["pending", check.status];
      var value = check.measured === null || check.measured === undefined ? "—" : String(check.measured);
      var children = [textNode(value)];
      if (check.status !== "measured") children.push(textNode(" "), badge(look[0], look[1]));
      node.replaceChildren.apply(node, children);
      if (check.gap) node.title = visible("Not checked: " + check.gap.reason + " (" + check.gap.hint + " to check it)");
      else if (check.note) node.title = visible(check.note);
    });
  }

  function applySummary(results) {
    var box = document.getElementById("verify-summary");
    if (box && results.summary) {
      var children = [el("strong", null, "Verification: "), textNode(results.summary.line)];
      var here = results.summary.here_lines || [];
      if (here.length) {
        var list = el("ul", "here-lines");
        here.forEach(function (line) { list.appendChild(el("li", null, line)); });
        children.push(list);
      }
      (results.notes || []).forEach(function (note) { children.push(el("p", "muted", note)); });
      box.replaceChildren.apply(box, children);
      box.hidden = false;
    }
    var gaps = document.getElementById("computed-gaps");
    if (gaps && results.computed_gaps && results.computed_gaps.length) {
      var items = [el("li", "muted", "Cited by the profile but not found in the corpus (computed):")];
      results.computed_gaps.forEach(function (title) { items.push(el("li", null, title)); });
      gaps.replaceChildren.apply(gaps, items);
      gaps.hidden = false;
    }
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["\\]/g, "\\$&");
  }

  function applyVerification(results) {
    (results.quotes || []).forEach(applyQuote);
    (results.counts || []).forEach(applyCount);
    applySummary(results);
    document.documentElement.setAttribute("data-verified", "true");
  }

  /* ---------------------------------------------------------------- ask panel */

  function renderAnswer(ui, answer) {
    ui.stream.textContent = "";
    ui.sentences.textContent = "";
    ui.passages.textContent = "";
    if (answer.declined) {
      ui.stream.appendChild(el("p", "declined", answer.answer));
      return;
    }
    answer.sentences.forEach(function (s) {
      var item = el("li", "sentence sentence-" + s.label);
      item.appendChild(el("span", "badge label-" + s.label, s.label));
      item.appendChild(el("span", "sentence-text", " " + s.text + " "));
      s.citations.forEach(function (n) {
        var link = el("a", "citation", "[" + n + "]");
        link.href = "#ask-passage-" + n;
        item.appendChild(link);
      });
      s.flags.forEach(function (flag) { item.appendChild(el("span", "badge flag", "⚠ " + flag)); });
      ui.sentences.appendChild(item);
    });
    answer.passages.forEach(function (p) {
      var item = el("li", "passage");
      item.id = "ask-passage-" + p.n;
      var head = el("div", "passage-head", "[" + p.n + "] " + (p.title || p.id));
      var url = safeUrl(p.url);
      if (url) {
        var link = el("a", null, " open source");
        link.href = url;
        link.rel = "noopener noreferrer";
        head.appendChild(link);
      }
      var body = el("details", "passage-text");
      body.appendChild(el("summary", null, "passage text"));
      body.appendChild(el("p", null, p.text));
      item.appendChild(head);
      item.appendChild(body);
      ui.passages.appendChild(item);
    });
  }

  function readLines(response, onLine) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (step) {
        buffer += decoder.decode(step.value || new Uint8Array(), { stream: !step.done });
        var lines = buffer.split("\n");
        buffer = lines.pop();
        lines.filter(Boolean).forEach(function (line) { onLine(JSON.parse(line)); });
        if (!step.done) return pump();
        if (buffer.trim()) onLine(JSON.parse(buffer));
      });
    }
    return pump();
  }

  /* The panel is rendered disabled, with a notice saying why, unless the server has a model. */
  function initAsk(data) {
    var section = document.getElementById("ask");
    if (!section || !data || !data.api || !data.api.ask || !data.api.model) return;
    var ui = {
      form: document.getElementById("ask-form"), q: document.getElementById("ask-q"),
      status: document.getElementById("ask-status"), stream: document.getElementById("ask-stream"),
      sentences: document.getElementById("ask-sentences"), passages: document.getElementById("ask-passages")
    };
    ui.q.disabled = false;
    document.getElementById("ask-submit").disabled = false;
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = ui.q.value.trim();
      if (!question) return;
      ui.status.textContent = visible("Asking " + data.api.model + "…");
      ui.stream.textContent = "";
      ui.sentences.textContent = "";
      ui.passages.textContent = "";
      var streamed = el("p", "streamed");
      ui.stream.appendChild(streamed);
      fetch(data.api.ask + "?stream=1", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ slug: data.slug, question: question })
      }).then(function (response) {
        if (!response.ok) return response.json().then(function (body) { throw new Error(body.error || response.status); });
        return readLines(response, function (line) {
          if (line.type === "chunk") streamed.textContent += visible(line.text);
          else if (line.type === "error") ui.status.textContent = visible(line.error);
          else if (line.type === "answer") { renderAnswer(ui, line.answer); ui.status.textContent = "Checked."; }
        });
      }).catch(function (error) { ui.status.textContent = visible("Ask failed: " + error.message); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var data = readPageData();
    initCopy();
    initEras();
    initContents();
    if (!data) return;
    initSearch(data);
    initVerification(data);
    initAsk(data);
  });
})();
