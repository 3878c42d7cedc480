// Search with Pagefind's JavaScript API and a small UI of our own. Pagefind is loaded from this site's
// pagefind/ folder (never from elsewhere); it needs http(s): from file:// the page says so instead.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-q");
  const status = document.getElementById("search-status");
  const results = document.getElementById("search-results");
  if (!form || !input) return;
  const LIMIT = 20;
  // Interface strings from the page (static/i18n.js); the key itself if they are missing.
  const t = window.studygenT || ((name) => name);
  let pagefind = null;
  let latest = 0;

  // Keep text and <mark> from Pagefind's excerpt; drop any other markup. A <template> parses inertly.
  function excerpt(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const out = document.createDocumentFragment();
    for (const node of template.content.childNodes) {
      if (node.nodeName === "MARK") {
        const mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.append(mark);
      } else {
        out.append(document.createTextNode(node.textContent));
      }
    }
    return out;
  }

  // Pagefind's URLs start at the site root ("/topics/..."); this page sits at the root, so drop the slash.
  function link(url) {
    return url.replace(/^\/+/, "");
  }

  async function load() {
    if (pagefind) return pagefind;
    if (location.protocol === "file:") throw new Error("file");
    const engine = await import(new URL(form.dataset.pagefind, document.baseURI).href);
    await engine.init();
    // A large course's index comes in parts (each a bundle of its own, searched with this one's WebAssembly).
    const parts = (form.dataset.pagefindParts || "").split(" ").filter(Boolean);
    for (const part of parts) await engine.mergeIndex(new URL(part, document.baseURI).pathname);
    pagefind = engine;
    return pagefind;
  }

  async function run(query) {
    const ticket = ++latest;
    results.replaceChildren();
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    status.textContent = t("searching");
    let engine;
    try {
      engine = await load();
    } catch {
      document.getElementById("search-offline").hidden = false;
      status.textContent = t("unavailable");
      return;
    }
    const search = await engine.search(query);
    // A topic's flashcards and questions are one document each, whose matching sections (sub-results) are the
    // results; other pages are results themselves. Pages are loaded until more than LIMIT results are known.
    const entries = [];
    let loaded = 0;
    while (entries.length <= LIMIT && loaded < search.results.length) {
      const batch = search.results.slice(loaded, loaded + LIMIT);
      loaded += batch.length;
      for (const data of await Promise.all(batch.map((result) => result.data()))) entries.push(...entriesOf(data));
    }
    if (ticket !== latest) return; // a newer query has started
    for (const entry of entries.slice(0, LIMIT)) {
      const item = document.createElement("li");
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry.kind;
      const anchor = document.createElement("a");
      anchor.href = link(entry.url);
      anchor.textContent = entry.title;
      const heading = document.createElement("h2");
      heading.className = "result-title";
      heading.append(anchor);
      const text = document.createElement("p");
      text.append(excerpt(entry.excerpt || ""));
      item.append(kind, heading, text);
      results.append(item);
    }
    const total = entries.length;
    if (total === 0) status.textContent = t("none", { query });
    else if (loaded < search.results.length) status.textContent = t("results_more", { query, limit: LIMIT });
    else if (total > LIMIT) status.textContent = t("results_limited", { count: total, query, limit: LIMIT });
    else status.textContent = t("results", { count: total, query });
  }

  function entriesOf(data) {
    const meta = data.meta || {};
    if (meta.collection === "items") {
      return data.sub_results
        .filter((sub) => sub.anchor)
        .map((sub) => ({ kind: meta.kind, title: shorten(sub.title), url: sub.url, excerpt: sub.excerpt }));
    }
    return [{ kind: meta.kind || t("page"), title: meta.title || data.url, url: data.url, excerpt: data.excerpt }];
  }

  // A card's front or a question's prompt as a result title: at most 90 characters, cut at a word.
  function shorten(text) {
    if (text.length <= 90) return text;
    const cut = text.slice(0, 89);
    const space = cut.lastIndexOf(" ");
    return (space > 0 ? cut.slice(0, space) : cut) + "…";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = input.value;
    try {
      history.replaceState(null, "", query ? "?q=" + encodeURIComponent(query) : location.pathname);
    } catch {
      // not allowed everywhere; the search still runs
    }
    run(query);
  });
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 200);
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) {
    input.value = initial;
    run(initial);
  }
})();
