// Help for the plain forms of the pages sent without the browser bundle (sign-in, setup,
// accepting an invitation, resetting a password: see ships_bundle in app/src/ui/mod.rs).
// The forms work without this file; with it:
// - what was typed into a text or e-mail field comes back after a refused post (the server
//   answers one with a redirect to the page, the error in `__err`). Passwords and one-time
//   codes are never kept; the rest stays in this tab's sessionStorage until the page after the
//   post has read it. Focus goes to the field in error, else the first empty one.
// - the submit button shows that the post is on its way and cannot send it twice.
(() => {
  "use strict";
  const key = `secryn-form:${location.pathname}`;
  const keep = (el) => (el.type === "text" || el.type === "email") && el.autocomplete !== "one-time-code";

  const saved = sessionStorage.getItem(key);
  sessionStorage.removeItem(key);
  if (saved && new URLSearchParams(location.search).has("__err")) {
    let values = {};
    try {
      values = JSON.parse(saved) || {};
    } catch {
      // Not ours to read: the fields stay empty.
    }
    for (const form of document.forms) {
      for (const el of form.elements) {
        if (keep(el) && typeof values[el.name] === "string") el.value = values[el.name];
      }
    }
    // The field in error, else the first one left empty (the password after a refused sign-in).
    const next =
      document.querySelector('input[aria-invalid="true"]') ||
      [...document.querySelectorAll("form input:not([type=hidden])")].find((el) => el.value === "");
    if (next) next.focus();
  }

  for (const form of document.forms) {
    form.addEventListener("submit", (event) => {
      const button = form.querySelector('button[type="submit"]');
      if (button && button.disabled) {
        event.preventDefault();
        return;
      }
      const values = {};
      for (const el of form.elements) {
        if (keep(el) && el.name) values[el.name] = el.value;
      }
      sessionStorage.setItem(key, JSON.stringify(values));
      if (button) {
        button.dataset.idle = button.textContent;
        if (button.dataset.busy) button.textContent = button.dataset.busy;
        button.disabled = true;
      }
    });
  }

  // A page restored from the back-forward cache gets its button back.
  addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const button of document.querySelectorAll("button[data-busy]")) {
      button.disabled = false;
      if (button.dataset.idle) button.textContent = button.dataset.idle;
    }
  });
})();
