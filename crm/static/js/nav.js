// Main menu on phones: collapsed behind a "Menu" button that names the current section.
// Without this script the menu simply shows all its links (nothing is hidden).
(function () {
  var nav = document.querySelector("nav.mainnav");
  if (!nav) { return; }
  var button = nav.querySelector(".nav-toggle");
  var list = nav.querySelector("ul");
  nav.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
    if (open) { list.querySelector("a").focus(); }
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      button.click();
      button.focus();
    }
  });
})();
