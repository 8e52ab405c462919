// printhook console login page.  The server serves this page unchanged and
// sends a refused login back to /login?failed=1 (wrong token) or
// /login?failed=limit (too many wrong tokens): say so here.
'use strict';

(function () {
  const MESSAGES = {
    1: 'Wrong token',
    limit: 'Too many wrong tokens: wait a minute, then try again.',
  };
  const BY_STATUS = { 401: MESSAGES[1], 429: MESSAGES.limit };

  const form = document.getElementById('login-form');
  const button = document.getElementById('login-button');
  const message = document.getElementById('login-message');

  function reason() {
    const failed = new URLSearchParams(location.search).get('failed');
    if (failed !== null) return MESSAGES[failed] || MESSAGES[1];
    // A server that answers the POST with the page itself (401 or 429, as
    // API.md first said): the navigation's status, where the browser tells it.
    const nav = performance.getEntriesByType ? performance.getEntriesByType('navigation')[0] : null;
    return (nav && BY_STATUS[nav.responseStatus]) || '';
  }

  const text = reason();
  message.textContent = text;
  message.hidden = text === '';

  form.addEventListener('submit', () => {
    button.disabled = true;
    button.textContent = 'Logging in…';
  });
  // Back from a later page the browser may restore this one as it was left.
  window.addEventListener('pageshow', () => {
    button.disabled = false;
    button.textContent = 'Log in';
  });
})();
