/* Interface strings for the page's scripts, in the course's language. The page carries them as JSON in
 * <script type="application/json" id="studygen-messages"> ({"lang": ..., "messages": {key: text or plural forms}});
 * nothing is fetched. window.studygenT(key, values) fills `{name}` placeholders; a key with plural forms picks
 * one by values.count, as Intl.PluralRules does for the language. A classic script, so it works from file://.
 */
(function () {
  "use strict";
  var node = document.getElementById("studygen-messages");
  var data = { lang: "en", messages: {} };
  try {
    if (node) data = JSON.parse(node.textContent);
  } catch (error) { /* keep the keys as text rather than fail */ }
  var rules = null;
  try { rules = new Intl.PluralRules(data.lang); } catch (error) { rules = null; }

  function form(count) {
    if (rules) return rules.select(count);
    return count === 1 ? "one" : "other";
  }

  window.studygenT = function (key, values) {
    values = values || {};
    var entry = data.messages[key];
    if (entry === undefined) return key;
    if (typeof entry === "object") {
      var chosen = entry[form(Number(values.count))];
      entry = chosen === undefined ? entry.other : chosen;
    }
    return entry.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };
})();
