// Flashcard trainer. The page lists every card; this script shows them one at a time.
// Queue model: `queue` holds the ids still to learn, `pos` the current one, `known` those marked "I knew it".
// "Again" moves a card to the end of the queue. Progress lives in localStorage under the page's storage key.
(() => {
  "use strict";
  const trainer = document.getElementById("trainer");
  const list = document.getElementById("card-list");
  if (!trainer || !list) return;

  const $ = (id) => document.getElementById(id);
  // Interface strings from the page (static/i18n.js); the key itself if they are missing.
  const t = window.studygenT || ((name) => name);
  const key = trainer.dataset.storageKey;
  const cards = new Map();
  for (const item of list.querySelectorAll("li[data-card]")) {
    cards.set(item.dataset.card, {
      front: item.querySelector(".card-front").innerHTML,
      back: item.querySelector(".card-back").innerHTML,
      kind: item.querySelector(".kind").textContent,
    });
  }
  const ids = [...cards.keys()];
  const card = $("flashcard");
  const front = $("card-front");
  const back = $("card-back");
  const backWrap = $("card-back-wrap");
  const label = $("side-label");
  const status = $("trainer-status");
  const flipButton = $("btn-flip");
  const buttons = ["btn-prev", "btn-next", "btn-knew", "btn-again", "btn-flip", "btn-shuffle"].map($);

  let state = load();
  let flipped = false;

  function fresh() {
    return { queue: ids.slice(), pos: 0, known: [] };
  }

  function load() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      saved = null;
    }
    if (!saved || !Array.isArray(saved.queue) || !Array.isArray(saved.known)) return fresh();
    // Cards may have been added or removed since: keep what still exists, queue new cards at the end.
    const known = saved.known.filter((id) => cards.has(id));
    const queue = saved.queue.filter((id) => cards.has(id) && !known.includes(id));
    for (const id of ids) if (!known.includes(id) && !queue.includes(id)) queue.push(id);
    const pos = Number.isInteger(saved.pos) ? Math.min(Math.max(saved.pos, 0), Math.max(queue.length - 1, 0)) : 0;
    return { queue, pos, known };
  }

  function save() {
    try {
      localStorage.setItem(key, JSON.stringify(state));
    } catch {
      // storage may be full or disabled: the session still works, it is just not kept
    }
  }

  function render() {
    const done = state.queue.length === 0;
    const id = state.queue[state.pos];
    card.dataset.card = done ? "" : id;
    if (done) {
      label.textContent = t("done");
      const message = document.createElement("p");
      message.textContent = t("all_known", { count: ids.length });
      front.replaceChildren(message);
      backWrap.hidden = true;
    } else {
      const current = cards.get(id);
      label.textContent = t("question_kind", { kind: current.kind });
      front.innerHTML = current.front;
      back.innerHTML = current.back;
      backWrap.hidden = !flipped;
    }
    card.classList.toggle("is-flipped", flipped);
    flipButton.setAttribute("aria-expanded", String(flipped));
    flipButton.textContent = flipped ? t("hide_answer") : t("show_answer");
    for (const button of buttons) button.disabled = done;
    $("btn-prev").disabled = done || state.pos === 0;
    $("btn-next").disabled = done || state.pos >= state.queue.length - 1;
    const where = done ? t("all_done") : t("position", { position: state.pos + 1, count: state.queue.length });
    status.textContent = where + " · " + t("known", { known: state.known.length, count: ids.length });
  }

  function flip() {
    if (state.queue.length === 0) return;
    flipped = !flipped;
    render();
  }

  function move(step) {
    const next = state.pos + step;
    if (next < 0 || next >= state.queue.length) return;
    state.pos = next;
    flipped = false;
    save();
    render();
  }

  function mark(knew) {
    if (state.queue.length === 0) return;
    const [id] = state.queue.splice(state.pos, 1);
    if (knew) state.known.push(id);
    else state.queue.push(id); // back in the queue, after the others
    if (state.pos >= state.queue.length) state.pos = 0;
    flipped = false;
    save();
    render();
  }

  function shuffle() {
    const queue = state.queue;
    for (let i = queue.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [queue[i], queue[j]] = [queue[j], queue[i]];
    }
    state.pos = 0;
    flipped = false;
    save();
    render();
  }

  function reset() {
    state = fresh();
    flipped = false;
    try {
      localStorage.removeItem(key);
    } catch {
      // nothing kept, nothing to remove
    }
    render();
  }

  card.addEventListener("click", (event) => {
    if (!event.target.closest("a")) flip();
  });
  flipButton.addEventListener("click", flip);
  $("btn-prev").addEventListener("click", () => move(-1));
  $("btn-next").addEventListener("click", () => move(1));
  $("btn-knew").addEventListener("click", () => mark(true));
  $("btn-again").addEventListener("click", () => mark(false));
  $("btn-shuffle").addEventListener("click", shuffle);
  $("btn-reset").addEventListener("click", reset);

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const typing = target.closest && target.closest("input, select, textarea, [contenteditable]");
    if (typing) return;
    const onControl = target.closest && target.closest("button, a, summary");
    if ((event.key === " " || event.key === "Enter") && !onControl && (target === card || !trainer.contains(target))) {
      if (target !== card && target !== document.body) return;
      event.preventDefault();
      flip();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      move(-1);
    } else if (event.key === "k" || event.key === "K") {
      mark(true);
    } else if (event.key === "a" || event.key === "A") {
      mark(false);
    }
  });

  // A link to one card (from search) starts the trainer on it.
  const wanted = decodeURIComponent(location.hash.replace(/^#card-/, ""));
  if (wanted && state.queue.includes(wanted)) state.pos = state.queue.indexOf(wanted);

  document.documentElement.classList.add("js");
  trainer.hidden = false;
  render();
})();
