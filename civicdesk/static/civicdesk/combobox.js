/* Keyboard-first pickers over a list embedded in the page (json_script): type Chinese, pinyin
   initials, full pinyin or a code; Up/Down move, Enter (or Tab) chooses, Escape closes.

   Markup: <div data-combobox="ID-of-json-script"> with a text input[role=combobox], a hidden
   input that holds the chosen code, and a ul[role=listbox]. Each entry of the JSON needs
   `code`; the searched keys and the shown text are described by window.civicdeskPickers[ID]. */
(function () {
  "use strict";
  var MAX_SHOWN = 8;

  function squash(text) {
    return String(text || "").toLowerCase().replace(/\s+/g, "");
  }

  // 0: a key starts with the query, 1: a key contains it, -1: no match.
  function rank(keys, query) {
    var best = -1;
    for (var i = 0; i < keys.length; i++) {
      var at = keys[i].indexOf(query);
      if (at === 0) return 0;
      if (at > 0) best = 1;
    }
    return best;
  }

  function Combobox(root, describe) {
    this.root = root;
    this.input = root.querySelector("input[role=combobox]");
    this.hidden = root.querySelector("input[type=hidden]");
    this.list = root.querySelector("[role=listbox]");
    this.describe = describe;
    this.entries = JSON.parse(document.getElementById(root.dataset.combobox).textContent);
    this.entries.forEach(function (entry) {
      entry._keys = describe.keys(entry).map(squash).filter(Boolean);
    });
    this.filter = null;
    this.shown = [];
    this.active = -1;
    this.chosenText = this.hidden.value ? this.input.value : "";
    this.bind();
  }

  Combobox.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("input", function () { self.onInput(); });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("blur", function () { self.close(); });
    // mousedown, not click: the input's blur would close the list before a click lands.
    this.list.addEventListener("mousedown", function (event) {
      var item = event.target.closest("[data-index]");
      if (!item) return;
      event.preventDefault();
      self.choose(self.shown[Number(item.dataset.index)], false);
    });
  };

  Combobox.prototype.onInput = function () {
    if (this.hidden.value && this.input.value !== this.chosenText) this.setValue(null);
    this.search(this.input.value);
  };

  Combobox.prototype.search = function (text) {
    var query = squash(text);
    var filter = this.filter;
    if (!query) { this.close(); return; }
    var scored = [];
    this.entries.forEach(function (entry, order) {
      if (filter && !filter(entry)) return;
      var r = rank(entry._keys, query);
      if (r >= 0) scored.push([r, order, entry]);
    });
    scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    this.shown = scored.slice(0, MAX_SHOWN).map(function (s) { return s[2]; });
    this.active = this.shown.length ? 0 : -1;
    this.render();
  };

  Combobox.prototype.render = function () {
    var self = this;
    this.list.textContent = "";
    this.shown.forEach(function (entry, index) {
      var item = document.createElement("li");
      item.className = "list-group-item" + (index === self.active ? " active" : "");
      item.id = self.list.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === self.active ? "true" : "false");
      item.dataset.index = String(index);
      item.dataset.code = entry.code;
      item.textContent = self.describe.text(entry) + " ";
      var hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = self.describe.hint(entry);
      item.appendChild(hint);
      self.list.appendChild(item);
    });
    if (!this.shown.length) {
      var none = document.createElement("li");
      none.className = "list-group-item text-muted";
      none.textContent = this.root.dataset.empty || "—";
      this.list.appendChild(none);
    }
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    if (this.active >= 0) this.input.setAttribute("aria-activedescendant", this.list.id + "-" + this.active);
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.isOpen = function () { return !this.list.hidden; };

  Combobox.prototype.move = function (step) {
    if (!this.isOpen()) { this.search(this.input.value); return; }
    if (!this.shown.length) return;
    this.active = (this.active + step + this.shown.length) % this.shown.length;
    this.render();
  };

  Combobox.prototype.onKey = function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.key === "ArrowDown") { event.preventDefault(); this.move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); this.move(-1); }
    else if (event.key === "Escape" && this.isOpen()) { event.preventDefault(); this.close(); }
    else if (event.key === "Enter") {
      // Enter never submits from a picker: it chooses, then goes on to the next field.
      event.preventDefault();
      if (this.isOpen() && this.active >= 0) this.choose(this.shown[this.active], true);
      else if (this.hidden.value) focusNext(this.input);
    } else if (event.key === "Tab" && !event.shiftKey && this.isOpen() && this.active >= 0 &&
               !this.hidden.value) {
      this.choose(this.shown[this.active], false);  // Tab itself then moves on
    }
  };

  Combobox.prototype.choose = function (entry, advance) {
    if (!entry) return;
    this.setValue(entry);
    this.close();
    if (advance) focusNext(this.input);
  };

  // Sets (or clears, with null) the chosen entry and tells listeners through the hidden
  // input's change event, as a typed field would.
  Combobox.prototype.setValue = function (entry) {
    this.hidden.value = entry ? entry.code : "";
    this.chosenText = entry ? this.describe.text(entry) : "";
    if (entry) this.input.value = this.chosenText;
    this.input.classList.remove("is-invalid");
    this.hidden.dispatchEvent(new Event("change", { bubbles: true }));
    this.root.dispatchEvent(new CustomEvent("combobox:choose", { detail: entry, bubbles: true }));
  };

  Combobox.prototype.entryFor = function (code) {
    for (var i = 0; i < this.entries.length; i++) if (this.entries[i].code === code) return this.entries[i];
    return null;
  };

  function focusable(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("input, select, textarea, button, a[href]"),
      function (el) {
        return el.type !== "hidden" && !el.disabled && el.tabIndex >= 0 && el.offsetParent !== null;
      });
  }

  function focusNext(element) {
    var scope = element.form || document;
    var all = focusable(scope);
    var next = all[all.indexOf(element) + 1];
    if (next) next.focus();
  }

  window.civicdeskCombobox = { Combobox: Combobox, focusNext: focusNext };
})();
