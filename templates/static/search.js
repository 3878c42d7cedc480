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
    pagefind = await import(new URL(form.dataset.pagefind, document.baseURI).href);
    await pagefind.init();
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
    const found = await Promise.all(search.results.slice(0, LIMIT).map((result) => result.data()));
    if (ticket !== latest) return; // a newer query has started
    for (const data of found) {
      const item = document.createElement("li");
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = (data.meta && data.meta.kind) || t("page");
      const anchor = document.createElement("a");
      anchor.href = link(data.url);
      anchor.textContent = (data.meta && data.meta.title) || data.url;
      const heading = document.createElement("h2");
      heading.className = "result-title";
      heading.append(anchor);
      const text = document.createElement("p");
      text.append(excerpt(data.excerpt || ""));
      item.append(kind, heading, text);
      results.append(item);
    }
    const total = search.results.length;
    if (total === 0) status.textContent = t("none", { query });
    else if (total > LIMIT) status.textContent = t("results_limited", { count: total, query, limit: LIMIT });
    else status.textContent = t("results", { count: total, query });
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
