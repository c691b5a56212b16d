// Read-only graphs are drawn at a readable size (static/css/monitoring.css), so a
// big one scrolls: bring the activity that matters (the task's own, else the first
// running or waiting one) into the middle of its box.
(function () {
  "use strict";
  function centre(box) {
    var node = box.querySelector("g.current, g.state-active, g.state-waiting, g.state-failed");
    if (!node || box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) return;
    var frame = box.getBoundingClientRect(), rect = node.getBoundingClientRect();
    box.scrollLeft += rect.left + rect.width / 2 - (frame.left + box.clientWidth / 2);
    box.scrollTop += rect.top + rect.height / 2 - (frame.top + box.clientHeight / 2);
  }
  function all() { document.querySelectorAll(".graph").forEach(centre); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
