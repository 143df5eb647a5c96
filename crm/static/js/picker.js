// Search-as-you-type fields (crm/core/picker.py, templates/_picker.html).
// The ARIA 1.2 combobox pattern: the text box announces a listbox of at most 20
// matches fetched from the field's JSON endpoint; arrows move, Enter chooses,
// Escape closes (then clears). The chosen id goes to the hidden input; in
// "text" mode (the till's reference box) the match's code is typed in instead.
// Without this script the "Rechercher" button does the search on the server.
(function () {
  "use strict";
  var DELAY = 150;

  function setup(root, number) {
    var input = root.querySelector("[data-picker-input]");
    var hidden = root.querySelector("[data-picker-value]");
    var list = root.querySelector("[data-picker-list]");
    var status = root.querySelector("[data-picker-status]");
    var fallback = root.querySelector("[data-picker-fallback]");
    var textMode = root.getAttribute("data-picker-mode") === "text";
    if (!input || !list || (!hidden && !textMode)) return; // the server's search step is showing
    var url = root.getAttribute("data-picker-url");
    // Text without a chosen id is not a choice: letters typed before this script ran (a slow
    // school PC) are searched like any others.
    var chosen = hidden && hidden.value ? input.value : "";
    var results = [], active = -1, timer = null, asked = 0;
    if (!list.id) list.id = "picker-list-" + number;
    if (fallback) fallback.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function announce(text) { if (status) status.textContent = text; }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var match = results[index];
      if (!match) return;
      clearTimeout(timer);
      asked += 1; // a search still on its way must not reopen the list
      if (textMode) {
        input.value = match.code;
      } else {
        hidden.value = match.id;
        input.value = match.label;
        hidden.dispatchEvent(new Event("change", { bubbles: true })); // js/lines.js recomputes the totals
      }
      chosen = input.value;
      close();
      announce(match.label + " : choisi.");
    }

    function render(matches, query) {
      results = matches;
      list.textContent = "";
      matches.forEach(function (match, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.className = "picker-option";
        item.appendChild(document.createTextNode(match.label));
        if (match.hint) {
          var hint = document.createElement("span");
          hint.className = "picker-hint";
          hint.textContent = match.hint;
          item.appendChild(hint);
        }
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(i); input.focus(); });
        list.appendChild(item);
      });
      if (!matches.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = "Aucun résultat pour « " + query + " »";
        list.appendChild(none);
      }
      open();
      active = -1;
      if (!matches.length) announce("Aucun résultat.");
      else if (matches.length === 1) announce("1 résultat : flèche bas pour le choisir.");
      else announce(matches.length + " résultats" + (matches.length >= 20 ? " (les 20 premiers)" : "") +
                    " : flèches haut et bas pour parcourir, Entrée pour choisir.");
    }

    function search() {
      var query = input.value.trim();
      if (!query || query === chosen) { close(); results = []; return; }
      var mine = ++asked;
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query);
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) { if (mine === asked) render(data.results || [], query); })
        .catch(function () { if (mine === asked) announce("La recherche n'a pas abouti : réessayez."); });
    }

    input.addEventListener("input", function () {
      if (hidden && hidden.value && input.value !== chosen) { // typing again undoes the choice
        hidden.value = "";
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var isOpen = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!isOpen) { if (results.length) open(); else { search(); return; } }
        highlight(event.key === "ArrowDown" ? active + 1 : (active < 0 ? -1 : active - 1));
      } else if (event.key === "Enter") {
        if (isOpen && active >= 0) { event.preventDefault(); choose(active); }
        else if (isOpen && results.length === 1 && !textMode) { event.preventDefault(); choose(0); }
        else if (!textMode && hidden && !hidden.value && input.value.trim()) {
          event.preventDefault(); // nothing chosen yet: do not send the form
          if (!isOpen) search();
          announce("Choisissez d'abord dans la liste (flèches puis Entrée).");
        } else { close(); }
      } else if (event.key === "Escape") {
        if (isOpen) { event.preventDefault(); close(); }
        else if (input.value) { event.preventDefault(); input.value = ""; chosen = ""; if (hidden) hidden.value = ""; }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 120); });
    if (document.activeElement === input && input.value.trim() && input.value !== chosen) search();
  }

  var count = 0;
  document.querySelectorAll("[data-picker]").forEach(function (root) { setup(root, count++); });
  // For the fields a script adds later (js/lines.js: a new line of a document).
  window.ComptoirPicker = { setup: function (root) { setup(root, count++); } };
})();
