// Careloop's own script (no inline code; CSP script-src 'self'): while any import on the page is queued
// or running, poll the page's status endpoint every five seconds and update its row in place.
(function () {
  "use strict";
  var table = document.querySelector("[data-import-status]");
  if (!table) { return; }
  var url = table.getAttribute("data-import-status");
  var FIELDS = ["state_label", "error", "read", "stored", "duplicate", "rejected"];

  function reasons(list, job) {
    list.textContent = "";
    Object.keys(job.rejection_reasons).forEach(function (reason) {
      var item = document.createElement("li");
      item.textContent = reason + ": " + job.rejection_reasons[reason];
      list.appendChild(item);
    });
  }

  function update(job) {
    var row = document.getElementById("job-" + job.job);
    if (!row) { return false; }
    row.querySelector("progress").value = job.progress;
    FIELDS.forEach(function (name) {
      var cell = row.querySelector("[data-field='" + name + "']");
      if (cell) { cell.textContent = job[name]; }
    });
    reasons(row.querySelector("[data-field='rejection_reasons']"), job);
    return !job.finished;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        var busy = data.jobs.map(update).some(Boolean);
        if (busy) { window.setTimeout(poll, 5000); }
      })
      .catch(function () { /* the page still shows the state at load; reloading refreshes it */ });
  }
  poll();
}());
