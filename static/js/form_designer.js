/* The form designer: edits the JSON Schema of a process's input form or of a
 * task's form as a list of fields, in the editor's properties panel.
 *
 * It enhances the schema's text field (textarea[data-form-designer] and the
 * task's form_schema): every change is written back into that text field as
 * JSON Schema, so the form is saved (and checked) exactly as before. What the
 * designer cannot edit (a property with keywords it does not know, other
 * top-level keywords) is shown read-only and written back untouched. The
 * JSON stays editable under "Edit as JSON"; editing it redraws the designer.
 */
(function () {
  "use strict";

  var TYPES = [
    ["text", "Text"], ["long_text", "Long text"], ["number", "Number"], ["date", "Date"],
    ["date_time", "Date and time"], ["choice", "Choice (from a list)"], ["checkbox", "Checkbox"],
  ];
  // The keywords a designed field may hold; a property with any other stays read-only.
  var KNOWN = ["type", "title", "description", "enum", "format", "minimum", "maximum",
    "minLength", "maxLength", "default", "x-waymark-widget"];
  var LABELS = "x-waymark-outcome-labels";
  // The order of the fields: PostgreSQL (jsonb) does not keep the order of an object's keys.
  var ORDER = "x-waymark-order";
  var DESIGNED_TOP = ["type", "properties", "required", LABELS, ORDER];

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  // Reading a schema ---------------------------------------------------------------

  function fieldType(spec) {
    var type = spec.type;
    if (Array.isArray(spec.enum)) {
      var strings = spec.enum.length && spec.enum.every(function (v) { return typeof v === "string"; });
      return strings && (type === undefined || type === "string") && !spec.format ? "choice" : null;
    }
    if (type === "string") {
      if (spec.format === "date") return "date";
      if (spec.format === "date-time") return "date_time";
      if (spec.format !== undefined) return null;
      return spec["x-waymark-widget"] === "textarea" ? "long_text" : "text";
    }
    if (type === "number" || type === "integer") return "number";
    if (type === "boolean") return "checkbox";
    return null;
  }

  function fits(field, spec) {
    // Every keyword must mean something for this type, and the default must be of its type.
    var numeric = field.type === "number", texty = field.type === "text" || field.type === "long_text";
    if ((spec.minimum !== undefined || spec.maximum !== undefined) && !numeric) return false;
    if ((spec.minLength !== undefined || spec.maxLength !== undefined) && !texty) return false;
    if (spec["x-waymark-widget"] !== undefined && field.type !== "long_text") return false;
    if (spec.title !== undefined && typeof spec.title !== "string") return false;
    if (spec.description !== undefined && typeof spec.description !== "string") return false;
    var limits = ["minimum", "maximum", "minLength", "maxLength"];
    for (var i = 0; i < limits.length; i++) {
      if (spec[limits[i]] !== undefined && !isNumber(spec[limits[i]])) return false;
    }
    if (!("default" in spec)) return true;
    var d = spec["default"];
    if (field.type === "checkbox") return typeof d === "boolean";
    if (numeric) return isNumber(d);
    if (field.type === "choice") return spec.enum.indexOf(d) >= 0;
    return typeof d === "string";
  }

  function readField(name, spec, required) {
    if (!isObject(spec)) return null;
    var keys = Object.keys(spec);
    for (var i = 0; i < keys.length; i++) if (KNOWN.indexOf(keys[i]) < 0) return null;
    var type = fieldType(spec);
    if (!type) return null;
    var field = {
      name: name, type: type, title: spec.title || "", description: spec.description || "",
      required: required, integer: spec.type === "integer", options: spec.enum ? spec.enum.slice() : [],
      minimum: spec.minimum, maximum: spec.maximum, minLength: spec.minLength, maxLength: spec.maxLength,
      "default": spec["default"],
    };
    return fits(field, spec) ? field : null;
  }

  // The designer's model of a schema: rows (designed fields and kept properties) and the rest.
  function readSchema(schema) {
    var model = { rows: [], kept: {}, labels: {}, whole: null, original: schema };
    if (!isObject(schema)) { model.whole = schema; return model; }
    var props = schema.properties;
    if ((schema.type !== undefined && schema.type !== "object") ||
        (props !== undefined && !isObject(props)) ||
        (schema.required !== undefined && !Array.isArray(schema.required))) {
      model.whole = schema;  // not a form of named fields: read-only as a whole
      return model;
    }
    var required = schema.required || [];
    orderedNames(schema).forEach(function (name) {
      var field = readField(name, props[name], required.indexOf(name) >= 0);
      model.rows.push(field ? { field: field } : { name: name, spec: props[name] });
    });
    Object.keys(schema).forEach(function (key) {
      if (DESIGNED_TOP.indexOf(key) < 0) model.kept[key] = schema[key];
    });
    if (isObject(schema[LABELS])) model.labels = Object.assign({}, schema[LABELS]);
    else if (schema[LABELS] !== undefined) model.kept[LABELS] = schema[LABELS];
    if (schema[ORDER] !== undefined && !isOrder(schema[ORDER])) model.kept[ORDER] = schema[ORDER];
    return model;
  }

  function isOrder(v) { return Array.isArray(v) && v.every(function (n) { return typeof n === "string"; }); }

  // The property names in the order of x-waymark-order, then the rest as stored.
  function orderedNames(schema) {
    var names = Object.keys(schema.properties || {});
    var order = isOrder(schema[ORDER]) ? schema[ORDER] : [];
    var first = order.filter(function (n, i) { return names.indexOf(n) >= 0 && order.indexOf(n) === i; });
    return first.concat(names.filter(function (n) { return first.indexOf(n) < 0; }));
  }

  // Writing a schema ---------------------------------------------------------------

  function writeField(f) {
    var spec = {};
    if (f.type === "number") spec.type = f.integer ? "integer" : "number";
    else if (f.type === "checkbox") spec.type = "boolean";
    else spec.type = "string";
    if (f.title) spec.title = f.title;
    if (f.description) spec.description = f.description;
    if (f.type === "date") spec.format = "date";
    if (f.type === "date_time") spec.format = "date-time";
    if (f.type === "choice") spec.enum = f.options.slice();
    if (f.type === "number") {
      if (isNumber(f.minimum)) spec.minimum = f.minimum;
      if (isNumber(f.maximum)) spec.maximum = f.maximum;
    }
    if (f.type === "text" || f.type === "long_text") {
      if (isNumber(f.minLength)) spec.minLength = f.minLength;
      if (isNumber(f.maxLength)) spec.maxLength = f.maxLength;
    }
    if (f["default"] !== undefined && f["default"] !== "") spec["default"] = f["default"];
    if (f.type === "long_text") spec["x-waymark-widget"] = "textarea";
    return spec;
  }

  function writeSchema(model) {
    if (model.whole !== null) return model.whole;
    var original = isObject(model.original) ? model.original : {};
    var props = {}, required = [];
    var oldRequired = Array.isArray(original.required) ? original.required : [];
    model.rows.forEach(function (row) {
      if (row.field) {
        props[row.field.name] = writeField(row.field);
        if (row.field.required) required.push(row.field.name);
      } else {
        props[row.name] = row.spec;
        if (oldRequired.indexOf(row.name) >= 0) required.push(row.name);
      }
    });
    var labels = {};
    Object.keys(model.labels).forEach(function (code) {
      if (model.labels[code]) labels[code] = model.labels[code];
    });
    var out = {}, hasFields = model.rows.length > 0;
    // The original order of top-level keywords is kept; new ones go after.
    Object.keys(original).forEach(function (key) {
      var foreign = (key === LABELS && !isObject(original[key])) || (key === ORDER && !isOrder(original[key]));
      if (DESIGNED_TOP.indexOf(key) < 0 || foreign) out[key] = original[key];
    });
    if (hasFields || Object.keys(out).length) {
      out.type = "object";
      out.properties = props;
      if (required.length) out.required = required;
      if (model.rows.length > 1) out[ORDER] = Object.keys(props);
    }
    if (Object.keys(labels).length) out[LABELS] = labels;
    return out;
  }

  function problemsOf(model) {
    var seen = {}, problems = [];
    model.rows.forEach(function (row, i) {
      var name = row.field ? row.field.name : row.name;
      if (!name) problems.push("Field " + (i + 1) + " has no name.");
      else if (seen[name]) problems.push("Two fields are named \u201c" + name + "\u201d: names must differ.");
      seen[name] = true;
      if (row.field && row.field.type === "choice" && !row.field.options.length) {
        problems.push("\u201c" + (row.field.title || name) + "\u201d needs at least one choice.");
      }
    });
    return problems;
  }

  // Drawing ------------------------------------------------------------------------

  var uid = 0;
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key in node && key !== "list") node[key] = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function labelled(text, input, help) {
    input.id = input.id || "fd-" + (++uid);
    var wrap = el("div", { className: "fd-input" + (input.type === "checkbox" ? " fd-check" : "") });
    var label = el("label", { htmlFor: input.id, text: text });
    if (input.type === "checkbox") { label.textContent = ""; label.appendChild(input); label.append(" " + text); wrap.appendChild(label); }
    else { wrap.appendChild(label); wrap.appendChild(input); }
    if (help) wrap.appendChild(el("small", { className: "muted", text: help }));
    return wrap;
  }

  function slug(text) {
    return (text || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
  }

  function numberOrUndefined(text) {
    if (String(text).trim() === "") return undefined;
    var n = Number(text);
    return isFinite(n) ? n : undefined;
  }

  function Designer(textarea) {
    this.textarea = textarea;
    this.form = textarea.form;
    this.isTask = textarea.getAttribute("data-form-designer") !== "input";
    this.readonly = textarea.disabled;
    this.open = {};
    this.root = el("div", { className: "form-designer", "data-form-designer-ui": "" });
    this.mount();
    this.load();
  }

  Designer.prototype.mount = function () {
    var group = this.textarea.closest(".field") || this.textarea.parentNode;
    var details = el("details", { className: "fd-json" }, [el("summary", { text: "Edit as JSON" })]);
    group.parentNode.insertBefore(this.root, group);
    group.parentNode.insertBefore(details, group);
    details.appendChild(group);
    var self = this;
    this.textarea.addEventListener("input", function () { self.load(true); });
  };

  Designer.prototype.load = function (fromJson) {
    var text = this.textarea.value.trim();
    var schema = {};
    if (text) {
      try { schema = JSON.parse(text); } catch (e) {
        if (fromJson) return;  // half-typed JSON: keep the designer as it is
        schema = text;
      }
    }
    this.model = readSchema(schema);
    this.draw();
  };

  Designer.prototype.changed = function (redraw) {
    var problems = problemsOf(this.model);
    this.problems = problems;
    if (!problems.length) this.textarea.value = JSON.stringify(writeSchema(this.model), null, 2);
    if (redraw) this.draw(); else this.drawProblems();
  };

  Designer.prototype.drawProblems = function () {
    var box = this.root.querySelector(".fd-problems");
    box.innerHTML = "";
    (this.problems || []).forEach(function (p) { box.appendChild(el("p", { className: "error", text: p })); });
    box.hidden = !(this.problems || []).length;
  };

  Designer.prototype.draw = function () {
    var self = this, model = this.model;
    this.root.innerHTML = "";
    this.root.appendChild(el("h3", { text: this.isTask ? "Form of this task" : "Fields" }));
    this.root.appendChild(el("div", { className: "fd-problems", role: "alert", hidden: true }));
    if (model.whole !== null) {
      this.root.appendChild(el("p", { className: "muted small", text: "This schema is not a list of named fields, so the designer shows it as it is; edit it as JSON." }));
      this.root.appendChild(el("pre", { className: "fd-kept", text: JSON.stringify(model.whole, null, 2) }));
      return;
    }
    var list = el("ol", { className: "fd-fields", "aria-label": "Fields" });
    model.rows.forEach(function (row, i) { list.appendChild(self.drawRow(row, i)); });
    if (!model.rows.length) this.root.appendChild(el("p", { className: "muted small", text: "No fields yet." }));
    this.root.appendChild(list);
    var tools = el("div", { className: "fd-tools" });
    if (!this.readonly) {
      tools.appendChild(el("button", { type: "button", text: "Add a field", className: "fd-add" }));
      tools.lastChild.addEventListener("click", function () { self.add(); });
    }
    tools.appendChild(el("button", { type: "button", text: "Preview", className: "fd-preview-button" }));
    tools.lastChild.addEventListener("click", function () { self.preview(); });
    this.root.appendChild(tools);
    if (this.isTask) this.root.appendChild(this.drawOutcomes());
    var keptKeys = Object.keys(model.kept);
    if (keptKeys.length) {
      var kept = {};
      keptKeys.forEach(function (k) { kept[k] = model.kept[k]; });
      this.root.appendChild(el("p", { className: "muted small", text: "Also in the schema, kept as written (edit as JSON):" }));
      this.root.appendChild(el("pre", { className: "fd-kept", text: JSON.stringify(kept, null, 2) }));
    }
    this.drawProblems();
  };

  Designer.prototype.drawRow = function (row, index) {
    var self = this, count = this.model.rows.length;
    var name = row.field ? (row.field.title || row.field.name) : row.name;
    var kind = row.field ? TYPES.filter(function (t) { return t[0] === row.field.type; })[0][1] : "kept as written";
    var item = el("li", { className: "fd-field" + (row.field ? "" : " fd-readonly") });
    var head = el("div", { className: "fd-head" }, [el("strong", { text: name || "(no name)" }), el("span", { className: "muted", text: " " + kind })]);
    if (!this.readonly) {
      var move = function (label, text, delta, disabled) {
        var b = el("button", { type: "button", text: text, title: label, "data-action": label, disabled: disabled });
        b.addEventListener("click", function () { self.move(index, delta); });
        return b;
      };
      head.appendChild(move("Move up", "\u2191", -1, index === 0));
      head.appendChild(move("Move down", "\u2193", 1, index === count - 1));
      var remove = el("button", { type: "button", text: "Remove", className: "danger", "data-action": "Remove" });
      remove.addEventListener("click", function () { self.model.rows.splice(index, 1); self.changed(true); });
      head.appendChild(remove);
    }
    item.appendChild(head);
    nameHead(head, name);
    if (!row.field) {
      item.appendChild(el("p", { className: "muted small", text: "\u201c" + row.name + "\u201d uses JSON Schema the designer does not edit; it is saved unchanged." }));
      item.appendChild(el("pre", { className: "fd-kept", text: JSON.stringify(row.spec, null, 2) }));
      return item;
    }
    var details = el("details", { open: !!this.open[index] });
    details.appendChild(el("summary", { text: "Edit " + (name || "field") }));
    details.addEventListener("toggle", function () { self.open[index] = details.open; });
    details.appendChild(this.drawInputs(row.field, head));
    item.appendChild(details);
    return item;
  };

  // The field's name in its heading and in its buttons' accessible names ("Move up: Days").
  function nameHead(head, name) {
    head.firstChild.textContent = name || "(no name)";
    var summary = head.parentNode && head.parentNode.querySelector("summary");
    if (summary) summary.textContent = "Edit " + (name || "field");
    head.querySelectorAll("button[data-action]").forEach(function (b) {
      b.setAttribute("aria-label", b.getAttribute("data-action") + ": " + (name || "field"));
    });
  }

  Designer.prototype.drawInputs = function (f, head) {
    var self = this, box = el("div", { className: "fd-inputs" });
    var named = !f.fresh && !!f.name && f.name !== slug(f.title);
    var input = function (text, value, set, attrs, help) {
      var i = el("input", Object.assign({ type: "text", value: value === undefined ? "" : String(value), disabled: self.readonly }, attrs || {}));
      i.addEventListener("input", function () { set(i.value, i); self.changed(false); });
      box.appendChild(labelled(text, i, help));
      return i;
    };
    var nameInput;
    input("Label", f.title, function (v) {
      f.title = v;
      if (!named) { f.name = slug(v); nameInput.value = f.name; }
      nameHead(head, v || f.name);
    });
    nameInput = input("Name in the data", f.name, function (v) { f.name = v.trim(); named = true; f.fresh = false; }, { spellcheck: false }, "the key the value is stored under");
    var type = el("select", { disabled: self.readonly });
    TYPES.forEach(function (t) { type.appendChild(el("option", { value: t[0], text: t[1], selected: t[0] === f.type })); });
    type.addEventListener("change", function () { self.retype(f, type.value); });
    box.appendChild(labelled("Type", type));
    input("Help text", f.description, function (v) { f.description = v; });
    var req = el("input", { type: "checkbox", checked: f.required, disabled: self.readonly });
    req.addEventListener("change", function () { f.required = req.checked; self.changed(false); });
    box.appendChild(labelled("Required", req));
    this.drawTypeInputs(f, box, input);
    return box;
  };

  Designer.prototype.drawTypeInputs = function (f, box, input) {
    var self = this;
    var num = function (key) { return function (v) { f[key] = numberOrUndefined(v); }; };
    if (f.type === "text" || f.type === "long_text") {
      input("Shortest length", f.minLength, num("minLength"), { type: "number", min: 0, step: 1 });
      input("Longest length", f.maxLength, num("maxLength"), { type: "number", min: 0, step: 1 });
      input("Default", f["default"], function (v) { f["default"] = v || undefined; });
    } else if (f.type === "number") {
      input("Minimum", f.minimum, num("minimum"), { type: "number", step: "any" });
      input("Maximum", f.maximum, num("maximum"), { type: "number", step: "any" });
      var whole = el("input", { type: "checkbox", checked: f.integer, disabled: self.readonly });
      whole.addEventListener("change", function () { f.integer = whole.checked; self.changed(false); });
      box.appendChild(labelled("Whole numbers only", whole));
      input("Default", f["default"], num("default"), { type: "number", step: "any" });
    } else if (f.type === "date") {
      input("Default", f["default"], function (v) { f["default"] = v || undefined; }, { type: "date" });
    } else if (f.type === "date_time") {
      input("Default", f["default"], function (v) { f["default"] = v || undefined; }, {}, "e.g. 2026-05-01T09:30:00Z");
    } else if (f.type === "choice") {
      var options = el("textarea", { rows: 3, value: f.options.join("\n"), disabled: self.readonly });
      var def = el("select", { disabled: self.readonly });
      var fillDefault = function () {
        def.innerHTML = "";
        def.appendChild(el("option", { value: "", text: "(none)" }));
        f.options.forEach(function (o) { def.appendChild(el("option", { value: o, text: o, selected: o === f["default"] })); });
      };
      options.addEventListener("input", function () {
        f.options = options.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
        if (f.options.indexOf(f["default"]) < 0) f["default"] = undefined;
        fillDefault();
        self.changed(false);
      });
      box.appendChild(labelled("Choices", options, "one per line"));
      fillDefault();
      def.addEventListener("change", function () { f["default"] = def.value || undefined; self.changed(false); });
      box.appendChild(labelled("Default", def));
    } else if (f.type === "checkbox") {
      var on = el("input", { type: "checkbox", checked: f["default"] === true, disabled: self.readonly });
      on.addEventListener("change", function () { f["default"] = on.checked ? true : undefined; self.changed(false); });
      box.appendChild(labelled("Checked at first", on));
    }
  };

  Designer.prototype.retype = function (f, type) {
    var wasText = f.type === "text" || f.type === "long_text";
    var isText = type === "text" || type === "long_text";
    if (!(wasText && isText)) f["default"] = undefined;  // a default of another type would not fit
    f.type = type;
    this.changed(true);
  };

  Designer.prototype.openOnly = function (index) { this.open = {}; this.open[index] = true; };

  Designer.prototype.add = function () {
    var n = this.model.rows.length + 1, names = {};
    this.model.rows.forEach(function (r) { names[r.field ? r.field.name : r.name] = true; });
    while (names["field_" + n]) n++;
    this.model.rows.push({ field: { name: "field_" + n, type: "text", title: "", description: "", required: false, options: [], fresh: true } });
    this.openOnly(this.model.rows.length - 1);
    this.changed(true);
    var inputs = this.root.querySelectorAll(".fd-field:last-child input");
    if (inputs.length) inputs[0].focus();
  };

  Designer.prototype.move = function (index, delta) {
    var rows = this.model.rows, to = index + delta;
    if (to < 0 || to >= rows.length) return;
    rows.splice(to, 0, rows.splice(index, 1)[0]);
    var open = this.open[index];
    this.open = {};
    if (open) this.open[to] = true;
    this.changed(true);
    var buttons = this.root.querySelectorAll(".fd-field")[to].querySelectorAll(".fd-head button");
    var again = buttons[delta < 0 ? 0 : 1];
    (again && !again.disabled ? again : buttons[2] || buttons[0]).focus();
  };

  Designer.prototype.outcomeInput = function () {
    return this.form && this.form.querySelector("input[name$='outcomes']");
  };

  Designer.prototype.drawOutcomes = function () {
    var self = this, box = el("div", { className: "fd-outcomes" });
    var source = this.outcomeInput();
    var codes = source ? source.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean) : [];
    box.appendChild(el("h4", { text: "Outcome buttons" }));
    if (!codes.length) {
      box.appendChild(el("p", { className: "muted small", text: "No outcomes: the task has one \u201cComplete\u201d button. List outcomes above to label their buttons." }));
    }
    codes.forEach(function (code) {
      var i = el("input", { type: "text", value: self.model.labels[code] || "", disabled: self.readonly, placeholder: code });
      i.addEventListener("input", function () { self.model.labels[code] = i.value.trim(); self.changed(false); });
      box.appendChild(labelled("Button label for " + code, i));
    });
    if (source && !source.dataset.fdBound) {
      source.dataset.fdBound = "1";
      source.addEventListener("change", function () { self.draw(); });
    }
    return box;
  };

  Designer.prototype.previewUrl = function () {
    var own = this.form && this.form.getAttribute("data-preview-url");
    if (own) return own;
    var editor = document.getElementById("editor");
    return editor ? editor.getAttribute("data-editor-url") + "form-preview/" : "";
  };

  Designer.prototype.preview = function () {
    var body = new URLSearchParams();
    var token = this.form && this.form.querySelector("[name=csrfmiddlewaretoken]");
    body.set("csrfmiddlewaretoken", token ? token.value : "");
    body.set("schema", this.textarea.value);
    body.set("target", this.isTask ? "task" : "input");
    var outcomes = this.outcomeInput();
    if (outcomes) body.set("outcomes", outcomes.value);
    fetch(this.previewUrl(), { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token ? token.value : "" } })
      .then(function (r) { return r.text(); })
      .then(function (html) { showPreview(html); })
      .catch(function () { showPreview("<p class=\"error\" role=\"alert\">The preview could not be loaded.</p>"); });
  };

  function showPreview(html) {
    var dialog = document.getElementById("form-preview-dialog");
    if (!dialog) {
      dialog = el("dialog", { id: "form-preview-dialog", className: "form-preview-dialog", "aria-labelledby": "form-preview-title" });
      dialog.appendChild(el("h2", { id: "form-preview-title", text: "Preview of the form" }));
      dialog.appendChild(el("div", { className: "form-preview-body" }));
      var close = el("form", { method: "dialog" }, [el("button", { type: "submit", text: "Close preview" })]);
      dialog.appendChild(close);
      document.body.appendChild(dialog);
    }
    // The server's own rendering of the form (escaped by Django), inert.
    dialog.querySelector(".form-preview-body").innerHTML = html;
    dialog.showModal();
  }

  // A form whose designer has a problem is not sent: the problem is shown instead.
  function blocked(form) {
    var designers = form ? form.querySelectorAll("[data-form-designer-ui]") : [];
    for (var i = 0; i < designers.length; i++) {
      var d = designers[i].designer;
      if (d && d.problems && d.problems.length) { d.drawProblems(); d.root.scrollIntoView({ block: "nearest" }); return true; }
    }
    return false;
  }
  document.addEventListener("htmx:confirm", function (event) {
    if (blocked(event.target.closest && event.target.closest("form"))) event.preventDefault();
  });
  document.addEventListener("submit", function (event) {
    if (blocked(event.target)) event.preventDefault();
  }, true);

  function enhance(root) {
    var found = (root.querySelectorAll ? root : document)
      .querySelectorAll("textarea[data-form-designer], textarea[name$='form_schema']");
    found.forEach(function (textarea) {
      if (textarea.dataset.fdReady) return;
      textarea.dataset.fdReady = "1";
      var designer = new Designer(textarea);
      designer.root.designer = designer;
    });
  }

  if (window.htmx) htmx.onLoad(enhance);
  else document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // For the browser tests and the console: the schema model, without the page.
  window.WaymarkFormDesigner = { readSchema: readSchema, writeSchema: writeSchema };
})();
