/* The editor's Dry run panel: draws the path of the last dry run on the canvas, step by step.
 *
 * The server answers each request with the steps so far (designer/views/editor_dry_run.py);
 * this script only marks the canvas (classes on the SVG's nodes and edges) and moves a
 * cursor through the steps. It re-marks the canvas after every swap: an edit redraws it. */
(function () {
  "use strict";

  var MARKS = ["dry-run-visited", "dry-run-taken", "dry-run-current", "dry-run-waiting"];
  var shown = null; // how many steps are drawn; null: all of them

  function steps() {
    return Array.prototype.slice.call(document.querySelectorAll("#dry-run-result .dry-step"));
  }

  function find(svg, kind, key) {
    if (!key) return null;
    return svg.querySelector("g." + kind + '[data-key="' + CSS.escape(key) + '"]');
  }

  function mark(element, name) {
    if (element) element.classList.add(name);
  }

  function draw() {
    var all = steps();
    var upto = shown === null ? all.length : Math.min(shown, all.length);
    var svg = document.querySelector("#canvas-stage svg");
    if (svg) {
      MARKS.forEach(function (name) {
        svg.querySelectorAll("." + name).forEach(function (el) { el.classList.remove(name); });
      });
    }
    all.forEach(function (li, index) {
      var visible = index < upto;
      li.classList.toggle("dry-step-later", !visible);
      li.classList.toggle("dry-step-current", index === upto - 1);
      if (!visible || !svg) return;
      mark(find(svg, "node", li.dataset.activity), "dry-run-visited");
      mark(find(svg, "edge", li.dataset.via), "dry-run-taken");
      if (index < upto - 1 || upto === all.length) {
        // The ways out it took (the last shown step's only once the whole path is shown).
        (li.dataset.taken || "").split(" ").forEach(function (key) {
          mark(find(svg, "edge", key), "dry-run-taken");
        });
      }
      if (index === upto - 1) mark(find(svg, "node", li.dataset.activity), "dry-run-current");
    });
    var waiting = document.querySelector("#dry-run-result [data-waiting]");
    if (svg && waiting && upto === all.length) {
      mark(find(svg, "node", waiting.dataset.waiting), "dry-run-waiting");
    }
    var stepper = document.querySelector("#dry-run .dry-run-stepper");
    if (stepper) {
      stepper.hidden = all.length === 0;
      stepper.querySelector(".dry-run-position").textContent =
        "Step " + upto + " of " + all.length;
    }
  }

  function step(where) {
    var total = steps().length;
    var now = shown === null ? total : shown;
    if (where === "first") shown = Math.min(1, total);
    else if (where === "back") shown = Math.max(1, now - 1);
    else if (where === "next") shown = now + 1 >= total ? null : now + 1;
    else shown = null;
    draw();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dry-step]");
    if (button) {
      step(button.dataset.dryStep);
      return;
    }
    var pick = event.target.closest("#dry-run-result .dry-step-pick");
    if (pick) {
      shown = Number(pick.closest(".dry-step").dataset.index);
      draw();
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "dry-run-result") shown = null; // a new answer
    draw();
  });
})();
