// Live preview of an article body in the admin: posts the markdown to the admin-only
// preview endpoint and shows the sanitised HTML it answers.
(function () {
  "use strict";
  var panel = document.querySelector(".faq-preview");
  var body = document.getElementById("id_body");
  if (!panel || !body) { return; }
  var output = panel.querySelector(".faq-preview-body");
  // Beside the body field on a wide screen (the stylesheet lays the row out in two columns).
  var row = body.closest(".form-row");
  if (row) {
    row.classList.add("faq-with-preview");
    row.appendChild(panel);
  }
  var tokenInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var sent = 0;

  function refresh() {
    var ticket = ++sent;
    var data = new FormData();
    data.append("body", body.value);
    fetch(panel.dataset.previewUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" }
    }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      if (ticket === sent) { output.innerHTML = html; }  // sanitised by the server
    }).catch(function () {
      output.textContent = "—";
    });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
  refresh();
}());
