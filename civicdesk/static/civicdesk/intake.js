/* The intake form at the window: pickers, keyboard shortcuts, party rows. The form works as a
   plain POST; this file only saves keystrokes. */
(function () {
  "use strict";

  // The receipt page: its Print button.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var form = document.getElementById("intake-form");
  if (!form) return;
  var tools = window.civicdeskCombobox;
  var english = (document.documentElement.lang || "").indexOf("en") === 0;

  var category = new tools.Combobox(form.querySelector("[data-combobox=category-index]"), {
    keys: function (c) { return [c.code, c.initials, c.pinyin, c.zh, c.en, c.parent_zh]; },
    text: function (c) { return c.zh + " (" + c.code + ")"; },
    hint: function (c) { return english ? c.en : (c.parent_zh || c.en); }
  });
  var area = new tools.Combobox(form.querySelector("[data-combobox=area-index]"), {
    keys: function (a) { return [a.code, a.initials, a.pinyin, a.name]; },
    text: function (a) { return a.name + " (" + a.code + ")"; },
    hint: function (a) { return a.within; }
  });
  void area;

  var typeSelect = document.getElementById("id_type");
  var anonymousTypes = form.dataset.anonymousTypes.split(" ");

  // A category belongs to one case type: choosing it sets the type; a type chosen first
  // narrows the categories offered.
  category.root.addEventListener("combobox:choose", function (event) {
    if (event.detail && typeSelect.value !== event.detail.type) {
      typeSelect.value = event.detail.type;
      typeSelect.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  typeSelect.addEventListener("change", function () {
    var type = typeSelect.value;
    category.filter = type ? function (c) { return c.type === type; } : null;
    var chosen = category.entryFor(document.getElementById("id_category").value);
    if (chosen && type && chosen.type !== type) { category.input.value = ""; category.setValue(null); }
    updateAnonymous();
  });

  function updateAnonymous() {
    var allowed = anonymousTypes.indexOf(typeSelect.value) >= 0;
    form.querySelectorAll("[data-anonymous]").forEach(function (box) {
      box.disabled = !allowed && !box.checked;
    });
  }
  updateAnonymous();

  // Keyboard: Ctrl+Enter (anywhere) or Alt+S registers; Enter in a one-line field moves on
  // instead of sending a half-typed case (leaving the phone field also runs its look-up).
  form.addEventListener("keydown", function (event) {
    var key = event.key;
    if ((key === "Enter" && (event.ctrlKey || event.metaKey)) ||
        (event.altKey && (key === "s" || key === "S"))) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var target = event.target;
    if (key === "Enter" && !event.shiftKey && target.tagName === "INPUT" &&
        target.getAttribute("role") !== "combobox" && target.type !== "submit") {
      event.preventDefault();
      tools.focusNext(target);
    }
  });

  // Party rows: the requester's row is in the page; representatives and the other side are
  // added from the template. At most N representatives: the service's own rule and words.
  var rows = document.getElementById("party-rows");
  var template = document.getElementById("party-row-template");
  var limit = document.getElementById("representative-limit");
  var maxRepresentatives = Number(form.dataset.maxRepresentatives);
  var nextIndex = rows.querySelectorAll("[data-party-row]").length;

  function representatives() {
    return Array.prototype.filter.call(rows.querySelectorAll("select[name$='-role']"),
      function (select) { return select.value === "representative"; }).length;
  }

  function addRow(role) {
    if (role === "representative" && representatives() >= maxRepresentatives) {
      limit.hidden = false;
      return;
    }
    limit.hidden = true;
    var index = nextIndex++;
    var html = template.innerHTML.replace(/__i__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    row.querySelector("select[name$='-role']").value = role;
    rows.appendChild(row);
    if (window.htmx) window.htmx.process(row);
    updateAnonymous();
    row.querySelector("input").focus();
  }

  document.getElementById("add-representative").addEventListener("click", function () {
    addRow("representative");
  });
  document.getElementById("add-respondent").addEventListener("click", function () {
    addRow("respondent");
  });
  rows.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-party]");
    if (!remove) return;
    remove.closest("[data-party-row]").remove();
    limit.hidden = representatives() < maxRepresentatives;
  });

  // Shown again with errors: start at the first field that needs fixing.
  var invalid = form.querySelector(".is-invalid");
  if (invalid) invalid.focus();
})();
