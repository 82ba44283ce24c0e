// Loads the parts of a page marked data-panels-src after the page itself (same origin, with the
// session cookie). Without JavaScript the placeholder link opens them on a page of their own.
document.querySelectorAll("[data-panels-src]").forEach(function (container) {
  if (container.querySelector("section")) {
    return; // already rendered in the page (after a form error)
  }
  fetch(container.dataset.panelsSrc + "?fragment=1", {
    credentials: "same-origin",
    headers: { "X-Requested-With": "fetch" },
  })
    .then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    })
    .then(function (html) {
      container.innerHTML = html;
    })
    .catch(function () {
      /* keep the link: the panels stay one click away */
    });
});
