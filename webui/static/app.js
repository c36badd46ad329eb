// Broadsheet: progressive enhancement only. Every feature works without this file.
// - "/" focuses the search box, Escape leaves it.
// - Autocomplete from /api/suggest (OpenSearch suggestions) into a <datalist>.
// - Sort and facet checkboxes apply on change (their "Apply" buttons stay for no-JS),
//   with empty fields left out of the URL and the page returning to where the reader was.
// - Arrow keys move between the months of the timeline (one tab stop).
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

  // The URL a form would submit, without empty fields (no "from=&to="), and with the
  // fragment of the part the reader was in (the facet they changed, or the results).
  function cleanUrl(form, target) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") { params.append(name, value); }
    });
    var action = form.getAttribute("action") || "";
    var hash = action.indexOf("#") >= 0 ? action.slice(action.indexOf("#")) : "";
    var fieldset = target && target.closest ? target.closest("fieldset[id]") : null;
    if (fieldset) { hash = "#" + fieldset.id; }
    var path = action.split("#")[0].split("?")[0];
    var query = params.toString();
    return path + (query ? "?" + query : "") + hash;
  }

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.tagName === "SELECT" || target.type === "checkbox") {
        window.location.assign(cleanUrl(form, target));
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.location.assign(cleanUrl(form, document.activeElement));
    });
  });

  // The timeline is one tab stop: arrow keys, Home and End move between its months.
  document.querySelectorAll("[data-roving]").forEach(function (group) {
    var links = Array.prototype.slice.call(group.querySelectorAll("a"));
    group.addEventListener("keydown", function (event) {
      var index = links.indexOf(document.activeElement);
      if (index < 0) { return; }
      var next = { ArrowLeft: index - 1, ArrowRight: index + 1, ArrowUp: index + 1,
        ArrowDown: index - 1, Home: 0, End: links.length - 1 }[event.key];
      if (next === undefined) { return; }
      event.preventDefault();
      next = Math.max(0, Math.min(links.length - 1, next));
      links[index].setAttribute("tabindex", "-1");
      links[next].setAttribute("tabindex", "0");
      links[next].focus();
    });
  });
  // Characteristic terms: fetched after the page (they take longer than the search);
  // without scripts the "Show" link asks the server for them instead.
  var terms = document.querySelector("[data-terms]");
  if (terms && !terms.querySelector(".terms-list") && window.fetch && window.URL) {
    fetch(terms.dataset.terms, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !Array.isArray(data.terms)) { return; }
        var list = document.createElement("ul");
        list.className = "terms-list";
        data.terms.forEach(function (term) {
          var target = new URL(window.location.href);
          target.searchParams.set("q", String(term.search));
          target.searchParams.delete("page");
          target.hash = "results";
          var link = document.createElement("a");
          link.href = target.pathname + target.search + target.hash;
          link.textContent = String(term.term);  // never parsed as HTML
          link.title = "in " + term.fg_count + " of the " + term.fg_size +
            " best matches and " + term.bg_count + " of " + term.bg_size + " articles";
          var count = document.createElement("span");
          count.className = "count";
          count.textContent = String(term.fg_count);
          var item = document.createElement("li");
          item.append(link, " ", count);
          list.appendChild(item);
        });
        var fallback = terms.querySelector(".terms-fallback");
        if (data.terms.length) {
          if (fallback) { fallback.replaceWith(list); } else { terms.appendChild(list); }
        } else if (fallback) {
          fallback.textContent = "No word stands out in these results.";
        }
      })
      .catch(function () { /* the link stays: terms are optional */ });
  }
})();
