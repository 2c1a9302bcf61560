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
});
