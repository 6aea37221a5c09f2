// Careloop's own script (no inline code; CSP script-src 'self'): show the column-mapping fields only while
// "Generic CSV" is the chosen format. Without script they stay visible, marked "Generic CSV only".
(function () {
  "use strict";
  var mapping = document.querySelector("[data-csv-mapping]");
  var format = document.querySelector("select[name='source_format']");
  if (!mapping || !format) { return; }

  function toggle() { mapping.hidden = format.value !== "csv"; }

  format.addEventListener("change", toggle);
  toggle();
}());
