// Broadsheet: progressive enhancement only. Every feature works without this file.
// - "/" focuses the search box, Escape leaves it.
// - Autocomplete from /api/suggest (OpenSearch suggestions) into a <datalist>.
// - Sort and facet checkboxes apply on change (their "Apply" buttons stay for no-JS).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var box = document.getElementById("q");

  function typingIn(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (!box || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "/" && !typingIn(document.activeElement)) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && document.activeElement === box) {
      box.blur();
    }
  });

  if (box && box.dataset.suggest && window.fetch) {
    var list = document.createElement("datalist");
    list.id = "q-suggestions";
    box.parentNode.appendChild(list);
    box.setAttribute("list", list.id);
    var timer = null;
    var latest = "";
    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      var typed = box.value;
      if (typed.trim().length < 2) { list.replaceChildren(); return; }
      timer = window.setTimeout(function () {
        latest = typed;
        fetch(box.dataset.suggest + "?q=" + encodeURIComponent(typed), {
          headers: { "Accept": "application/x-suggestions+json, application/json" }
        })
          .then(function (response) { return response.ok ? response.json() : [typed, []]; })
          .then(function (data) {
            if (latest !== typed || !Array.isArray(data) || !Array.isArray(data[1])) { return; }
            var options = data[1].map(function (text) {
              var option = document.createElement("option");
              option.value = String(text);  // never parsed as HTML
              return option;
            });
            list.replaceChildren.apply(list, options);
          })
          .catch(function () { /* suggestions are optional */ });
      }, 150);
    });
  }

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.tagName === "SELECT" || target.type === "checkbox") {
        form.submit();
      }
    });
  });
})();
