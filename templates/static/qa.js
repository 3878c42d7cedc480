// The Q&A bank in the browser.
// The hub (qa.html): filters by subject, topic, level and type. They live in the address
// (?subject=...&topic=...), so a filtered view can be bookmarked or linked.
// A topic's answers page: "show all answers", and a link to one question (from search or the hub) opens its answer.
(() => {
  "use strict";
  // Interface strings from the page (static/i18n.js); the key itself if they are missing.
  const t = window.studygenT || ((name) => name);
  const answers = document.getElementById("qa-answers");
  if (answers) showAnswers(answers);
  const form = document.getElementById("qa-filters");
  const list = document.getElementById("qa-list");
  const count = document.getElementById("qa-count");
  if (form && list) filter(form, list, count);

  function showAnswers(answers) {
    const openAll = document.getElementById("qa-open-all");
    openAll.addEventListener("click", () => {
      const open = openAll.dataset.open !== "true";
      for (const details of answers.querySelectorAll("details")) details.open = open;
      openAll.dataset.open = String(open);
      openAll.textContent = open ? t("close_all") : t("open_all");
    });
    openAll.parentElement.hidden = false;
    const openLinked = () => {
      const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
      const details = target && target.querySelector("details");
      if (details) details.open = true;
    };
    window.addEventListener("hashchange", openLinked);
    openLinked();
  }

  function filter(form, list, count) {
    const items = [...list.querySelectorAll("li.qa")];
    const groups = [...list.querySelectorAll("section.qa-topic")];
    const fields = ["subject", "topic", "level", "type"];

    function apply(updateAddress) {
      const wanted = Object.fromEntries(fields.map((name) => [name, form.elements[name].value]));
      // Only offer the topics of the chosen subject.
      for (const option of form.elements.topic.options) {
        option.hidden = Boolean(option.value && wanted.subject && option.dataset.subject !== wanted.subject);
      }
      if (form.elements.topic.selectedOptions[0]?.hidden) {
        form.elements.topic.value = "";
        wanted.topic = "";
      }
      // Subject, topic and level belong to a topic's group; the type to each question.
      let shown = 0;
      for (const group of groups) {
        const groupMatch = ["subject", "topic", "level"].every((name) => !wanted[name] || group.dataset[name] === wanted[name]);
        let visible = 0;
        for (const item of group.querySelectorAll("li.qa")) {
          const match = groupMatch && (!wanted.type || item.dataset.type === wanted.type);
          item.hidden = !match;
          if (match) visible += 1;
        }
        group.hidden = visible === 0;
        shown += visible;
      }
      count.textContent =
        shown === items.length ? t("count", { count: items.length }) : t("count_filtered", { shown, count: items.length });
      if (updateAddress) {
        const params = new URLSearchParams();
        for (const name of fields) if (wanted[name]) params.set(name, wanted[name]);
        const query = params.toString();
        try {
          history.replaceState(null, "", query ? "?" + query : location.pathname);
        } catch {
          // file:// may refuse; filtering still works
        }
      }
    }

    const params = new URLSearchParams(location.search);
    for (const name of fields) {
      const value = params.get(name);
      if (value && [...form.elements[name].options].some((o) => o.value === value)) form.elements[name].value = value;
    }
    form.addEventListener("change", () => apply(true));
    form.addEventListener("reset", () => setTimeout(() => apply(true), 0));
    form.addEventListener("submit", (event) => event.preventDefault());
    form.hidden = false;
    apply(false);
  }
})();
