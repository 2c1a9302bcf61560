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
  document.querySelectorAll("[data-kam-add-row]").forEach(addRows);
  document.querySelectorAll("form[data-kam-checkin]").forEach(checkIn);
});

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
