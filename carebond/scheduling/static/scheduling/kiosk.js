// After a check-in the kiosk goes back to its empty form by itself, so the next patient never
// sees the last one's name.
document.addEventListener("DOMContentLoaded", function () {
  var next = document.getElementById("kiosk-next");
  if (!next) return;
  var seconds = parseInt(next.getAttribute("data-kiosk-reset"), 10) || 10;
  window.setTimeout(function () { window.location.assign(next.href); }, seconds * 1000);
});
