// Live figures of a client import: polls the JSON feed until the import is over, then
// shows the page as the server renders it (the final figures and the skipped rows).
(function () {
  "use strict";
  var box = document.getElementById("client-import");
  if (!box || box.dataset.over === "true") return;
  var url = box.dataset.progressUrl;
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  var shownStatus = box.dataset.status;

  function render(data) {
    ["rows_done", "total_rows", "created", "updated", "unchanged", "errors"].forEach(function (name) {
      var node = box.querySelector('[data-figure="' + name + '"]');
      if (node) node.textContent = format.format(data[name]);
    });
    var bar = box.querySelector('[data-bar="rows"]');
    if (bar) bar.style.width = data.percent + "%";
    var status = box.querySelector('[data-field="status_display"]');
    if (status) status.textContent = data.status_display;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        // Over, or taken up by a worker: show the page as the server renders it.
        if (data.over || data.status !== shownStatus) {
          window.location.reload();
          return;
        }
        render(data);
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
