// Receipts and Z reports: show the "Imprimer" button and print on click (the page prints without it too).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
