/* Sign in: check the pasted key against GET /info (which needs a key), then keep it for this tab. */
"use strict";

(function () {
  const { el, show, showError, request, setKey, UI, t } = window.MM;
  const form = document.getElementById("signin-form");
  const input = document.getElementById("key");

  /* Only a path on this site, under the page: never an open redirect. */
  function nextPage() {
    const next = new URLSearchParams(location.search).get("next") || "";
    return next.startsWith(`${UI}/`) && !next.startsWith("//") ? next : `${UI}/`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const secret = input.value.trim();
    if (!secret) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { data } = await request("GET", "/info", undefined, { key: secret });
      setKey(secret);
      show(t("Signed in to matchmaker {version}.", { version: data.version }), "success");
      location.assign(nextPage());
    } catch (err) {
      if (err.status === 401) show(t("That API key is unknown or revoked."), "error");
      else showError(err);
      input.select();
    } finally {
      button.disabled = false;
    }
  });

  if (new URLSearchParams(location.search).get("next")) {
    form.prepend(el("p", { class: "hint" }, t("Sign in to continue.")));
  }
  input.focus();
})();
