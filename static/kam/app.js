// Small progressive enhancements; every form also works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  document.documentElement.classList.add("js");
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var csrf = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  if (csrf) {
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers["X-CSRFToken"] = decodeURIComponent(csrf[1]);
    });
  }
  // The account picker's box asks the lookup for ?q=<what is typed>, whatever the field's name;
  // not while an input method is still composing (the pinyin "huarui" before it becomes 华瑞).
  document.body.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute && elt.hasAttribute("data-picker-input")) {
      if (elt.hasAttribute("data-composing")) {
        event.preventDefault();
        return;
      }
      event.detail.parameters = {q: elt.value};
    }
  });
  document.querySelectorAll("[data-picker]").forEach(initPicker);
  document.querySelectorAll("[data-kam-add-row]").forEach(addRows);
  document.querySelectorAll("form[data-kam-checkin]").forEach(checkIn);
});

// The account picker (accounts/account/forms.py AccountPicker, search mode): the text box becomes
// an ARIA 1.2 combobox whose listbox htmx fills with the lookup's matches as one types. Arrow keys
// move through the matches, Enter picks one, Escape closes the list; a click picks too. Picking
// puts the account's id in the hidden input the form submits (or, after a submit that several
// accounts matched, in place of the server's select of them); typing clears it again, so what is
// submitted is either a picked account or a text the server resolves, as without JavaScript.
function initPicker(picker) {
  var input = picker.querySelector("[data-picker-input]");
  var listbox = picker.querySelector("[role=listbox]");
  var status = picker.querySelector("[data-picker-status]");
  var active = null;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);

  function options() {
    return Array.prototype.slice.call(
      listbox.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }
  function activate(option) {
    if (active) { active.setAttribute("aria-selected", "false"); }
    active = option;
    if (option) {
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function show(open) {
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { activate(null); }
  }
  function valueField() { return picker.querySelector("[data-picker-value]"); }
  function pick(option) {
    var field = valueField();
    if (field.tagName === "SELECT") {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = field.name;
      hidden.setAttribute("data-picker-value", "");
      field.replaceWith(hidden);
      field = hidden;
    }
    field.value = option.getAttribute("data-value");
    input.value = option.getAttribute("data-label");
    show(false);
    field.dispatchEvent(new Event("change", {bubbles: true}));
  }

  input.addEventListener("input", function () {
    var field = valueField();
    if (field.tagName === "SELECT") { field.selectedIndex = 0; } else { field.value = ""; }
    if (!input.value.trim()) { show(false); }
  });
  input.addEventListener("compositionstart", function () {
    input.setAttribute("data-composing", "");
  });
  input.addEventListener("compositionend", function () {
    input.removeAttribute("data-composing");
    input.dispatchEvent(new Event("input", {bubbles: true}));  // now ask for the composed text
  });
  input.addEventListener("keydown", function (event) {
    if (event.isComposing) { return; }  // Enter and the arrows belong to the input method
    var all = options();
    var at = all.indexOf(active);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) { return; }
      event.preventDefault();
      show(true);
      if (event.key === "ArrowDown") {
        activate(all[at < 0 || at === all.length - 1 ? 0 : at + 1]);
      } else {
        activate(all[at <= 0 ? all.length - 1 : at - 1]);
      }
    } else if (event.key === "Enter" && active && !listbox.hidden) {
      event.preventDefault();  // picks; a second Enter submits the form
      pick(active);
    } else if (event.key === "Escape" && !listbox.hidden) {
      event.preventDefault();
      show(false);
    }
  });
  input.addEventListener("blur", function () { show(false); });
  // mousedown would move the focus out of the box (and close the list) before the click.
  listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
  listbox.addEventListener("click", function (event) {
    var option = event.target.closest('[role="option"]');
    if (option && option.getAttribute("aria-disabled") !== "true") { pick(option); }
  });
  picker.addEventListener("htmx:afterSwap", function () {
    listbox.querySelectorAll('[role="option"]').forEach(function (option, i) {
      option.id = listbox.id + "-" + i;
    });
    var note = listbox.querySelector("[data-status]");
    status.textContent = note ? note.textContent : "";
    activate(null);
    show(document.activeElement === input && input.value.trim() !== ""
         && listbox.querySelector('[role="option"]') !== null);
  });
}

// A formset's "add another row": a copy of its empty form (<template data-kam-row-template>),
// numbered after the rows there are (the management form's TOTAL_FORMS).
function addRows(button) {
  var fieldset = button.closest("fieldset");
  var template = fieldset.querySelector("template[data-kam-row-template]");
  var rows = fieldset.querySelector("[data-kam-rows]");
  var total = fieldset.querySelector("input[name$='-TOTAL_FORMS']");
  var max = fieldset.querySelector("input[name$='-MAX_NUM_FORMS']");
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { return; }
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
  });
}

// The check-in of a visit: the browser's location (navigator.geolocation) in the form's hidden
// latitude / longitude / accuracy fields, only when the user asks for it and the browser (and
// the user, in its prompt) allow it. The words come from the page (data-kam-msg-*), translated.
function checkIn(form) {
  var status = form.querySelector("[data-kam-checkin-status]");
  var toggle = form.querySelector("[data-kam-checkin-toggle]");
  var field = function (name) { return form.querySelector("input[name='" + name + "']"); };
  var say = function (key, accuracy) {
    if (status) { status.textContent = (form.dataset[key] || "").replace("{m}", accuracy || ""); }
  };
  var clear = function () { ["latitude", "longitude", "accuracy"].forEach(function (n) { field(n).value = ""; }); };
  var locate = function (done) {
    if (!navigator.geolocation) { say("kamMsgUnsupported"); done(false); return; }
    say("kamMsgWaiting");
    navigator.geolocation.getCurrentPosition(function (position) {
      var accuracy = String(Math.round(position.coords.accuracy));
      field("latitude").value = position.coords.latitude.toFixed(6);
      field("longitude").value = position.coords.longitude.toFixed(6);
      field("accuracy").value = accuracy;
      say("kamMsgOk", accuracy);
      done(true);
    }, function () { clear(); say("kamMsgDenied"); done(false); },
    {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  };
  if (toggle) {
    toggle.addEventListener("change", function () {
      if (!toggle.checked) { clear(); say("kamMsgOff"); return; }
      locate(function (ok) { toggle.checked = ok; });
    });
  }
  if (form.hasAttribute("data-kam-checkin-submit")) {
    form.addEventListener("submit", function (event) {
      if (field("latitude").value) { return; }
      event.preventDefault();
      locate(function (ok) { if (ok) { form.submit(); } });
    });
  }
}
