// The board is sent again by the server whenever today's visits change: swap it in. The
// browser reopens the stream by itself when it ends.
document.addEventListener("DOMContentLoaded", function () {
  var live = document.getElementById("board-live");
  var board = document.getElementById("board");
  if (!live || !board || !window.EventSource) return;
  var stream = new EventSource(live.getAttribute("data-board-stream"));
  stream.addEventListener("board", function (event) {
    var focused = document.activeElement && document.activeElement.closest("#board");
    if (focused) return; // never pull a button from under someone about to press it
    board.innerHTML = JSON.parse(event.data);
  });
});
