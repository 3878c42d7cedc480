/* studygen practice engine: a plain script with no dependencies that makes no network requests.
 *
 * The page holds every question as HTML (prompt and controls, no answers) and, in <script id="quiz-data">, the
 * JSON this script needs to mark answers and explain them. Answers, the shuffle seed and the display mode are
 * kept in localStorage under data.storageKey, so a reload resumes where the learner left off.
 */
(function () {
  "use strict";

  var root = document.getElementById("quiz");
  var dataNode = document.getElementById("quiz-data");
  if (!root || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var list = document.getElementById("quiz-questions");
  var firstNumber = Number(root.dataset.first) || 1; // a quiz in parts numbers on from the parts before it
  var cards = Array.prototype.slice.call(list.querySelectorAll(".quiz-q"));
  var byKey = {};
  cards.forEach(function (card) { byKey[card.dataset.key] = card; });
  var $ = function (id) { return document.getElementById(id); };
  var controls = root.querySelector(".quiz-controls");
  var scoreNode = $("quiz-score");
  var progress = $("quiz-progress");
  var announcer = $("quiz-announce");
  var nav = $("quiz-nav");
  // Interface strings from the page (static/i18n.js); the key itself if they are missing.
  var t = window.studygenT || function (name) { return name; };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // ------------------------------------------------------------------ state and storage

  function freshState() {
    return { version: 1, mode: "all", shuffle: false, seed: 0, answers: {}, only: null, current: 0 };
  }

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(data.storageKey) || "null");
      if (saved && saved.version === 1) {
        var state = freshState();
        Object.keys(state).forEach(function (name) { if (name in saved) state[name] = saved[name]; });
        Object.keys(state.answers).forEach(function (key) { if (!byKey[key]) delete state.answers[key]; });
        if (state.only) state.only = state.only.filter(function (key) { return byKey[key]; });
        return state;
      }
    } catch (error) { /* storage blocked or corrupt: start afresh */ }
    return freshState();
  }

  function save() {
    try { window.localStorage.setItem(data.storageKey, JSON.stringify(state)); } catch (error) { /* ignore */ }
  }

  function newSeed() {
    if (window.crypto && window.crypto.getRandomValues) {
      return window.crypto.getRandomValues(new Uint32Array(1))[0];
    }
    return Math.floor(Math.random() * 4294967296);
  }

  // FNV-1a: a seeded, stable rank for each question and option, so the shuffle is the same on every visit.
  function rank(text) {
    var hash = 2166136261;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 16777619) >>> 0;
    }
    return hash;
  }

  // ------------------------------------------------------------------ reading and writing responses

  function typeOf(card) { return card.dataset.type; }

  function values(nodes) { return Array.prototype.slice.call(nodes); }

  function readResponse(card) {
    var type = typeOf(card);
    if (type === "single_choice" || type === "true_false") {
      var chosen = card.querySelector("input[type=radio]:checked");
      return chosen ? chosen.value : null;
    }
    if (type === "multiple_answer") {
      var ticked = values(card.querySelectorAll("input[type=checkbox]:checked")).map(function (i) { return i.value; });
      return ticked.length ? ticked.sort() : null;
    }
    if (type === "numeric" || type === "short_answer") {
      var text = card.querySelector("input[type=text]").value.trim();
      return text ? text : null;
    }
    if (type === "fill_blank") {
      var blanks = values(card.querySelectorAll(".q-blank")).map(function (i) { return i.value.trim(); });
      return blanks.some(function (b) { return b; }) ? blanks : null;
    }
    if (type === "matching") {
      var picks = values(card.querySelectorAll(".q-select")).map(function (s) { return s.value; });
      return picks.some(function (p) { return p; }) ? picks : null;
    }
    if (type === "ordering") {
      return values(card.querySelectorAll(".q-order-item")).map(function (li) { return li.dataset.item; });
    }
    return null;
  }

  function writeResponse(card, response) {
    var type = typeOf(card);
    if (type === "single_choice" || type === "true_false" || type === "multiple_answer") {
      var chosen = [].concat(response || []);
      values(card.querySelectorAll("input")).forEach(function (i) { i.checked = chosen.indexOf(i.value) >= 0; });
    } else if (type === "numeric" || type === "short_answer") {
      card.querySelector("input[type=text]").value = response || "";
    } else if (type === "fill_blank") {
      values(card.querySelectorAll(".q-blank")).forEach(function (i, n) { i.value = (response || [])[n] || ""; });
    } else if (type === "matching") {
      values(card.querySelectorAll(".q-select")).forEach(function (s, n) { s.value = (response || [])[n] || ""; });
    } else if (type === "ordering" && response) {
      var listNode = card.querySelector(".q-order-list");
      response.forEach(function (key) {
        var item = listNode.querySelector('[data-item="' + key + '"]');
        if (item) listNode.appendChild(item);
      });
    }
  }

  // ------------------------------------------------------------------ marking

  function normalise(text) { return text.toLowerCase().split(/\s+/).filter(Boolean).join(" "); }

  function parseNumber(text) {
    var s = text.replace(/[\s\u00a0\u202f]/g, "").replace(/\u2212/g, "-").replace(/%$/, "");
    if (s.indexOf(",") >= 0 && s.indexOf(".") < 0) s = s.replace(",", ".");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return NaN;
    return Number(s);
  }

  function sameList(a, b) { return a.length === b.length && a.every(function (x, i) { return x === b[i]; }); }

  function isCorrect(q, response) {
    switch (q.type) {
      case "single_choice": return q.correct.indexOf(response) >= 0;
      case "multiple_answer": return sameList(response.slice().sort(), q.correct.slice().sort());
      case "true_false": return (response === "true") === q.answer;
      case "numeric": {
        var x = parseNumber(response);
        var slack = 1e-9 * Math.max(1, Math.abs(x));
        return !isNaN(x) && x >= q.low - slack && x <= q.high + slack;
      }
      case "short_answer": {
        if (q.accepted.indexOf(normalise(response)) >= 0) return true;
        if (!q.regex) return false;
        try { return new RegExp("^(?:" + q.regex + ")$", "i").test(response.split(/\s+/).join(" ")); }
        catch (error) { return false; }
      }
      case "fill_blank":
        return q.blanks.every(function (accepted, n) { return accepted.indexOf(normalise(response[n] || "")) >= 0; });
      case "matching":
      case "ordering": return sameList(response, q.correct);
    }
    return false;
  }

  // ------------------------------------------------------------------ showing results

  function optionFeedback(card, q, response) {
    // Per-option feedback for what the learner chose, in the order the options are shown.
    if (!q.feedback) return "";
    var chosen = [].concat(response);
    var html = "";
    chosen.forEach(function (key) {
      if (!q.feedback[key]) return;
      var label = key === "true" ? t("true") : key === "false" ? t("false") : optionText(card, key);
      html += '<div class="q-note"><p class="q-note-label">' + escapeHtml(t("you_chose", { option: label })) + "</p>" +
        q.feedback[key] + "</div>";
    });
    return html;
  }

  function optionText(card, key) {
    var node = card.querySelector('.q-option[data-option="' + key + '"] .q-option-text');
    return node ? t("quoted", { text: node.textContent.trim() }) : t("option", { key: key });
  }

  function showResult(card, q, response, correct) {
    card.classList.remove("is-correct", "is-wrong");
    card.classList.add(correct ? "is-correct" : "is-wrong");
    var feedback = card.querySelector(".q-feedback");
    feedback.innerHTML =
      '<p class="q-verdict">' + escapeHtml(correct ? t("correct") : t("wrong")) + "</p>" +
      optionFeedback(card, q, response) +
      '<div class="q-solution">' + q.solution + "</div>" +
      '<div class="q-explanation"><p class="q-note-label">' + escapeHtml(t("explanation")) + "</p>" + q.explanation + "</div>";
    values(card.querySelectorAll(".q-option")).forEach(function (option) {
      var key = option.dataset.option;
      var right = q.type === "true_false" ? String(q.answer) === key : q.correct.indexOf(key) >= 0;
      var chosen = [].concat(response).indexOf(key) >= 0;
      option.classList.toggle("is-answer", right);
      option.classList.toggle("is-wrong-choice", chosen && !right);
      var slot = option.querySelector(".q-option-feedback");
      if (q.feedback && q.feedback[key]) { slot.innerHTML = q.feedback[key]; slot.hidden = false; }
    });
    lock(card, true);
  }

  function clearResult(card) {
    card.classList.remove("is-correct", "is-wrong");
    card.querySelector(".q-feedback").innerHTML = "";
    values(card.querySelectorAll(".q-option")).forEach(function (option) {
      option.classList.remove("is-answer", "is-wrong-choice");
      var slot = option.querySelector(".q-option-feedback");
      slot.innerHTML = ""; slot.hidden = true;
    });
    writeResponse(card, null);
    lock(card, false);
  }

  function lock(card, locked) {
    var focusWasInside = card.contains(document.activeElement);
    values(card.querySelectorAll("input, select, .q-up, .q-down")).forEach(function (c) { c.disabled = locked; });
    var check = card.querySelector(".q-check");
    check.setAttribute("aria-disabled", locked ? "true" : "false");
    check.textContent = locked ? t("answered") : t("check");
    if (locked && focusWasInside && document.activeElement === document.body) check.focus();
  }

  // ------------------------------------------------------------------ layout: order, filter, one at a time

  function displayOrder() {
    var ordered = cards.slice();
    if (state.shuffle) {
      ordered.sort(function (a, b) { return rank(state.seed + "|" + a.dataset.key) - rank(state.seed + "|" + b.dataset.key); });
    }
    return ordered;
  }

  function arrangeOptions(card) {
    var type = typeOf(card);
    if (type !== "single_choice" && type !== "multiple_answer") return;
    var holder = card.querySelector(".q-choices");
    var options = values(holder.querySelectorAll(".q-option"));
    options.sort(function (a, b) {
      if (!state.shuffle) return Number(a.dataset.option) - Number(b.dataset.option);
      var prefix = state.seed + "|" + card.dataset.key + "#";
      return rank(prefix + a.dataset.option) - rank(prefix + b.dataset.option);
    });
    options.forEach(function (option) { holder.appendChild(option); });
  }

  function visibleCards() {
    return displayOrder().filter(function (card) { return !state.only || state.only.indexOf(card.dataset.key) >= 0; });
  }

  function layout() {
    displayOrder().forEach(function (card, n) {
      list.appendChild(card);
      arrangeOptions(card);
      card.querySelector(".q-number").textContent = t("question_number", { number: firstNumber + n });
    });
    var shown = visibleCards();
    if (state.current >= shown.length) state.current = Math.max(0, shown.length - 1);
    cards.forEach(function (card) {
      var index = shown.indexOf(card);
      card.hidden = index < 0 || (state.mode === "one" && index !== state.current);
    });
    nav.hidden = state.mode !== "one";
    $("quiz-prev").disabled = state.current <= 0;
    $("quiz-next").disabled = state.current >= shown.length - 1;
    $("quiz-position").textContent = shown.length ? t("position", { number: state.current + 1, count: shown.length }) : "";
    $("quiz-show-all").hidden = !state.only;
    root.querySelector('input[name="quiz-mode"][value="' + state.mode + '"]').checked = true;
    $("quiz-shuffle").checked = state.shuffle;
    updateScore();
  }

  function updateScore() {
    var keys = Object.keys(state.answers);
    var right = keys.filter(function (key) { return state.answers[key].correct; }).length;
    var total = cards.length;
    progress.value = keys.length;
    var text = t("score", { answered: keys.length, total: total, correct: right });
    if (keys.length === total) {
      text = t("finished", { correct: right, total: total, percent: Math.round((100 * right) / total) });
    }
    if (scoreNode.textContent !== text) scoreNode.textContent = text;
    $("quiz-retry").disabled = keys.length === right;
  }

  function say(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function focusCard(card) {
    if (card) card.querySelector(".q-heading").focus();
  }

  // ------------------------------------------------------------------ events

  function check(card) {
    var key = card.dataset.key;
    if (state.answers[key]) return;
    var q = data.questions[key];
    var response = readResponse(card);
    if (response === null) {
      card.querySelector(".q-feedback").innerHTML = '<p class="q-verdict">' + escapeHtml(t("need_answer")) + "</p>";
      return;
    }
    var correct = isCorrect(q, response);
    state.answers[key] = { response: response, correct: correct };
    save();
    showResult(card, q, response, correct);
    updateScore();
  }

  function move(item, step) {
    var listNode = item.parentNode;
    var items = values(listNode.children);
    var index = items.indexOf(item);
    var target = index + step;
    var button = item.querySelector(step < 0 ? ".q-up" : ".q-down");
    var text = t("quoted", { text: item.querySelector(".q-order-text").textContent.trim() });
    if (target < 0 || target >= items.length) {
      say(step < 0 ? t("already_first", { item: text }) : t("already_last", { item: text }));
      return;
    }
    listNode.insertBefore(item, step < 0 ? items[target] : items[target].nextSibling);
    button.focus();
    say(t("moved", { item: text, position: target + 1, count: items.length }));
  }

  list.addEventListener("submit", function (event) {
    event.preventDefault();
    check(event.target.closest(".quiz-q"));
  });
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || button.disabled) return;
    if (button.classList.contains("q-up")) move(button.closest(".q-order-item"), -1);
    if (button.classList.contains("q-down")) move(button.closest(".q-order-item"), 1);
  });

  root.querySelectorAll('input[name="quiz-mode"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      state.mode = radio.value;
      save();
      layout();
    });
  });

  $("quiz-shuffle").addEventListener("change", function (event) {
    state.shuffle = event.target.checked;
    state.seed = state.shuffle ? newSeed() : 0;
    state.current = 0;
    save();
    layout();
    say(state.shuffle ? t("shuffled") : t("unshuffled"));
  });

  $("quiz-prev").addEventListener("click", function () { step(-1); });
  $("quiz-next").addEventListener("click", function () { step(1); });
  function step(by) {
    var shown = visibleCards();
    state.current = Math.min(Math.max(0, state.current + by), shown.length - 1);
    save();
    layout();
    focusCard(shown[state.current]);
  }

  $("quiz-retry").addEventListener("click", function () {
    var missed = displayOrder().filter(function (card) {
      var answer = state.answers[card.dataset.key];
      return answer && !answer.correct;
    });
    if (!missed.length) return;
    missed.forEach(function (card) { delete state.answers[card.dataset.key]; clearResult(card); });
    state.only = missed.map(function (card) { return card.dataset.key; });
    state.current = 0;
    save();
    layout();
    say(t("showing_missed", { count: missed.length }));
    focusCard(missed[0]);
  });

  $("quiz-show-all").addEventListener("click", function () {
    state.only = null;
    state.current = 0;
    save();
    layout();
    say(t("showing_all"));
    focusCard(visibleCards()[0]);
  });

  $("quiz-reset").addEventListener("click", function () {
    var keep = { mode: state.mode, shuffle: state.shuffle };
    cards.forEach(clearResult);
    state = freshState();
    state.mode = keep.mode;
    state.shuffle = keep.shuffle;
    state.seed = keep.shuffle ? newSeed() : 0;
    save();
    layout();
    say(t("cleared"));
  });

  // ------------------------------------------------------------------ start

  var state = load();
  cards.forEach(function (card) {
    var answer = state.answers[card.dataset.key];
    if (answer) {
      writeResponse(card, answer.response);
      showResult(card, data.questions[card.dataset.key], answer.response, answer.correct);
    }
  });
  controls.hidden = false;
  root.classList.add("quiz-ready");
  layout();
})();
