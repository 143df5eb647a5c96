// The mailing page: print the next letters again and again, moving the bar, until the PDF is ready.
// Without this script, the "Imprimer les lettres suivantes" button does the same, one click per part.
(function () {
  var box = document.getElementById("mailing");
  if (!box || box.dataset.ready === "true" || !window.fetch) { return; }
  var bar = document.getElementById("mailing-bar");
  var status = document.getElementById("mailing-status");
  var form = document.getElementById("mailing-continue");
  var download = document.getElementById("mailing-download");
  if (form) { form.hidden = true; }

  function say(text) { status.textContent = text; }
  function letters(n) { return n + (n > 1 ? " lettres" : " lettre"); }

  function step() {
    fetch(box.dataset.stepUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": box.dataset.csrf },
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      var data = result.data;
      if (!result.ok) { throw new Error(data.error || "L'impression s'est interrompue."); }
      bar.max = data.total;
      bar.value = data.done;
      bar.textContent = data.done + " / " + data.total;
      if (data.ready) {
        say("Les " + letters(data.total) + " sont prêtes dans un seul PDF.");
        download.hidden = false;
        return;
      }
      say(data.done + " / " + letters(data.total) + " imprimées…");
      step();
    }).catch(function (error) {
      say(error.message + " Cliquez sur « Imprimer les lettres suivantes » pour reprendre.");
      if (form) { form.hidden = false; }
    });
  }
  say(status.textContent.trim() + " Impression en cours…");
  step();
})();
