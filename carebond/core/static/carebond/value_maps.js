// The value-map page (carebond/value_maps/templates/value_maps/study.html). Without this file
// the page still works: the settings form redraws the map on the server and each code is a link
// that filters the ladders. With it: the cut-off slider redraws the map in place, a click on a
// code filters the ladders without reloading, and the map can be saved as PNG.
// Only the map depends on the cut-off; the caption, the cut-off table, the paths and the ladders
// depend on the segment and the counting unit. So the slider redraws in place only while those
// are the ones the page was drawn for (data-segment, data-unit); after changing either, moving
// the slider submits the form and the whole page is drawn again.
(function () {
  "use strict";
  var form = document.querySelector("[data-vm-settings]");
  var holder = document.getElementById("vm-map");
  if (!form || !holder) {
    return;
  }
  var slider = form.querySelector("input[name=cutoff]");
  var output = document.getElementById("vm-cutoff-value");
  var svgUrl = form.dataset.svgUrl;
  var svgLink = document.querySelector("a[data-vm-export=svg]");
  var pngButton = document.querySelector("button[data-vm-export=png]");
  var ladderRows = document.querySelectorAll("table.vm-ladders tbody tr");
  var filterNote = document.querySelector("[data-vm-filter-note]");
  var filterCode = document.querySelector("[data-vm-filter-code]");
  var clearLink = document.querySelector("[data-vm-clear-filter]");
  var pending = null;
  var request = 0;

  function params(extra) {
    var query = new URLSearchParams();
    ["segment", "unit"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value && !(name === "unit" && field.value === "respondent")) {
        query.set(name, field.value);
      }
    });
    query.set("cutoff", slider.value);
    Object.keys(extra || {}).forEach(function (key) {
      query.set(key, extra[key]);
    });
    return query;
  }

  function markCurrentRow(cutoff) {
    document.querySelectorAll("table.vm-cutoffs tbody tr").forEach(function (row) {
      var current = row.dataset.cutoff === String(cutoff);
      row.classList.toggle("vm-current", current);
      if (current) {
        row.setAttribute("aria-current", "true");
      } else {
        row.removeAttribute("aria-current");
      }
    });
  }

  function redraw() {
    var mine = ++request;
    holder.setAttribute("aria-busy", "true");
    fetch(svgUrl + "?" + params().toString(), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (svg) {
        if (mine !== request) {
          return; // a newer position of the slider already asked for its map
        }
        holder.innerHTML = svg;
        holder.removeAttribute("aria-busy");
        markCurrentRow(slider.value);
        if (svgLink) {
          svgLink.href = svgUrl + "?" + params({ download: "1" }).toString();
        }
        var url = new URL(window.location.href);
        url.search = params().toString();
        window.history.replaceState(null, "", url.toString());
      })
      .catch(function () {
        holder.removeAttribute("aria-busy");
        // Keep the last map; the Redraw button still works.
      });
  }

  function fieldValue(name, fallback) {
    var field = form.elements[name];
    return (field && field.value) || fallback;
  }

  function drawnForThisPage() {
    return (
      fieldValue("segment", "") === (form.dataset.segment || "") &&
      fieldValue("unit", "respondent") === (form.dataset.unit || "respondent")
    );
  }

  var submitting = false;
  slider.addEventListener("input", function () {
    output.textContent = slider.value;
    window.clearTimeout(pending);
    if (submitting) {
      return;
    }
    if (!drawnForThisPage()) {
      // Another segment or unit: the whole page changes, not just the map.
      submitting = true;
      holder.setAttribute("aria-busy", "true");
      form.submit();
      return;
    }
    pending = window.setTimeout(redraw, 120);
  });

  // A click on a code lists only the ladders through it (a second click shows all again).
  function filterLadders(code) {
    ladderRows.forEach(function (row) {
      row.hidden = Boolean(code) && row.dataset.codes.indexOf(" " + code + " ") === -1;
    });
    if (filterNote) {
      filterNote.hidden = !code;
    }
    if (filterCode) {
      filterCode.textContent = code || "";
    }
    holder.querySelectorAll(".vm-node").forEach(function (node) {
      node.classList.toggle("vm-selected", node.dataset.code === code);
    });
    holder.dataset.filter = code || "";
  }

  holder.addEventListener("click", function (event) {
    var node = event.target.closest(".vm-node");
    if (!node || !ladderRows.length) {
      return;
    }
    event.preventDefault();
    var code = holder.dataset.filter === node.dataset.code ? "" : node.dataset.code;
    filterLadders(code);
    if (code) {
      document.getElementById("ladders").scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
  if (clearLink) {
    clearLink.addEventListener("click", function (event) {
      if (ladderRows.length) {
        event.preventDefault();
        filterLadders("");
      }
    });
  }

  // PNG: draw the SVG on a canvas (a data: URL, which the CSP allows for images).
  if (pngButton) {
    pngButton.hidden = false;
    pngButton.addEventListener("click", function () {
      var svg = holder.querySelector("svg");
      if (!svg) {
        return;
      }
      var width = Number(svg.getAttribute("width"));
      var height = Number(svg.getAttribute("height"));
      var text = new XMLSerializer().serializeToString(svg);
      var image = new Image();
      image.onload = function () {
        var scale = 2;
        var canvas = document.createElement("canvas");
        canvas.width = width * scale;
        canvas.height = height * scale;
        var context = canvas.getContext("2d");
        context.scale(scale, scale);
        context.drawImage(image, 0, 0, width, height);
        var link = document.createElement("a");
        link.download = "value-map-cutoff-" + slider.value + ".png";
        link.href = canvas.toDataURL("image/png");
        document.body.appendChild(link);
        link.click();
        link.remove();
      };
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
    });
  }
})();
