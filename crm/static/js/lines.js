// The line editor of the sales documents (ventes/documents/edit.html).
// "+ Ajouter une ligne" adds a blank row in place (a copy of the page's <template>,
// its index and number filled in) instead of posting the form back, and the totals
// are asked from the server as one types: it computes them exactly as it will store
// them (POST /ventes/documents/totaux, nothing saved). Without this script the
// button posts the form and the page comes back with one more line and its totals.
(function () {
  "use strict";
  var DELAY = 250;

  function setup(table) {
    var form = table.closest("form");
    var body = table.querySelector("[data-lines-body]");
    var template = form && form.querySelector("template[data-line-template]");
    var addButton = form && form.querySelector("[data-add-line]");
    var totals = form && form.querySelector("[data-totals]");
    if (!form || !body || !template || !addButton || !totals) return;
    var timer = null, asked = 0;

    function nextIndex() {
      var highest = -1;
      body.querySelectorAll("[name$='-quantity']").forEach(function (input) {
        var match = /^lines-(\d+)-quantity$/.exec(input.name);
        if (match) highest = Math.max(highest, parseInt(match[1], 10));
      });
      return highest + 1;
    }

    function addLine() {
      var index = nextIndex();
      var html = template.innerHTML.split("__N__").join(String(index)).split("__L__").join(String(index + 1));
      var holder = document.createElement("tbody");
      holder.innerHTML = html;
      var row = holder.querySelector("tr");
      body.appendChild(row);
      var picker = row.querySelector("[data-picker]");
      if (picker && window.ComptoirPicker) window.ComptoirPicker.setup(picker);
      var first = row.querySelector("[data-picker-input], input:not([type=hidden])");
      if (first) first.focus();
    }

    function refresh() {
      var mine = ++asked;
      fetch(totals.getAttribute("data-totals-url"), {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (data) {
          if (mine !== asked) return; // an older answer arriving late
          totals.innerHTML = data.html; // rendered (and escaped) by the server's template
          var cells = body.querySelectorAll("[data-line-net]");
          cells.forEach(function (cell, i) { cell.textContent = (data.lines || [])[i] || ""; });
        })
        .catch(function () { /* the totals stay as they were; saving the draft computes them anyway */ });
    }

    function later(event) {
      if (event.target.matches("[data-picker-input]")) return; // a search being typed: its choice counts
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY);
    }

    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      addLine();
    });
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  document.querySelectorAll("[data-lines]").forEach(setup);
})();
