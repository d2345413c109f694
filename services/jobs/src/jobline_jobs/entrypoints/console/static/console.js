// Jobline operator console: keyboard-operable action menus, native <dialog>s and the text
// message counter. htmx (vendored beside this file) makes every request; this file only
// moves focus and shows or hides things.
(function () {
  "use strict";
  let openerId = null; // the menu button a dialog was opened from, to return focus to
  let opening = false; // one dialog at a time, whatever the keyboard repeats
  const tickets = new WeakMap(); // per menu button: which opening an answer belongs to

  const menuOf = (button) => document.getElementById(button.getAttribute("aria-controls"));
  const itemsOf = (menu) => Array.from(menu.querySelectorAll('[role="menuitem"]'));

  function closeMenu(button, focusButton) {
    const menu = menuOf(button);
    tickets.set(button, (tickets.get(button) || 0) + 1); // a late answer must not reopen it
    button.setAttribute("aria-expanded", "false");
    if (menu) menu.hidden = true;
    if (focusButton) button.focus();
  }

  function closeOtherMenus(keep) {
    document.querySelectorAll('.menu-button[aria-expanded="true"]').forEach((b) => {
      if (b !== keep) closeMenu(b, false);
    });
  }

  async function openMenu(button, focusLast) {
    closeOtherMenus(button);
    const menu = menuOf(button);
    button.setAttribute("aria-expanded", "true");
    menu.hidden = false;
    menu.setAttribute("aria-busy", "true");
    const ticket = (tickets.get(button) || 0) + 1;
    tickets.set(button, ticket);
    // The actions and their reasons are fetched on opening, so they are never stale.
    await htmx.ajax("GET", button.dataset.menuUrl, { target: menu, swap: "innerHTML" });
    menu.removeAttribute("aria-busy");
    if (tickets.get(button) !== ticket) return; // closed or reopened meanwhile
    const items = itemsOf(menu);
    if (items.length && button.getAttribute("aria-expanded") === "true") {
      items[focusLast ? items.length - 1 : 0].focus();
    }
  }

  async function openDialog(url, opener) {
    const host = document.getElementById("dialog-host");
    if (opening || host.querySelector("dialog[open]")) return;
    opening = true;
    openerId = opener ? opener.id : null;
    try {
      await htmx.ajax("GET", url, { target: host, swap: "innerHTML" });
    } finally {
      opening = false;
    }
    const dialog = host.querySelector("dialog");
    if (!dialog) return;
    dialog.addEventListener("close", () => {
      host.innerHTML = "";
      // The list may have reloaded meanwhile: find the button again by its id.
      const back = openerId && document.getElementById(openerId);
      (back || document.getElementById("main")).focus();
    }, { once: true });
    dialog.showModal();
    const first = dialog.querySelector("[autofocus]");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".menu-button");
    if (button) {
      if (button.getAttribute("aria-expanded") === "true") closeMenu(button, true);
      else openMenu(button, false);
      return;
    }
    const item = event.target.closest('[role="menuitem"]');
    if (item) {
      if (item.getAttribute("aria-disabled") === "true") {
        event.preventDefault(); // disabled: its reason is shown beside it
        return;
      }
      const owner = document.getElementById(item.closest('[role="menu"]').getAttribute("aria-labelledby"));
      if (item.dataset.dialogUrl) {
        event.preventDefault();
        closeMenu(owner, false);
        openDialog(item.dataset.dialogUrl, owner);
      } else {
        closeMenu(owner, true); // a link (the PDF) goes ahead
      }
      return;
    }
    if (!event.target.closest('[role="menu"]')) closeOtherMenus(null);
  });

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const button = target.closest(".menu-button");
    if (button && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      openMenu(button, event.key === "ArrowUp");
      return;
    }
    const menu = target.closest('[role="menu"]');
    if (!menu) return;
    const items = itemsOf(menu);
    const at = items.indexOf(target);
    const owner = document.getElementById(menu.getAttribute("aria-labelledby"));
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(owner, true);
    } else if (event.key === "Tab") {
      closeMenu(owner, false);
    } else if (event.key === " " && target.tagName === "A") {
      event.preventDefault();
      target.click();
    }
  });

  // One SMS segment, as domain/sms.py counts it; the tables come from the server. The
  // server's 422 stays the authority: this only warns while typing.
  function measure(text, basic, extension) {
    let units = 0;
    for (const ch of text) {
      if (basic.has(ch)) units += 1;
      else if (extension.has(ch)) units += 2;
      else return { encoding: "UCS-2", units: text.length, culprit: ch }; // UTF-16 code units
    }
    return { encoding: "GSM-7", units, culprit: null };
  }

  // Issue 18: the words as the API will send them. Merge fields as domain/templates.py
  // merges them (a name the job has no value for: nothing; an unknown name stays for the
  // server to refuse), then, when asked, punctuation as domain/plain_punctuation.py.
  const FIELD = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

  function previewOf(area) {
    return document.querySelector(`[data-preview-of="${area.id}"]`);
  }

  function merged(text, values) {
    const missing = new Set();
    const unknown = new Set();
    const out = text.replace(FIELD, (whole, name) => {
      if (!(name in values)) {
        unknown.add(name);
        return whole;
      }
      if (values[name] === null) missing.add(name);
      return values[name] ?? "";
    });
    return { out, missing, unknown };
  }

  function plain(text, forms) {
    let out = "";
    for (const ch of text) out += forms[ch] ?? ch;
    return out;
  }

  function finalWords(area) {
    const preview = previewOf(area);
    const section = preview && preview.closest("[data-merge-values]");
    const values = section ? JSON.parse(section.dataset.mergeValues) : {};
    const result = merged(area.value, values);
    const toggle = area.dataset.plainToggle && document.getElementById(area.dataset.plainToggle);
    if (toggle && toggle.checked) result.out = plain(result.out, JSON.parse(area.dataset.plainForms));
    return { ...result, preview, section };
  }

  function updatePreview(area) {
    const { out, missing, unknown, preview, section } = finalWords(area);
    if (!preview) return;
    preview.textContent = out;
    const labels = JSON.parse(section.dataset.mergeLabels);
    const notes = [];
    if (unknown.size) {
      const names = [...unknown].map((n) => `{${n}}`).join(", ");
      notes.push(`${names} ${unknown.size === 1 ? "is not a merge field" : "are not merge fields"}.`);
    }
    if (missing.size) {
      const names = [...missing].map((n) => labels[n]).join(", ");
      notes.push(`This job has no ${names.toLowerCase()} yet: left blank.`);
    }
    document.getElementById(`${area.id}-preview-note`).textContent = notes.join(" ");
  }

  function updateCounter(area) {
    const output = document.getElementById(area.dataset.counter);
    const basic = new Set(area.dataset.gsmBasic);
    const extension = new Set(area.dataset.gsmExtension);
    const limits = JSON.parse(area.dataset.limits);
    const { encoding, units, culprit } = measure(finalWords(area).out, basic, extension);
    const limit = limits[encoding];
    const over = units > limit;
    const because = culprit ? ` when it has a character such as “${culprit}”` : "";
    output.textContent = over
      ? `one text message holds ${limit} characters${because}; this one has ${units}`
      : `${units} of ${limit} characters` + (culprit ? ` (“${culprit}” lowers the limit from ${limits["GSM-7"]})` : "");
    output.classList.toggle("over", over);
    area.setAttribute("aria-invalid", over ? "true" : "false");
  }

  function refresh(area) {
    if (area.dataset.counter) updateCounter(area);
    updatePreview(area);
  }

  function pickTemplate(select) {
    const option = select.selectedOptions[0];
    if (!option || !option.value) return;
    const area = document.getElementById(select.dataset.templateFor);
    const section = previewOf(area).closest("[data-merge-values]");
    const values = JSON.parse(section.dataset.mergeValues);
    area.value = merged(option.dataset.body, values).out;
    if (select.dataset.subjectFor) {
      document.getElementById(select.dataset.subjectFor).value = merged(option.dataset.subject, values).out;
    }
    refresh(area);
  }

  document.addEventListener("input", (event) => {
    const target = event.target;
    if (!target.matches) return;
    if (target.matches("textarea")) {
      refresh(target);
    } else if (target.matches("input[data-choose]")) {
      document.getElementById(target.dataset.choose).checked = true;
    }
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!target.matches) return;
    if (target.matches("select[data-template-for]")) {
      pickTemplate(target);
    } else if (target.matches("input[type=checkbox]")) {
      document.querySelectorAll(`textarea[data-plain-toggle="${target.id}"]`).forEach(refresh);
    }
  });

  // htmx wires swapped-in content (hx-post on a new form) in its settle step, a timer after
  // the swap. A submit made before it (a quick Enter, a busy machine) was the browser's own
  // GET instead of htmx's POST: wire what an inner swap put in at once. (Forms only ever
  // come by inner swaps; an outer swap's target is the element it replaced.)
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.isConnected) htmx.process(event.detail.target);
  });

  document.addEventListener("DOMContentLoaded", () => {
    htmx.onLoad((root) => {
      root.querySelectorAll("textarea[data-counter], textarea[data-preview]").forEach(refresh);
    });
  });
})();
