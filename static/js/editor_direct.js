/* Waymark editor, direct manipulation: drag a kind from the palette onto the
 * canvas or an arrow, the context pad of the selected activity, rename in
 * place, find (Ctrl+F), the minimap of big graphs and publishing from the
 * editor. Built on window.Waymark (editor.js); every change is a POST whose
 * answer replaces #editor, as everywhere else in the editor. */
(function () {
  "use strict";

  var W = window.Waymark;
  var DRAG_THRESHOLD = 4; // px before a press on a palette item becomes a drag
  var MINIMAP_FROM = 30; // activities: from here on a minimap shows
  var MINIMAP_WIDTH = 180;

  function nodeName(el) {
    var label = el.getAttribute("aria-label") || "";
    var cut = label.lastIndexOf(", ");
    return cut > 0 ? label.slice(0, cut) : label;
  }
  function announce(text) {
    var box = document.querySelector("#properties");
    var p = document.getElementById("direct-status");
    if (!p) {
      p = document.createElement("p");
      p.id = "direct-status";
      p.className = "notice warning";
      p.setAttribute("role", "status");
    }
    p.textContent = text;
    if (box) box.prepend(p);
  }

  // Palette: drag a kind onto the canvas (placed there) or onto an arrow (inserted) ----
  var drag = null;
  var swallowClick = false;

  function edgeUnder(event) {
    var under = document.elementFromPoint(event.clientX, event.clientY);
    if (!under || !under.closest("#canvas-viewport")) return { inCanvas: false, edge: null };
    return { inCanvas: true, edge: under.closest("g.transition") };
  }
  function markDropTarget(edge) {
    document.querySelectorAll(".process-graph .drop-target").forEach(function (el) {
      if (el !== edge) el.classList.remove("drop-target");
    });
    if (edge) edge.classList.add("drop-target");
  }

  document.addEventListener("pointerdown", function (event) {
    var item = event.target.closest(".palette-item[data-kind]");
    if (!item || event.button !== 0 || !W.editable()) return;
    drag = { item: item, x: event.clientX, y: event.clientY, ghost: null };
  });
  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    if (!drag.ghost) {
      if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) < DRAG_THRESHOLD) return;
      drag.ghost = document.createElement("div");
      drag.ghost.className = "palette-ghost kind-" + drag.item.dataset.kind;
      drag.ghost.textContent = drag.item.textContent;
      document.body.appendChild(drag.ghost);
      document.body.classList.add("dragging-kind");
    }
    event.preventDefault();
    drag.ghost.style.left = event.clientX + 8 + "px";
    drag.ghost.style.top = event.clientY + 8 + "px";
    markDropTarget(edgeUnder(event).edge);
  });
  document.addEventListener("pointerup", function (event) {
    if (!drag) return;
    var done = drag;
    drag = null;
    if (!done.ghost) return; // a click: the palette's own form adds the kind
    done.ghost.remove();
    document.body.classList.remove("dragging-kind");
    markDropTarget(null);
    swallowClick = true;
    setTimeout(function () { swallowClick = false; }, 0);
    var under = edgeUnder(event);
    if (!under.inCanvas || !W.svg()) return;
    var point = W.graphPoint(event);
    var values = {
      kind: done.item.dataset.kind,
      x: Math.round(point.x), y: Math.round(point.y),
      into: under.edge ? under.edge.getAttribute("data-key") : "",
      sel: W.selectedValue()
    };
    var anchor = nearestNode(point);
    if (anchor) {
      values.anchor = anchor.key;
      values.dx = Math.round(point.x - anchor.x);
      values.dy = Math.round(point.y - anchor.y);
    }
    W.send("POST", W.editor().dataset.dropUrl, values);
  });
  // The activity whose centre is nearest to a graph point (the server places the
  // drop from it, so a draft drawn by dot before it is pinned gets the spot seen).
  function nearestNode(point) {
    var best = null;
    W.svg().querySelectorAll("g.activity").forEach(function (el) {
      var shape = el.querySelector("ellipse, polygon, path") || el;
      var box = shape.getBBox(), cx = box.x + box.width / 2, cy = box.y + box.height / 2;
      var d = Math.hypot(cx - point.x, cy - point.y);
      if (!best || d < best.d) best = { key: el.getAttribute("data-key"), x: cx, y: cy, d: d };
    });
    return best;
  }
  // The click that ends a drag must not also add the kind by the palette's form.
  document.addEventListener("click", function (event) {
    if (swallowClick && event.target.closest(".palette-item")) {
      event.preventDefault();
      event.stopPropagation();
      swallowClick = false;
    }
  }, true);

  // Context pad: beside the selected activity ----------------------------------------
  function placePad() {
    var pad = document.getElementById("context-pad");
    if (!pad) return;
    var node = W.nodeByKey(pad.dataset.for);
    var area = pad.parentElement;
    if (!node || !area) { pad.hidden = true; return; }
    var box = node.getBoundingClientRect(), frame = area.getBoundingClientRect();
    var vp = W.viewport().getBoundingClientRect();
    var visible = box.right > vp.left && box.left < vp.right && box.bottom > vp.top && box.top < vp.bottom;
    pad.hidden = !visible;
    // Above the activity, so it never covers the arrows leaving it or the next step.
    var above = box.top - frame.top - pad.offsetHeight - 6;
    pad.style.left = box.left - frame.left + "px";
    // Below the activity when there is no room above it in the canvas.
    pad.style.top = (above >= vp.top - frame.top ? above : box.bottom - frame.top + 6) + "px";
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("#context-pad [data-pad]");
    if (!button) return;
    var key = document.getElementById("context-pad").dataset.for;
    if (button.dataset.pad === "connect") {
      W.startConnect(key);
      announce("Click the activity to connect to (Escape cancels).");
    } else if (button.dataset.pad === "rename") {
      renameInPlace(W.nodeByKey(key));
    }
  });
  // One menu of the pad open at a time.
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.open || !opened.closest || !opened.closest("#context-pad")) return;
    document.querySelectorAll("#context-pad details[open]").forEach(function (d) {
      if (d !== opened) d.open = false;
    });
  }, true);

  // Rename in place: an input over the label; Enter saves, Escape cancels ----------------
  var renaming = null;
  function renameInPlace(node) {
    if (!node || !W.editable()) return;
    closeRename();
    var box = node.getBoundingClientRect();
    var input = document.createElement("input");
    input.type = "text";
    input.className = "rename-in-place";
    input.maxLength = 200;
    input.setAttribute("aria-label", "Name on the canvas");
    input.value = nodeName(node);
    var width = Math.max(box.width, 140);
    input.style.left = box.left + box.width / 2 - width / 2 + "px";
    input.style.top = box.top + box.height / 2 - 15 + "px";
    input.style.width = width + "px";
    document.body.appendChild(input);
    renaming = { input: input, key: node.getAttribute("data-key"), old: input.value };
    input.focus();
    input.select();
  }
  function closeRename() {
    if (!renaming) return;
    var input = renaming.input;
    renaming = null;
    input.remove();
  }
  function saveRename() {
    var r = renaming;
    if (!r) return;
    var name = r.input.value.trim();
    closeRename();
    if (name === r.old) return;
    W.send("POST", W.url("renameUrl", r.key), { name: name, sel: "a:" + r.key });
  }
  document.addEventListener("keydown", function (event) {
    if (!renaming || event.target !== renaming.input) return;
    if (event.key === "Enter") { event.preventDefault(); saveRename(); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeRename(); }
  });
  document.addEventListener("focusout", function (event) {
    // Leaving the field keeps what was typed, as leaving a form field would.
    if (renaming && event.target === renaming.input) saveRename();
  });
  W.renameInPlace = renameInPlace;

  // Find: Ctrl+F, by name; Enter selects the first match ----------------------------------
  function matches(text) {
    var g = W.svg(), needle = text.trim().toLowerCase();
    if (!g || !needle) return [];
    return Array.prototype.filter.call(g.querySelectorAll("g.activity"), function (el) {
      return nodeName(el).toLowerCase().indexOf(needle) >= 0;
    });
  }
  function markFound(found) {
    document.querySelectorAll("#canvas-stage .found").forEach(function (el) { el.classList.remove("found"); });
    found.forEach(function (el) { el.classList.add("found"); });
  }
  function closeFind() {
    var box = document.getElementById("find-box");
    if (box) box.remove();
    markFound([]);
  }
  function choose(el) {
    closeFind();
    W.bringIntoView(el);
    W.select(el);
  }
  function openFind() {
    var area = document.querySelector(".canvas-area");
    if (!area) return;
    var box = document.getElementById("find-box");
    if (!box) {
      box = document.createElement("div");
      box.id = "find-box";
      box.className = "find-box";
      box.setAttribute("role", "search");
      box.innerHTML = '<input type="search" aria-label="Find an activity" placeholder="Find an activity by name">' +
        '<ul class="find-results" aria-label="Activities found"></ul>';
      area.appendChild(box);
    }
    var input = box.querySelector("input");
    input.focus();
    input.select();
  }
  function showMatches(input) {
    var list = input.parentElement.querySelector("ul");
    var found = matches(input.value);
    markFound(found);
    list.innerHTML = "";
    found.slice(0, 10).forEach(function (el) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = el.getAttribute("aria-label");
      button.addEventListener("click", function () { choose(el); });
      li.appendChild(button);
      list.appendChild(li);
    });
    if (input.value.trim() && !found.length) list.innerHTML = '<li class="muted">No activity has this in its name.</li>';
  }
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#find-box")) showMatches(event.target);
  });
  document.addEventListener("keydown", function (event) {
    var inFind = event.target.closest && event.target.closest("#find-box");
    if ((event.ctrlKey || event.metaKey) && (event.key === "f" || event.key === "F") && W.editor()) {
      event.preventDefault();
      openFind();
      return;
    }
    if (!inFind) return;
    if (event.key === "Escape") { event.preventDefault(); closeFind(); }
    else if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      var found = matches(event.target.value);
      if (found.length) choose(found[0]);
    }
  });

  // Minimap: above about 30 activities, the whole graph and the part in view ----------
  function minimap() {
    var area = document.querySelector(".canvas-area"), g = W.svg(), e = W.editor();
    var old = document.getElementById("minimap");
    if (!area || !g || Number(e.dataset.activityCount) <= MINIMAP_FROM) {
      if (old) old.remove();
      return;
    }
    var box = g.viewBox.baseVal;
    var map = old || document.createElement("div");
    map.id = "minimap";
    map.className = "minimap";
    map.setAttribute("aria-hidden", "true");
    map.title = "Overview: click to look there";
    map.innerHTML = "";
    var copy = g.cloneNode(true);
    copy.setAttribute("class", "minimap-graph");
    copy.removeAttribute("role");
    copy.querySelectorAll("[tabindex]").forEach(function (el) { el.removeAttribute("tabindex"); });
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    var scale = MINIMAP_WIDTH / box.width;
    copy.setAttribute("width", MINIMAP_WIDTH);
    copy.setAttribute("height", box.height * scale);
    map.appendChild(copy);
    var frame = document.createElement("div");
    frame.className = "minimap-view";
    map.appendChild(frame);
    map.dataset.scale = String(scale);
    if (!old) area.appendChild(map);
    minimapView();
  }
  function minimapView() {
    var map = document.getElementById("minimap"), v = W.viewport();
    if (!map || !v) return;
    var view = W.view(), scale = Number(map.dataset.scale);
    var frame = map.querySelector(".minimap-view");
    frame.style.left = -view.x / view.scale * scale + "px";
    frame.style.top = -view.y / view.scale * scale + "px";
    frame.style.width = v.clientWidth / view.scale * scale + "px";
    frame.style.height = v.clientHeight / view.scale * scale + "px";
  }
  document.addEventListener("pointerdown", function (event) {
    var map = event.target.closest("#minimap");
    if (!map) return;
    var r = map.getBoundingClientRect(), scale = Number(map.dataset.scale), v = W.viewport();
    var view = W.view();
    var gx = (event.clientX - r.left) / scale, gy = (event.clientY - r.top) / scale;
    W.setView({
      scale: view.scale,
      x: v.clientWidth / 2 - gx * view.scale,
      y: v.clientHeight / 2 - gy * view.scale
    });
  });

  // Publish from the editor: the versions page's confirmation, in a dialog -------------
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "publish-body") return;
    var dialog = document.getElementById("publish-dialog");
    if (dialog && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    // "Cancel" in the confirmation goes back to the editor, not to the versions page.
    var cancel = event.target.closest("#publish-body a.button");
    if (cancel && /^Cancel$/.test(cancel.textContent.trim())) {
      event.preventDefault();
      document.getElementById("publish-dialog").close();
    }
  });

  // After every swap and every pan or zoom ------------------------------------------
  W.onView = function () { placePad(); minimapView(); };
  htmx.onLoad(function (el) {
    if (el.id === "editor" || (el.querySelector && el.querySelector("#editor"))) {
      closeFind();
      placePad();
      minimap();
    }
  });
})();
