/* The breathing pacer: a circle that grows for four seconds in, holds for four, shrinks for six.
 * It only changes a class and a label; the animation itself is CSS (no inline styles under the CSP).
 * Respects reduced motion: the label still paces, the circle does not move. */
(function () {
  "use strict";
  var PHASES = [["in", 4000], ["hold", 4000], ["out", 6000]];
  document.addEventListener("DOMContentLoaded", function () {
    var pacer = document.querySelector("[data-breathing]");
    if (!pacer) return;
    var circle = pacer.querySelector(".breathing-circle");
    var label = pacer.querySelector(".breathing-label");
    var button = pacer.querySelector("[data-breathing-toggle]");
    var timer = null;
    var step = 0;
    function next() {
      var phase = PHASES[step % PHASES.length];
      circle.className = "breathing-circle breathing-" + phase[0];
      label.textContent = pacer.dataset[phase[0]];
      step += 1;
      timer = setTimeout(next, phase[1]);
    }
    button.addEventListener("click", function () {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        circle.className = "breathing-circle";
        label.textContent = "";
        button.textContent = button.dataset.start;
        return;
      }
      step = 0;
      button.textContent = button.dataset.stop;
      next();
    });
  });
})();
