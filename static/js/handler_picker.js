/* The handler picker of the properties panel: a list of the registered handlers beside an
 * automatic task's handler field. Picking one fills the field; typing stays possible, and a
 * name nobody registered is marked (publishing refuses it: WM114). The catalogue comes from
 * GET /api/v1/handlers/ (its address is on the Dry run form). */
(function () {
  "use strict";

  // The properties form may prefix its field names ("activity-handler").
  var FIELDS = ["handler", "compensation_handler"].map(function (name) {
    return '#properties input[name="' + name + '"], #properties input[name$="-' + name + '"]';
  }).join(", ");
  var loading = null;

  function catalogue() {
    if (loading) return loading;
    var form = document.getElementById("dry-run-form");
    var url = form && form.dataset.handlersUrl;
    loading = !url ? Promise.resolve([]) : fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (answer) { return answer.ok ? answer.json() : []; })
      .catch(function () { return []; });
    return loading;
  }

  function describe(entry) {
    var parts = [entry.description || "No description."];
    if (entry.reads.length) parts.push("Reads " + entry.reads.join(", ") + ".");
    if (entry.writes.length) parts.push("Writes " + entry.writes.join(", ") + ".");
    return parts.join(" ");
  }

  function update(input, status, byName) {
    var name = input.value.trim();
    var entry = byName[name];
    status.classList.toggle("error", Boolean(name) && !entry);
    input.setAttribute("aria-invalid", name && !entry ? "true" : "false");
    if (!name) status.textContent = "";
    else if (entry) status.textContent = describe(entry);
    else status.textContent = "Not registered: " + name + " cannot run (WM114). Pick a registered handler.";
  }

  function enhance(input, list) {
    var byName = {};
    list.forEach(function (entry) { byName[entry.name] = entry; });
    var select = document.createElement("select");
    select.className = "handler-picker";
    select.id = input.id + "-picker";
    var what = /compensation_handler$/.test(input.name) ? "compensation handler" : "handler";
    select.setAttribute("aria-label", "Pick a registered handler for " + what);
    select.add(new Option("Pick a registered handler…", ""));
    list.forEach(function (entry) {
      var text = entry.name + (entry.description ? " — " + entry.description : "");
      select.add(new Option(text, entry.name, false, entry.name === input.value.trim()));
    });
    var status = document.createElement("p");
    status.className = "handler-status small";
    status.id = input.id + "-status";
    status.setAttribute("aria-live", "polite");
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + status.id);
    input.insertAdjacentElement("afterend", status);
    input.insertAdjacentElement("afterend", select);
    select.addEventListener("change", function () {
      if (!select.value) return;
      input.value = select.value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      update(input, status, byName);
    });
    input.addEventListener("input", function () {
      select.value = byName[input.value.trim()] ? input.value.trim() : "";
      update(input, status, byName);
    });
    update(input, status, byName);
  }

  function enhanceAll() {
    var inputs = document.querySelectorAll(FIELDS);
    if (!inputs.length) return;
    catalogue().then(function (list) {
      document.querySelectorAll(FIELDS).forEach(function (input) {
        if (input.dataset.picker) return;
        input.dataset.picker = "1";
        enhance(input, list);
      });
    });
  }

  enhanceAll();
  document.body.addEventListener("htmx:afterSettle", enhanceAll);
})();
