// The light/dark toggle. The page follows the system until the reader picks a theme; the choice is kept.
// A classic deferred script, not an ES module: module scripts do not load from file://.
(() => {
  "use strict";
  const KEY = "studygen-theme";
  const root = document.documentElement;
  const button = document.getElementById("theme-toggle");
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  if (!button) return;

  const isDark = () => (root.dataset.theme ? root.dataset.theme === "dark" : query.matches);
  const show = () => button.setAttribute("aria-pressed", String(isDark()));

  button.addEventListener("click", () => {
    const next = isDark() ? "light" : "dark";
    root.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // storage may be disabled; the choice then lasts for this page only
    }
    show();
  });
  query.addEventListener("change", show);
  show();
})();
