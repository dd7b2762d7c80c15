/**
 * The dashboard's one script, served as /ui/assets/live.js. Pages read without it; with it, each
 * element with `data-live` is replaced every `data-live-every` ms by the same element rendered anew
 * at that URL, until the new one carries no `data-live` (the run finished). Plain DOM, no library.
 */
export const LIVE_SCRIPT = `
(function () {
  'use strict';
  function refresh(el) {
    var url = el.getAttribute('data-live');
    var every = Number(el.getAttribute('data-live-every')) || 2000;
    window.setTimeout(function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (res) { return res.ok ? res.text() : Promise.reject(new Error(String(res.status))); })
        .then(function (text) {
          var template = document.createElement('template');
          template.innerHTML = text.trim();
          var next = template.content.firstElementChild;
          if (!next) return refresh(el);
          el.replaceWith(next);
          if (next.hasAttribute('data-live')) refresh(next);
        })
        .catch(function () { window.setTimeout(function () { refresh(el); }, every * 2); });
    }, every);
  }
  document.querySelectorAll('[data-live]').forEach(refresh);
})();
`;
