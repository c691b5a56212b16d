// Compare page: link the change table and the two graphs.
// Hover or focus a change row to highlight its element in both graphs; click a
// row to bring the element into view; click a marked element to jump to its row.
// Event delegation on document, so it keeps working after HTMX swaps.
(function () {
  "use strict";

  function graphElements(row) {
    var kind = row.dataset.element === "node" ? "node" : "edge";
    var key = window.CSS && CSS.escape ? CSS.escape(row.dataset.key) : row.dataset.key;
    return document.querySelectorAll(".process-graph g." + kind + '[data-key="' + key + '"]');
  }

  function setHighlight(row, on) {
    row.classList.toggle("highlight", on);
    graphElements(row).forEach(function (el) { el.classList.toggle("highlight", on); });
  }

  function rowOf(target) {
    return target.closest ? target.closest(".change-row") : null;
  }

  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var row = rowOf(event.target);
      if (row) setHighlight(row, true);
    });
  });
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var row = rowOf(event.target);
      if (row && !row.contains(event.relatedTarget)) setHighlight(row, false);
    });
  });

  document.addEventListener("click", function (event) {
    var row = rowOf(event.target);
    if (row) {
      var first = graphElements(row)[0];
      if (first) first.scrollIntoView({ block: "nearest", inline: "nearest" });
      return;
    }
    var mark = event.target.closest && event.target.closest(".process-graph g[data-key]");
    if (!mark) return;
    var element = mark.classList.contains("node") ? "activity" : "transition";
    var target = document.getElementById("change-" + element + "-" + mark.dataset.key);
    if (target) {
      event.preventDefault();
      history.replaceState(null, "", "#" + target.id);
      target.scrollIntoView({ block: "center" });
      target.focus();
    }
  });
})();
