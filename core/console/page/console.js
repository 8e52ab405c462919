// printhook web console, against core/console/API.md.
//
// Two rules hold everywhere below: data from the daemon only reaches the page
// as text (textContent, text nodes, attribute values), never as markup; and
// nothing is inline, as the console's CSP is default-src 'self'.
'use strict';

(function () {
  const API = '/api/v1/';
  const REFRESH_MS = 5000;
  const FEED_MAX = 100;
  const SETTLE_MS = 500;    // a burst of delivery outcomes makes one refresh
  const FEED_RETRY_MS = 5000;

  let csrf = null;          // the session's CSRF token (GET session)
  let knownEvents = null;   // GET events/known, null until it answered
  let leaving = false;      // on the way to /login: stop talking to the API
  let selectedDelivery = null;
  let deliveriesSeq = 0;    // only the answer to the latest query is shown
  const hookCards = new Map();  // hook name → its card, kept across refreshes
  const problems = new Map();   // what failed → message, for the error banner

  const $ = (id) => document.getElementById(id);

  // el('td', {class: 'x', 'data-id': 3}, child, 'text', ...): children that
  // are not nodes become text nodes, so data can never become markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // --- formatting ---------------------------------------------------------

  function fmtTime(t) {
    if (typeof t !== 'number') return '–';
    const d = new Date(t * 1000);
    const today = new Date().toDateString() === d.toDateString();
    return today ? d.toLocaleTimeString() : d.toLocaleString();
  }

  function fmtDuration(s) {
    if (typeof s !== 'number') return null;
    return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(s < 10 ? 2 : 1)} s`;
  }

  function fmtUptime(s) {
    if (typeof s !== 'number') return '–';
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    const m = Math.floor(s % 3600 / 60);
    if (d) return `${d} d ${h} h`;
    if (h) return `${h} h ${m} min`;
    if (m) return `${m} min`;
    return `${Math.floor(s)} s`;
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  // "GET url", the headers and the body, as the receiver would see them.
  function fmtRequest(r) {
    const lines = [r.sends || `${r.method || '?'} ${r.url || ''}`];
    const headers = r.headers || {};
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    const hasType = Object.keys(headers).some((n) => n.toLowerCase() === 'content-type');
    if (r.content_type && !hasType) lines.push(`Content-Type: ${r.content_type}`);
    let text = lines.join('\n');
    if (r.body !== undefined && r.body !== null && r.body !== '') text += `\n\n${r.body}`;
    return text;
  }

  // --- talking to the daemon ----------------------------------------------

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  function errorText(e) {
    if (e instanceof ApiError && e.status) return `Error ${e.status}: ${e.message}`;
    return e.message || String(e);
  }

  function toLogin() {
    if (leaving) return;
    leaving = true;
    location.assign('/login');
  }

  async function loadSession() {
    csrf = (await api('GET', 'session')).csrf;
    problem('Session', null);
  }

  // Resolves to the JSON answer; rejects with an ApiError carrying the
  // daemon's {"error": ...} (and the whole body, for reload's problems).
  async function api(method, path, body) {
    if (leaving) throw new ApiError(401, 'Not logged in');
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') {
      if (!csrf) await loadSession();
      headers['X-CSRF-Token'] = csrf;
    }
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res, text;
    try {
      res = await fetch(API + path, init);
      text = await res.text();
    } catch (e) {
      throw new ApiError(0, 'printhook cannot be reached');
    }
    if (res.status === 401) {
      toLogin();
      throw new ApiError(401, 'Not logged in');
    }
    let data = null;
    try { data = JSON.parse(text); } catch (e) { data = null; }
    if (!res.ok) {
      const message = data && typeof data.error === 'string' ? data.error : res.statusText || 'failed';
      throw new ApiError(res.status, message, data);
    }
    return data;
  }

  function hookPath(name, rest) { return `hooks/${encodeURIComponent(name)}/${rest}`; }
  function deliveryPath(id, rest) {
    return `deliveries/${encodeURIComponent(String(id))}${rest ? `/${rest}` : ''}`;
  }

  // The banner lists what is failing right now; each refresh clears its own.
  function problem(what, e) {
    if (e) problems.set(what, `${what}: ${errorText(e)}`);
    else problems.delete(what);
    const banner = $('error');
    banner.replaceChildren(...[...problems.values()].map((m) => el('p', null, m)));
    banner.hidden = problems.size === 0;
  }

  function say(target, message, ok) {
    target.replaceChildren(message);
    target.className = `notice ${ok ? 'ok' : 'bad'}`;
  }

  // Runs a refresh unless the previous one is still waiting for its answer.
  function single(what, fn) {
    let busy = false;
    return async function () {
      if (busy || leaving) return;
      busy = true;
      try {
        await fn();
        problem(what, null);
      } catch (e) {
        if (!leaving) problem(what, e);
      } finally {
        busy = false;
      }
    };
  }

  // --- printers -----------------------------------------------------------

  const refreshStatus = single('Status', async () => {
    const s = await api('GET', 'status');
    $('version').textContent = s.version || '–';
    $('uptime').textContent = fmtUptime(s.uptime_s);
    const spool = s.spool || {};
    $('spool-pending').textContent = spool.pending ?? '–';
    $('spool-dead').textContent = spool.dead ?? '–';
    const sources = s.sources || [];
    $('sources').replaceChildren(...sources.map(sourceItem));
    $('sources-empty').hidden = sources.length > 0;
  });

  function sourceItem(src) {
    const connected = el('span', { class: `badge ${src.connected ? 'ok' : 'bad'}` },
      src.connected ? 'connected' : 'disconnected');
    const info = el('dl', { class: 'info' },
      el('dt', null, 'Type'), el('dd', null, src.type || '–'),
      el('dt', null, 'State'), el('dd', null, src.state ?? 'unknown'));
    if (src.url) info.append(el('dt', null, 'URL'), el('dd', null, el('code', null, src.url)));
    const job = src.job;
    let jobLine;
    if (job) {
      const pct = typeof job.progress === 'number' ? Math.max(0, Math.min(100, job.progress)) : null;
      const bar = el('progress', { max: 100, 'aria-label': `Progress of ${job.file || 'the job'}` });
      if (pct !== null) bar.value = pct;   // no value: an indeterminate bar
      jobLine = el('div', { class: 'job-box' },
        el('p', null, 'Job: ', el('code', null, job.file || '–')),
        el('div', { class: 'job' }, bar, el('span', null, pct === null ? '–' : `${pct.toFixed(1)} %`)));
    } else {
      jobLine = el('p', { class: 'muted' }, 'No job');
    }
    return el('li', { class: 'card source', 'data-source': src.name },
      el('div', { class: 'card-head' }, el('h3', null, src.name), connected),
      info, jobLine);
  }

  // --- hooks --------------------------------------------------------------

  let hookSerial = 0;   // for label ids: hook names need not be valid ids

  function makeHookCard(name) {
    const n = ++hookSerial;
    const card = { name, busy: false, gone: false, eventKey: null };
    card.title = el('h3', null, name);
    card.badges = el('span', { class: 'badges' });
    card.info = el('dl', { class: 'info' });
    card.select = el('select', { class: 'test-event', id: `hook-${n}-event` });
    card.testButton = el('button', { type: 'button', class: 'test-button' }, 'Send test webhook');
    card.renderButton = el('button', { type: 'button', class: 'render-button' }, 'Render');
    card.testResult = el('div', { class: 'test-result', role: 'status', 'aria-live': 'polite' });
    card.renderResult = el('pre', { class: 'render-result', hidden: true, 'aria-label': `Rendered request of ${name}` });
    card.editButton = el('button', { type: 'button', class: 'edit-button' }, 'Edit');
    card.testButton.addEventListener('click', () => sendTest(card));
    card.renderButton.addEventListener('click', () => render(card));
    // editor.js opens the hook; it says whether it is editable or to be copied.
    card.editButton.addEventListener('click', () => document.dispatchEvent(
      new CustomEvent('printhook:edit-hook', { detail: { name } })));
    card.root = el('article', { class: 'card hook', 'data-hook': name, 'aria-label': `Hook ${name}` },
      el('div', { class: 'card-head' }, card.title, card.badges),
      card.info,
      el('div', { class: 'tools' },
        el('label', { for: card.select.id }, 'Event'), card.select,
        card.testButton, card.renderButton, card.editButton),
      card.testResult, card.renderResult);
    return card;
  }

  // The picker offers the built-in events, then the hook's own custom ones;
  // it is rebuilt only when that list changes, so a choice survives refreshes.
  function fillEventPicker(card, hook) {
    const own = (hook.events || []).filter((e) => e !== '*');
    const known = knownEvents || [];
    const names = [...known, ...own.filter((e) => !known.includes(e))];
    const key = names.join('\n');
    if (key === card.eventKey) return;
    card.eventKey = key;
    const keep = card.select.value || own[0] || names[0];
    card.select.replaceChildren(...names.map((e) => el('option', { value: e }, e)));
    if (names.includes(keep)) card.select.value = keep;
  }

  function updateHookCard(card, hook) {
    card.gone = !!hook.gone;
    const badges = [el('span', { class: `badge ${hook.enabled ? 'ok' : 'muted'}` },
      hook.enabled ? 'enabled' : 'disabled')];
    if (hook.gone) {
      badges.push(el('span', { class: 'badge warn', title: 'No longer in the configuration; its deliveries remain' }, 'gone'));
    }
    card.badges.replaceChildren(...badges);

    const events = hook.events || [];
    const counts = el('span', null,
      `${hook.delivered ?? 0} delivered · ${hook.retrying ?? 0} retrying · `,
      el('span', { class: (hook.dead || 0) > 0 ? 'badge bad' : '' }, `${hook.dead ?? 0} dead`));
    card.info.replaceChildren(
      el('dt', null, hook.sends ? 'Sends' : 'URL'),
      el('dd', null, el('code', null, hook.sends || hook.url || '–')),
      el('dt', null, 'Events'), el('dd', null, events.includes('*') ? 'all events' : events.join(', ') || '–'),
      el('dt', null, 'Modules'), el('dd', null, (hook.modules || []).join(' → ') || '–'),
      el('dt', null, 'Since start'), el('dd', null, counts),
      el('dt', null, 'Last'), el('dd', { class: 'last' }, lastOutcome(hook.last)));

    fillEventPicker(card, hook);
    // A hook that left the configuration cannot be rendered or tested.
    card.testButton.disabled = card.busy || card.gone || card.select.options.length === 0;
    card.renderButton.disabled = card.gone || card.select.options.length === 0;
  }

  function lastOutcome(last) {
    if (!last) return 'no delivery yet';
    const parts = [el('span', { class: `badge outcome-${last.outcome}` }, last.outcome)];
    const words = [last.event];
    if (last.status) words.push(`HTTP ${last.status}`);
    const took = fmtDuration(last.duration_s);
    if (took) words.push(took);
    words.push(fmtTime(last.time));
    parts.push(` ${words.filter(Boolean).join(' · ')}`);
    if (last.error) parts.push(el('br'), el('span', { class: 'muted' }, last.error));
    return el('span', null, ...parts);
  }

  const refreshHooks = single('Hooks', async () => {
    if (knownEvents === null) {
      // The pickers work without it (the hooks' own events); ask again next time.
      try { knownEvents = (await api('GET', 'events/known')).events || []; } catch (e) { if (e.status === 401) throw e; }
    }
    const hooks = (await api('GET', 'hooks')).hooks || [];
    const box = $('hooks');
    const seen = new Set();
    hooks.forEach((hook, i) => {
      seen.add(hook.name);
      let card = hookCards.get(hook.name);
      if (!card) {
        card = makeHookCard(hook.name);
        hookCards.set(hook.name, card);
      }
      updateHookCard(card, hook);
      // Move only what is out of place: moving a node drops its focus and
      // closes an open picker.
      if (box.children[i] !== card.root) box.insertBefore(card.root, box.children[i] || null);
    });
    for (const [name, card] of hookCards) {
      if (!seen.has(name)) {
        card.root.remove();
        hookCards.delete(name);
      }
    }
    $('hooks-empty').hidden = hooks.length > 0;
    fillHookFilter(hooks.map((h) => h.name));
  });

  async function sendTest(card) {
    const event = card.select.value;
    card.busy = true;
    card.testButton.disabled = true;
    card.testButton.textContent = 'Sending…';
    card.testResult.className = 'test-result';
    card.testResult.setAttribute('aria-busy', 'true');
    card.testResult.replaceChildren(`Sending ${event} to ${card.name}…`);
    try {
      const r = await api('POST', hookPath(card.name, 'test'), { event });
      const words = [];
      if (r.status) words.push(`HTTP ${r.status}`);
      const took = fmtDuration(r.duration_s);
      if (took) words.push(`in ${took}`);
      card.testResult.className = `test-result ${r.delivered ? 'ok' : 'bad'}`;
      const parts = [el('p', null, el('span', { class: 'verdict' }, r.delivered ? 'Delivered' : 'Not delivered'),
        words.length ? ` ${words.join(' ')}` : '')];
      if (r.error) parts.push(el('p', { class: 'error' }, r.error));
      if (r.response) parts.push(el('pre', { class: 'response' }, r.response));
      card.testResult.replaceChildren(...parts);
    } catch (e) {
      card.testResult.className = 'test-result bad';
      card.testResult.replaceChildren(el('p', null, el('span', { class: 'verdict' }, 'Not sent'), ` ${errorText(e)}`));
    } finally {
      card.busy = false;
      card.testResult.removeAttribute('aria-busy');
      card.testButton.textContent = 'Send test webhook';
      card.testButton.disabled = card.gone;
    }
    refreshHooks();
  }

  async function render(card) {
    const event = card.select.value;
    card.renderButton.disabled = true;
    try {
      const r = await api('GET', `${hookPath(card.name, 'render')}?event=${encodeURIComponent(event)}`);
      card.renderResult.className = 'render-result';
      card.renderResult.textContent = fmtRequest(r);
    } catch (e) {
      card.renderResult.className = 'render-result bad';
      card.renderResult.textContent = errorText(e);
    } finally {
      card.renderResult.hidden = false;
      card.renderButton.disabled = card.gone;
    }
  }

  // --- reload -------------------------------------------------------------

  async function reload() {
    const button = $('reload');
    const out = $('reload-result');
    button.disabled = true;
    say(out, 'Reloading…', true);
    try {
      const r = await api('POST', 'reload');
      say(out, `Reloaded: ${plural(r.hooks, 'hook', 'hooks')}, ${plural(r.sources, 'source', 'sources')}`, true);
    } catch (e) {
      say(out, `Reload refused, the running configuration is kept. ${errorText(e)}`, false);
      const list = e.body && Array.isArray(e.body.problems) ? e.body.problems : [];
      if (list.length) out.append(el('ul', { class: 'problems' }, ...list.map((p) => el('li', null, p))));
    } finally {
      button.disabled = false;
    }
    refreshAll();
  }

  // --- deliveries ---------------------------------------------------------

  function fillHookFilter(names) {
    const select = $('filter-hook');
    const keep = select.value;
    const have = [...select.options].slice(1).map((o) => o.value);
    // A hook chosen here stays offered even once it is gone from the list.
    const want = [...names];
    if (keep && !want.includes(keep)) want.push(keep);
    if (have.join('\n') === want.join('\n')) return;
    select.replaceChildren(select.options[0], ...want.map((n) => el('option', { value: n }, n)));
    select.value = keep;
  }

  function deliveryQuery() {
    const q = new URLSearchParams();
    const hook = $('filter-hook').value;
    const state = $('filter-state').value;
    let limit = parseInt($('filter-limit').value, 10);
    if (!(limit >= 1)) limit = 100;
    if (hook) q.set('hook', hook);
    if (state) q.set('state', state);
    q.set('limit', String(Math.min(limit, 1000)));
    return q.toString();
  }

  // Not single(): a change of filter must be shown even while an older
  // query is still waiting, so every call asks and only the latest answer counts.
  async function refreshDeliveries() {
    if (leaving) return;
    const seq = ++deliveriesSeq;
    try {
      const list = (await api('GET', `deliveries?${deliveryQuery()}`)).deliveries || [];
      if (seq !== deliveriesSeq) return;
      $('deliveries').tBodies[0].replaceChildren(...list.map(deliveryRow));
      $('deliveries-empty').hidden = list.length > 0;
      problem('Deliveries', null);
    } catch (e) {
      if (seq === deliveriesSeq && !leaving) problem('Deliveries', e);
    }
  }

  function deliveryRow(d) {
    const cell = (label, ...content) => el('td', { 'data-label': label }, ...content);
    const result = [];
    if (d.status) result.push(`HTTP ${d.status}`);
    const took = fmtDuration(d.duration_s);
    if (took) result.push(took);
    if (d.error) result.push(d.error);
    const when = d.finished ?? d.last_attempt ?? d.created;

    const actions = el('td', { class: 'actions', 'data-label': 'Actions' });
    if (d.state === 'pending' || d.state === 'dead') {
      actions.append(actionButton('retry', 'Retry', d));
    }
    if (d.state === 'delivered') actions.append(actionButton('resend', 'Resend', d));
    actions.append(actionButton('drop', 'Drop', d));

    const row = el('tr', {
      class: `delivery${String(d.id) === selectedDelivery ? ' selected' : ''}`,
      'data-id': d.id,
      'data-state': d.state,
    },
    cell('ID', el('button', { type: 'button', class: 'link detail-button', 'aria-label': `Details of delivery ${d.id}` }, String(d.id))),
    cell('Hook', d.hook),
    cell('Event', d.event),
    cell('State', el('span', { class: `badge state-${d.state}` }, d.state)),
    cell('Attempts', String(d.attempts ?? 0)),
    el('td', { class: 'result', 'data-label': 'Result' }, result.join(' · ') || '–'),
    cell('When', fmtTime(when)),
    actions);
    // The whole row opens the details; its action buttons stop the click.
    row.addEventListener('click', () => showDelivery(String(d.id)));
    return row;
  }

  function actionButton(kind, label, d) {
    const b = el('button', {
      type: 'button',
      class: `small ${kind}-button${kind === 'drop' ? ' danger' : ''}`,
      'aria-label': `${label} delivery ${d.id}`,
    }, label);
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      deliveryAction(kind, d, b);
    });
    return b;
  }

  async function deliveryAction(kind, d, button) {
    const out = $('deliveries-result');
    if (kind === 'drop' && !confirm(`Drop delivery ${d.id} (${d.hook}, ${d.event})? It will never be sent.`)) return;
    button.disabled = true;
    try {
      if (kind === 'retry') {
        const r = await api('POST', deliveryPath(d.id, 'retry'));
        say(out, `Delivery ${r.id} is due now (${r.state}).`, true);
      } else if (kind === 'resend') {
        const r = await api('POST', deliveryPath(d.id, 'resend'));
        say(out, `Delivery ${d.id} sent again as delivery ${r.id} (${r.state}).`, true);
      } else {
        await api('DELETE', deliveryPath(d.id));
        say(out, `Delivery ${d.id} dropped.`, true);
        if (selectedDelivery === String(d.id)) closeDelivery();
      }
      // The open details would still show the state before the action.
      if (kind !== 'drop' && selectedDelivery === String(d.id)) showDelivery(selectedDelivery);
    } catch (e) {
      say(out, `Delivery ${d.id}: ${errorText(e)}`, false);
      button.disabled = false;
    }
    refreshDeliveries();
    refreshStatus();
  }

  async function retryDead() {
    const button = $('retry-dead');
    const out = $('deliveries-result');
    button.disabled = true;
    try {
      const r = await api('POST', 'deliveries/retry-dead');
      say(out, `Retrying ${plural(r.count, 'dead delivery', 'dead deliveries')}.`, true);
    } catch (e) {
      say(out, `Retry all dead: ${errorText(e)}`, false);
    } finally {
      button.disabled = false;
    }
    refreshDeliveries();
    refreshStatus();
  }

  function markSelected() {
    for (const row of $('deliveries').tBodies[0].rows) {
      row.classList.toggle('selected', row.dataset.id === selectedDelivery);
    }
  }

  function closeDelivery() {
    selectedDelivery = null;
    $('delivery-detail').hidden = true;
    markSelected();
  }

  async function showDelivery(id) {
    selectedDelivery = id;
    markSelected();
    const panel = $('delivery-detail');
    const body = $('delivery-detail-body');
    $('delivery-detail-title').textContent = `Delivery ${id}`;
    body.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    panel.hidden = false;
    let d;
    try {
      d = await api('GET', deliveryPath(id));
    } catch (e) {
      if (selectedDelivery === id) body.replaceChildren(el('p', { class: 'notice bad' }, errorText(e)));
      return;
    }
    if (selectedDelivery !== id) return;   // another row was chosen meanwhile
    $('delivery-detail-title').textContent = `Delivery ${d.id}: ${d.hook}, ${d.event}`;
    const facts = [
      ['State', el('span', { class: `badge state-${d.state}` }, d.state)],
      ['Source', d.source],
      ['Created', fmtTime(d.created)],
      ['Last attempt', fmtTime(d.last_attempt)],
      ['Finished', d.finished ? fmtTime(d.finished) : null],
      ['Attempts', String(d.attempts ?? 0)],
      ['Status', d.status ? `HTTP ${d.status}` : null],
      ['Duration', fmtDuration(d.duration_s)],
      ['Error', d.error],
      ['Why dead', d.dead_reason],
    ].filter(([, v]) => v !== null && v !== undefined && v !== '');
    const info = el('dl', { class: 'info' });
    for (const [k, v] of facts) info.append(el('dt', null, k), el('dd', null, v));
    const parts = [info, el('h4', null, 'Request')];
    parts.push(d.request ? el('pre', { class: 'request' }, fmtRequest(d.request)) : el('p', { class: 'muted' }, 'Not known'));
    parts.push(el('h4', null, 'Response'));
    if (d.response) {
      parts.push(el('p', null, d.response.status ? `HTTP ${d.response.status}` : 'No status'));
      if (d.response.excerpt) parts.push(el('pre', { class: 'response' }, d.response.excerpt));
    } else {
      parts.push(el('p', { class: 'muted' }, 'None kept (only delivered deliveries keep theirs)'));
    }
    body.replaceChildren(...parts);
    panel.scrollIntoView({ block: 'nearest' });
  }

  // --- live feed ----------------------------------------------------------

  let settleTimer = null;
  function refreshSoon() {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
      refreshHooks();
      refreshDeliveries();
      refreshStatus();
    }, SETTLE_MS);
  }

  function feedLine(kind, d) {
    let what;
    if (kind === 'event') {
      what = el('span', { class: 'what' }, `${d.source || '?'}: `, el('strong', null, d.name || '?'));
    } else {
      const words = [];
      if (d.status) words.push(`HTTP ${d.status}`);
      const took = fmtDuration(d.duration_s);
      if (took) words.push(took);
      if (d.error) words.push(d.error);
      what = el('span', { class: 'what' },
        `${d.hook} ← ${d.event} (delivery ${d.id}) `,
        el('span', { class: `badge outcome-${d.outcome}` }, d.outcome),
        words.length ? ` ${words.join(' · ')}` : '');
    }
    const stamp = typeof d.time === 'number' ? new Date(d.time * 1000) : new Date();
    return el('li', { class: `feed-${kind}`, 'data-kind': kind },
      el('time', { datetime: stamp.toISOString() }, stamp.toLocaleTimeString()),
      el('span', { class: 'badge' }, kind), what);
  }

  function addFeed(kind, message) {
    let d;
    try { d = JSON.parse(message.data); } catch (e) { return; }
    const feed = $('feed');
    feed.prepend(feedLine(kind, d || {}));
    while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
    $('feed-empty').hidden = true;
  }

  function setFeedState(text, cls) {
    const badge = $('feed-state');
    badge.textContent = text;
    badge.className = `badge ${cls}`;
  }

  function startFeed() {
    if (leaving) return;
    const source = new EventSource(`${API}events`);
    source.addEventListener('open', () => setFeedState('live', 'ok'));
    source.addEventListener('event', (m) => addFeed('event', m));
    source.addEventListener('delivery', (m) => {
      addFeed('delivery', m);
      refreshSoon();
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) {
        setFeedState('reconnecting…', 'warn');
        return;
      }
      // The browser gives up only on an HTTP error, and EventSource does not
      // say which: the session call finds a 401 (and goes to /login).
      setFeedState('disconnected', 'bad');
      loadSession().catch(() => {}).finally(() => setTimeout(startFeed, FEED_RETRY_MS));
    });
  }

  // --- log out ------------------------------------------------------------

  // Not a plain form submission: under the console's Referrer-Policy
  // no-referrer a form POST carries "Origin: null" (Fetch standard, "append a
  // request Origin header"), which the Origin check refuses; fetch() sends the
  // real Origin.  The form's data, the csrf field included, goes along.
  async function logOut(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    try {
      if (!csrf) await loadSession();
      let field = form.elements.namedItem('csrf');
      if (!field) {
        field = el('input', { type: 'hidden', name: 'csrf' });
        form.append(field);
      }
      field.value = csrf;
      const res = await fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf },
        body: new URLSearchParams(new FormData(form)),
      });
      if (!res.ok && res.status !== 401) throw new ApiError(res.status, res.statusText || 'failed');
      toLogin();
    } catch (e) {
      if (!leaving) problem('Log out', e);
    }
  }

  // --- start --------------------------------------------------------------

  function refreshAll() {
    refreshStatus();
    refreshHooks();
    refreshDeliveries();
  }

  // What editor.js (the hook editor) shares of this file.
  window.printhook = { el, api, say, errorText, fmtRequest, fmtDuration, hookPath,
    refreshHooks: () => refreshHooks() };

  function start() {
    $('reload').addEventListener('click', reload);
    $('retry-dead').addEventListener('click', retryDead);
    $('logout-form').addEventListener('submit', logOut);
    $('delivery-detail-close').addEventListener('click', closeDelivery);
    $('delivery-filters').addEventListener('submit', (ev) => {
      ev.preventDefault();
      refreshDeliveries();
    });
    for (const id of ['filter-hook', 'filter-state']) $(id).addEventListener('change', refreshDeliveries);

    loadSession().catch((e) => problem('Session', e));
    refreshAll();
    startFeed();
    // A hidden tab does not poll; it catches up when shown again.
    setInterval(() => {
      if (document.hidden) return;
      if (!csrf) loadSession().catch((e) => problem('Session', e));
      refreshStatus();
      refreshHooks();
    }, REFRESH_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshAll(); });
  }

  start();
})();
