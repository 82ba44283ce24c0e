// Drag a booked visit onto another provider's day: the visit's Move page opens there, to pick
// the time (the Move link does the same without a mouse).
document.addEventListener("DOMContentLoaded", function () {
  var table = document.querySelector(".week-calendar");
  if (!table) return;
  var prefix = table.getAttribute("data-move-prefix");
  table.addEventListener("dragstart", function (event) {
    var visit = event.target.closest && event.target.closest("[data-visit]");
    if (!visit) return;
    event.dataTransfer.setData("text/plain", visit.getAttribute("data-visit"));
    event.dataTransfer.effectAllowed = "move";
  });
  table.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest(".week-cell")) event.preventDefault();
  });
  table.addEventListener("drop", function (event) {
    var cell = event.target.closest && event.target.closest(".week-cell");
    var visit = event.dataTransfer.getData("text/plain");
    if (!cell || !/^[0-9a-f-]{36}$/.test(visit)) return;
    event.preventDefault();
    var query = new URLSearchParams({
      provider: cell.getAttribute("data-provider"),
      day: cell.getAttribute("data-day"),
    });
    window.location.assign(prefix + visit + "/move/?" + query.toString());
  });
});
