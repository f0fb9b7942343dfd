// The segment page's count, asked once the page is shown: over a million clients it
// takes longer than the rest of the page. Without the script the page shows "…".
(function () {
  "use strict";
  var figure = document.getElementById("segment-count");
  if (!figure) return;
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  fetch(figure.dataset.countUrl, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (answer) {
      figure.textContent = answer.count === null ? "—" : format.format(answer.count);
    })
    .catch(function () { figure.textContent = "—"; });
})();
