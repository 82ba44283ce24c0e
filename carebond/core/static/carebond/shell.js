// The page shell. On narrow screens the main navigation folds behind a "Menu" button
// (carebond.css, .nav-collapsible). Without this script the button stays hidden and the
// navigation shows in full, wrapped over several lines: nothing depends on it.
document.documentElement.classList.add("nav-collapsible");
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-nav-toggle]");
  if (!button) {
    return;
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu; focus inside it goes back to its button.
  var nav = document.getElementById(button.getAttribute("aria-controls"));
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      var inside = nav && nav.contains(document.activeElement);
      setOpen(false);
      if (inside) {
        button.focus();
      }
    }
  });
});
