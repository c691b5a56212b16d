/* Waymark editor island: what must happen at mouse speed (select, drag, connect,
 * pan and zoom) and the keyboard shortcuts. The server stays the source of
 * truth: every change is an ordinary POST whose answer replaces #editor.
 * Listeners are delegated on document, so they survive every swap; the view
 * (zoom and pan) lives here and is re-applied after each swap. */
(function () {
  "use strict";

  var DRAG_THRESHOLD = 3; // px before a press on a node becomes a drag
  var ARROW_STEP = 10; // points per arrow key (Shift: 5x)
  var view = { x: 0, y: 0, scale: 1 };
  var press = null; // the pointer gesture in progress
  // Several activities selected (Shift+click, Shift+drag, Ctrl+A, a paste): their keys.
  // Kept here across swaps; the server's selection (data-selected) is the one whose
  // properties show.
  var multi = [];

  function editor() { return document.getElementById("editor"); }
  function stage() { return document.getElementById("canvas-stage"); }
  function viewport() { return document.getElementById("canvas-viewport"); }
  function svg() { var s = stage(); return s && s.querySelector("svg.process-graph"); }
  function editable() { var e = editor(); return e && e.dataset.editable === "1"; }
  function url(name, key) {
    var e = editor();
    return e.dataset[name].replace("__KEY__", encodeURIComponent(key));
  }
  function selectedValue() { var e = editor(); return e ? e.dataset.selected : ""; }
  function nodeByKey(key) {
    var g = svg();
    if (!g) return null;
    return Array.prototype.find.call(g.querySelectorAll("g.activity"), function (el) {
      return el.getAttribute("data-key") === key;
    }) || null;
  }
  // The activities an action on "the selection" is for: the several, else the selected one.
  function selectedKeys() {
    if (multi.length) return multi.slice();
    var value = selectedValue();
    return value && value[0] === "a" ? [value.slice(2)] : [];
  }
  function markMulti() {
    var g = svg();
    if (!g) return;
    multi = multi.filter(function (key) { return nodeByKey(key); });
    g.querySelectorAll("g.activity").forEach(function (el) {
      var on = multi.indexOf(el.getAttribute("data-key")) >= 0;
      el.classList.toggle("multi-selected", on);
      if (on) el.setAttribute("aria-selected", "true"); else el.removeAttribute("aria-selected");
    });
    var e = editor();
    if (e) e.dataset.multi = multi.join(",");
  }
  function setMulti(keys) { multi = keys.length > 1 ? keys.slice() : []; markMulti(); }
  function toggleMulti(el) {
    var key = el.getAttribute("data-key");
    if (!multi.length) multi = selectedKeys();
    var at = multi.indexOf(key);
    if (at >= 0) multi.splice(at, 1); else multi.push(key);
    markMulti();
  }

  // The script's own requests go one after the other, each from the #editor of its
  // time: htmx would queue a second one on the old #editor and drop it once swapped out.
  var queue = Promise.resolve();
  var issued = 0, shown = 0;
  function send(method, target, values) {
    var seq = ++issued; // numbered when the person acts, not when the request leaves
    queue = queue.then(function () {
      return htmx.ajax(method, target, {
        target: "#editor", swap: "outerHTML", values: values || {}, source: editor(),
        headers: { "X-Waymark-Seq": String(seq) }
      });
    }).catch(function () { /* htmx has shown the error */ });
    return queue;
  }
  // An answer to an earlier action that arrives after the answer to a later one is
  // stale: it is not shown (Escape then a quick palette click ends on the new node).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.detail.target || event.detail.target.id !== "editor") return;
    var headers = event.detail.requestConfig && event.detail.requestConfig.headers;
    event.detail.xhr.waymarkSeq = Number(headers && headers["X-Waymark-Seq"]) || ++issued;
  });
  // On #editor itself, not on document: an answer aimed at an #editor already swapped
  // out fires its events there, and a detached element's events never reach document.
  function guardSwaps(e) {
    if (!e || e.waymarkGuarded) return;
    e.waymarkGuarded = true;
    e.addEventListener("htmx:beforeSwap", staleOrRetarget);
  }
  function staleOrRetarget(event) {
    var seq = event.detail.xhr && event.detail.xhr.waymarkSeq;
    if (!seq || !event.detail.target || event.detail.target.id !== "editor") return;
    if (seq < shown) { event.detail.shouldSwap = false; return; }
    shown = seq;
    // The #editor it was sent from may have been replaced by an earlier answer that
    // came back first (Escape, then a quick palette click): show it in today's.
    if (!document.body.contains(event.detail.target)) event.detail.target = editor();
  }

  // View: pan and zoom ------------------------------------------------------
  function storageKey() { var e = editor(); return "waymark-view:" + (e ? e.dataset.viewKey : ""); }
  function saveView() {
    try { sessionStorage.setItem(storageKey(), JSON.stringify(view)); } catch (e) { /* private mode */ }
  }
  function loadView() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(storageKey()) || "null");
      if (saved && isFinite(saved.scale)) { view = saved; return true; }
    } catch (e) { /* ignore */ }
    return false;
  }
  function applyView() {
    var s = stage();
    if (!s) return;
    s.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.scale + ")";
    s.dataset.scale = String(Math.round(view.scale * 100) / 100);
    saveView();
    if (window.Waymark && window.Waymark.onView) window.Waymark.onView();
  }
  function sizeSvg() {
    // One graph unit is one CSS pixel at zoom 1; the stage transform does the rest.
    var g = svg();
    if (!g) return null;
    var box = g.viewBox.baseVal;
    g.setAttribute("width", box.width);
    g.setAttribute("height", box.height);
    return box;
  }
  function zoomAt(factor, cx, cy) {
    var next = Math.min(4, Math.max(0.2, view.scale * factor));
    var real = next / view.scale;
    view.x = cx - (cx - view.x) * real;
    view.y = cy - (cy - view.y) * real;
    view.scale = next;
    applyView();
  }
  function zoomCentre(factor) {
    var v = viewport();
    if (v) zoomAt(factor, v.clientWidth / 2, v.clientHeight / 2);
  }
  function fit() {
    var v = viewport(), box = sizeSvg();
    if (!v || !box || !box.width) return;
    var scale = Math.min(v.clientWidth / box.width, v.clientHeight / box.height, 1.6) * 0.95;
    view.scale = scale;
    view.x = (v.clientWidth - box.width * scale) / 2;
    view.y = (v.clientHeight - box.height * scale) / 2;
    applyView();
  }

  // Graph coordinates of a pointer event (the CTM includes the stage transform).
  function graphPoint(event) {
    var g = svg() && svg().querySelector("g.graph");
    var pt = svg().createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    return pt.matrixTransform(g.getScreenCTM().inverse());
  }

  // Selection ---------------------------------------------------------------
  function select(el) {
    if (multi.length) { multi = []; markMulti(); }
    if (!el || el.classList.contains("selected")) return;
    var isNode = el.classList.contains("activity");
    var key = el.getAttribute("data-key");
    document.querySelectorAll(".process-graph .selected").forEach(function (s) { s.classList.remove("selected"); });
    el.classList.add("selected");
    send("GET", url(isNode ? "activityUrl" : "transitionUrl", key));
  }
  // A trigger's start marker opens the trigger in the Triggers panel.
  function markOpenTrigger() {
    var key = editor().dataset.triggerOpen;
    var g = svg();
    if (!key || !g) return;
    g.querySelectorAll("g.trigger-marker").forEach(function (m) {
      if (m.getAttribute("data-trigger") === key) m.classList.add("selected");
    });
  }
  function openTrigger(marker) {
    send("GET", url("triggerUrl", marker.getAttribute("data-trigger")));
  }
  function selectedElement() {
    var value = selectedValue(), g = svg();
    if (!value || !g) return null;
    var key = value.slice(2);
    var cls = value[0] === "a" ? "activity" : "transition";
    return Array.prototype.find.call(g.querySelectorAll("g." + cls), function (el) {
      return el.getAttribute("data-key") === key;
    }) || null;
  }

  // Connect handle on the selected activity ---------------------------------
  var SVGNS = "http://www.w3.org/2000/svg";
  var connectFrom = null; // the context pad's "connect": the next activity clicked is the target
  function addHandle() {
    if (!editable()) return;
    var el = selectedElement();
    if (!el || !el.classList.contains("activity")) return;
    var box = el.getBBox();
    var handle = document.createElementNS(SVGNS, "circle");
    handle.setAttribute("class", "connect-handle");
    handle.setAttribute("cx", box.x + box.width + 6);
    handle.setAttribute("cy", box.y + box.height / 2);
    handle.setAttribute("r", 6);
    var title = document.createElementNS(SVGNS, "title");
    title.textContent = "Drag to another activity to connect";
    handle.appendChild(title);
    el.appendChild(handle);
  }

  // The view follows the work: a selected element out of sight is brought to the middle.
  function bringIntoView(el) {
    var v = viewport();
    if (!el || !v) return;
    var box = el.getBoundingClientRect(), area = v.getBoundingClientRect();
    if (!box.width) return;
    var inside = box.left >= area.left && box.right <= area.right &&
      box.top >= area.top && box.bottom <= area.bottom;
    if (inside) return;
    view.x += (area.left + area.width / 2) - (box.left + box.width / 2);
    view.y += (area.top + area.height / 2) - (box.top + box.height / 2);
    applyView();
  }
  // The server says so after auto-layout: the whole graph comes into view.
  document.body.addEventListener("waymark:fit", function () { fit(); });
  // After a paste, a duplicate or a move of several: they stay selected together.
  document.body.addEventListener("waymark:select", function (event) {
    setMulti(event.detail && event.detail.value || []);
  });

  // After every swap of #editor: size the graph, restore the view, decorate.
  function setup() {
    guardSwaps(editor());
    var box = sizeSvg();
    if (!box) return;
    if (!loadView()) { fit(); } else { applyView(); }
    addHandle();
    markMulti();
    markOpenTrigger();
    if (!press) bringIntoView(selectedElement());
    var table = document.getElementById("table-view");
    if (table && table.open) rememberTable(table);
    else if (table && sessionStorage.getItem(storageKey() + ":table") === "open") table.open = true;
  }
  // Remember whether the table view is open, so a swap does not close it.
  function rememberTable(table) {
    try {
      sessionStorage.setItem(storageKey() + ":table", table.open ? "open" : "closed");
    } catch (e) { /* private mode */ }
  }
  // Tell the server the table is open, so the swapped-in editor has it open too.
  document.addEventListener("htmx:configRequest", function (event) {
    var table = document.getElementById("table-view");
    if (table && table.open) event.detail.parameters.view = "table";
  });
  document.addEventListener("toggle", function (event) {
    if (event.target.id === "table-view") rememberTable(event.target);
  }, true);
  htmx.onLoad(function (el) {
    if (el.id === "editor" || el.querySelector && el.querySelector("#editor")) setup();
  });

  // Pointer gestures ----------------------------------------------------------
  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || !event.target.closest("#canvas-viewport")) return;
    var handle = event.target.closest(".connect-handle");
    var node = event.target.closest("g.activity");
    var edge = event.target.closest("g.transition");
    var marker = event.target.closest("g.trigger-marker");
    var band = event.shiftKey && !node && !edge && !handle;
    press = { x: event.clientX, y: event.clientY, moved: false, node: node, edge: edge, marker: marker,
              pan: !node && !edge && !band, connect: !!handle, band: band, shift: event.shiftKey,
              view: { x: view.x, y: view.y } };
    if (band) {
      var corner = graphPoint(event);
      var rect = document.createElementNS(SVGNS, "rect");
      rect.setAttribute("class", "rubber-band");
      svg().querySelector("g.graph").appendChild(rect);
      press.rect = rect;
      press.start = corner;
    } else if (press.connect) {
      var start = graphPoint(event);
      var line = document.createElementNS(SVGNS, "line");
      line.setAttribute("class", "connect-line");
      line.setAttribute("x1", start.x); line.setAttribute("y1", start.y);
      line.setAttribute("x2", start.x); line.setAttribute("y2", start.y);
      svg().querySelector("g.graph").appendChild(line);
      press.line = line;
      press.start = start;
    } else if (node && editable()) {
      press.start = graphPoint(event);
      // Dragging one of several selected activities moves them all.
      var key = node.getAttribute("data-key");
      press.group = multi.indexOf(key) >= 0 && multi.length > 1 ? multi.map(nodeByKey) : [node];
    }
    if (press.pan || press.band || press.connect || (node && editable())) {
      event.target.closest("#canvas-viewport").setPointerCapture(event.pointerId);
      event.preventDefault();
    }
  });

  document.addEventListener("pointermove", function (event) {
    if (!press) return;
    var dx = event.clientX - press.x, dy = event.clientY - press.y;
    if (!press.moved && Math.abs(dx) + Math.abs(dy) < DRAG_THRESHOLD) return;
    press.moved = true;
    if (press.band) {
      var b = graphPoint(event);
      press.end = b;
      press.rect.setAttribute("x", Math.min(b.x, press.start.x));
      press.rect.setAttribute("y", Math.min(b.y, press.start.y));
      press.rect.setAttribute("width", Math.abs(b.x - press.start.x));
      press.rect.setAttribute("height", Math.abs(b.y - press.start.y));
    } else if (press.connect) {
      var p = graphPoint(event);
      press.line.setAttribute("x2", p.x); press.line.setAttribute("y2", p.y);
    } else if (press.node && editable()) {
      var q = graphPoint(event);
      press.dx = q.x - press.start.x; press.dy = q.y - press.start.y;
      press.group.forEach(function (el) {
        if (!el) return;
        el.setAttribute("transform", "translate(" + press.dx + " " + press.dy + ")");
        el.classList.add("dragging");
      });
    } else if (press.pan) {
      view.x = press.view.x + dx; view.y = press.view.y + dy;
      applyView();
    }
  });

  // Activities whose box meets the rubber band (graph coordinates).
  function inBand(a, b) {
    var x1 = Math.min(a.x, b.x), x2 = Math.max(a.x, b.x), y1 = Math.min(a.y, b.y), y2 = Math.max(a.y, b.y);
    return Array.prototype.filter.call(svg().querySelectorAll("g.activity"), function (el) {
      var box = el.getBBox();
      return box.x < x2 && box.x + box.width > x1 && box.y < y2 && box.y + box.height > y1;
    }).map(function (el) { return el.getAttribute("data-key"); });
  }

  document.addEventListener("pointerup", function (event) {
    if (!press) return;
    var done = press;
    press = null;
    if (done.band) {
      done.rect.remove();
      if (done.moved && done.end) setMulti(inBand(done.start, done.end));
      return;
    }
    if (!done.moved && done.node && connectFrom) {
      var from = connectFrom;
      connectFrom = null;
      document.body.classList.remove("connecting");
      if (from !== done.node.getAttribute("data-key")) {
        send("POST", editor().dataset.connectUrl, {
          source: from, target: done.node.getAttribute("data-key"), sel: selectedValue()
        });
      }
      return;
    }
    if (!done.moved && done.node && done.shift) { toggleMulti(done.node); return; }
    if (done.connect) {
      done.line.remove();
      var under = document.elementFromPoint(event.clientX, event.clientY);
      var target = under && under.closest("g.activity");
      var source = done.line && selectedElement();
      if (target && source && target !== source) {
        send("POST", editor().dataset.connectUrl, {
          source: source.getAttribute("data-key"), target: target.getAttribute("data-key"),
          sel: selectedValue()
        });
      }
      return;
    }
    if (done.node && done.moved && editable() && done.group.length > 1) {
      send("POST", editor().dataset.selectionMoveUrl, {
        keys: multi.join(","), dx: Math.round(done.dx), dy: Math.round(done.dy), sel: selectedValue()
      });
      return;
    }
    if (done.node && done.moved && editable()) {
      send("POST", url("moveUrl", done.node.getAttribute("data-key")), {
        dx: Math.round(done.dx), dy: Math.round(done.dy)
      });
      return;
    }
    if (!done.moved && (done.node || done.edge)) select(done.node || done.edge);
    else if (!done.moved && done.marker) openTrigger(done.marker);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-zoom]");
    if (button) {
      var how = button.getAttribute("data-zoom");
      if (how === "in") zoomCentre(1.25);
      else if (how === "out") zoomCentre(0.8);
      else if (how === "reset") { view = { x: 0, y: 0, scale: 1 }; applyView(); }
      else fit();
      return;
    }
    if (event.target.closest("[data-help]")) showHelp();
  });

  document.addEventListener("wheel", function (event) {
    var v = event.target.closest("#canvas-viewport");
    if (!v) return;
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) {
      var r = v.getBoundingClientRect();
      zoomAt(event.deltaY < 0 ? 1.1 : 1 / 1.1, event.clientX - r.left, event.clientY - r.top);
    } else {
      view.x -= event.deltaX; view.y -= event.deltaY;
      applyView();
    }
  }, { passive: false });

  function showHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  // Keyboard ------------------------------------------------------------------
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (!editor() || typing(event.target) || document.querySelector("dialog[open]")) return;
    var ctrl = event.ctrlKey || event.metaKey;
    var key = event.key;
    var graphEl = event.target.closest && event.target.closest(".process-graph g.activity, .process-graph g.transition");
    var markerEl = event.target.closest && event.target.closest(".process-graph g.trigger-marker");
    if ((key === "Enter" || key === " ") && markerEl) {
      event.preventDefault();
      openTrigger(markerEl);
      return;
    }
    if ((key === "Enter" || key === " ") && graphEl) {
      event.preventDefault();
      select(graphEl);
      return;
    }
    if (ctrl && (key === "z" || key === "Z") && !event.shiftKey) {
      event.preventDefault();
      if (editable()) send("POST", editor().dataset.undoUrl, { sel: selectedValue() });
      return;
    }
    if (ctrl && ((key === "z" || key === "Z") && event.shiftKey || key === "y" || key === "Y")) {
      event.preventDefault();
      if (editable()) send("POST", editor().dataset.redoUrl, { sel: selectedValue() });
      return;
    }
    if (ctrl && !event.shiftKey && !event.altKey && selectionShortcut(key.toLowerCase())) {
      event.preventDefault();
      return;
    }
    if (ctrl || event.altKey) return;
    if ((key === "Delete" || key === "Backspace") && multi.length) {
      if (!editable()) return;
      event.preventDefault();
      send("POST", editor().dataset.selectionDeleteUrl, { keys: multi.join(","), sel: selectedValue() });
      multi = [];
    } else if (key === "Delete" || key === "Backspace") {
      var value = selectedValue();
      if (!value || !editable()) return;
      event.preventDefault();
      var name = value[0] === "a" ? "deleteActivityUrl" : "deleteTransitionUrl";
      send("POST", url(name, value.slice(2)));
    } else if (key.indexOf("Arrow") === 0) {
      var sel = selectedValue();
      if (!sel || sel[0] !== "a" || !editable()) return;
      event.preventDefault();
      var step = ARROW_STEP * (event.shiftKey ? 5 : 1);
      var d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[key];
      send("POST", url("moveUrl", sel.slice(2)), { dx: d[0], dy: d[1] });
    } else if (key === "+" || key === "=") { zoomCentre(1.25); }
    else if (key === "-" || key === "_") { zoomCentre(0.8); }
    else if (key === "0") { view = { x: 0, y: 0, scale: 1 }; applyView(); }
    else if (key === "1") { fit(); }
    else if (key === "?") { showHelp(); }
    else if (key === "Escape" && (connectFrom || multi.length)) {
      connectFrom = null;
      document.body.classList.remove("connecting");
      setMulti([]);
    }
    else if (key === "Escape" && selectedValue()) {
      send("GET", editor().dataset.editorUrl);
    }
  });

  // Ctrl+A, C, V, D on the selection; true when the key was one of them.
  function selectionShortcut(key) {
    var e = editor(), keys = selectedKeys();
    if (key === "a") {
      setMulti(Array.prototype.map.call(svg().querySelectorAll("g.activity"), function (el) {
        return el.getAttribute("data-key");
      }));
      return true;
    }
    if (key === "c" && keys.length) {
      send("POST", e.dataset.copyUrl, { keys: keys.join(","), sel: selectedValue() });
      return true;
    }
    if (key === "v" && editable()) {
      send("POST", e.dataset.pasteUrl, { sel: selectedValue() });
      return true;
    }
    if (key === "d" && keys.length && editable()) {
      send("POST", e.dataset.duplicateUrl, { keys: keys.join(","), sel: selectedValue() });
      return true;
    }
    return false;
  }

  // Double-click or F2: rename, by focusing the Name field of the properties.
  var renameNext = false;
  function rename(el) {
    if (!el || !editable()) return;
    // An activity is renamed where it is (editor_direct.js); a transition in its properties.
    if (el.classList.contains("activity") && window.Waymark.renameInPlace) {
      window.Waymark.renameInPlace(el);
      return;
    }
    renameNext = true;
    if (selectedElement() === el) focusName(); else select(el);
  }
  function focusName() {
    var field = document.getElementById("id_activity-name") || document.getElementById("id_transition-name");
    if (field) { field.focus(); field.select(); }
  }
  // Several swaps may follow a double-click (one per click): keep focusing the
  // field until the person does something else.
  document.addEventListener("pointerdown", function () { renameNext = false; }, true);
  document.addEventListener("input", function () { renameNext = false; }, true);
  document.addEventListener("dblclick", function (event) {
    // The canvas captures the pointer while pressed, so the event's target is
    // the canvas: look at what is under the pointer instead.
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var el = under && under.closest(".process-graph g.activity, .process-graph g.transition");
    if (el) rename(el);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "F2" && editor() && !typing(event.target)) {
      event.preventDefault();
      rename(selectedElement());
    }
  });

  // What editor_direct.js (palette drops, context pad, rename, find, minimap) uses.
  window.Waymark = {
    editor: editor, svg: svg, viewport: viewport, stage: stage, editable: editable, url: url,
    send: send, select: select, selectedValue: selectedValue, selectedElement: selectedElement,
    selectedKeys: selectedKeys, nodeByKey: nodeByKey, graphPoint: graphPoint, setMulti: setMulti,
    bringIntoView: bringIntoView, fit: fit,
    view: function () { return view; },
    setView: function (next) { view = next; applyView(); },
    startConnect: function (key) { connectFrom = key; document.body.classList.add("connecting"); },
    renameInPlace: null
  };

  // Keep keyboard focus on the element that was selected after a swap.
  document.addEventListener("htmx:afterSettle", function () {
    if (renameNext) { focusName(); return; }
    var active = document.activeElement;
    if (active && active !== document.body) return;
    var el = selectedElement();
    if (el) el.focus({ preventScroll: true });
  });
})();
