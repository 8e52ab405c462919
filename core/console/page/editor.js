// printhook web console: the hook editor (core/console/API.md, "The hook
// editor").  The form is built from GET keys (every key of a hook and of
// each module), checked by the daemon as the user types (POST
// hooks/validate, which also renders the preview), and saved with PUT
// hooks/NAME/config.  Same rules as console.js: daemon data only as text,
// nothing inline.
'use strict';

(function () {
  const P = window.printhook;
  if (!P) return;
  const { el, api, say, errorText, fmtRequest, fmtDuration } = P;
  const $ = (id) => document.getElementById(id);
  const CHECK_MS = 400;     // typing pauses this long before the daemon checks

  // Keys the form shows its own way, not as a plain field, and the one it
  // shows first.
  const SPECIAL = new Set(['events', 'url']);

  let catalog = null;       // GET keys
  let events = [];          // GET events/known
  let presets = [];         // GET presets: [{file, title, hooks: [{name, keys}]}]
  let fields = new Map();   // key → {input, error, spec, row}
  // What is being edited: the name it was opened as (null: new), its
  // version ('none' for a new one), whose secrets an empty field keeps.
  let state = null;
  let checkTimer = null;
  let checkSeq = 0;

  // --- the form -----------------------------------------------------------

  function fieldId(key) { return `edit-key-${key.replace(/[^A-Za-z0-9_-]/g, '-')}`; }

  function makeField(spec) {
    const id = fieldId(spec.name);
    let input;
    if (spec.type === 'boolean') {
      input = el('select', { id, 'data-key': spec.name },
        el('option', { value: '' }, `default (${spec.default ?? 'none'})`),
        el('option', { value: 'true' }, 'true'), el('option', { value: 'false' }, 'false'));
    } else if (spec.type === 'JSON object') {
      input = el('textarea', { id, rows: 3, spellcheck: 'false', 'data-key': spec.name,
        class: 'json', placeholder: spec.default ?? '{}' });
    } else {
      input = el('input', { id, type: spec.secret ? 'password' : 'text', 'data-key': spec.name,
        autocomplete: spec.secret ? 'new-password' : 'off', spellcheck: 'false',
        placeholder: spec.default ? `default: ${spec.default}` : (spec.required ? 'required' : '') });
    }
    const error = el('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    input.setAttribute('aria-describedby', `${id}-error`);
    const label = el('label', { for: id }, el('code', null, spec.name),
      spec.required ? ' (required)' : '', spec.secret ? ' (secret)' : '');
    const row = el('div', { class: 'field', 'data-key': spec.name }, label, input,
      spec.summary ? el('p', { class: 'muted hint' }, spec.summary) : null, error);
    const field = { input, error, spec, row, clear: null };
    if (spec.secret) {
      field.clear = el('input', { type: 'checkbox', id: `${id}-clear` });
      field.clearRow = el('label', { class: 'clear-secret', for: `${id}-clear`, hidden: true },
        field.clear, ' remove the stored value');
      row.insertBefore(field.clearRow, error);
    }
    input.addEventListener('input', () => { if (input.classList.contains('json')) checkJson(field); scheduleCheck(); });
    input.addEventListener('change', scheduleCheck);
    fields.set(spec.name, field);
    return row;
  }

  // The JSON editors say where the text stops being JSON, before the daemon
  // is asked.
  function checkJson(field) {
    const text = field.input.value.trim();
    if (!text) return showFieldError(field, null);
    try {
      const v = JSON.parse(text);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object ({...})');
      showFieldError(field, null);
    } catch (e) {
      showFieldError(field, `Not JSON: ${e.message}`);
    }
  }

  function showFieldError(field, message) {
    field.error.hidden = !message;
    field.error.textContent = message || '';
    if (message) field.input.setAttribute('aria-invalid', 'true');
    else field.input.removeAttribute('aria-invalid');
  }

  function buildForm() {
    fields = new Map();
    const core = (catalog.hook || []).filter((k) => !SPECIAL.has(k.name));
    const url = (catalog.hook || []).filter((k) => k.name === 'url');
    $('editor-url').replaceChildren(...url.map(makeField));
    $('editor-core').replaceChildren(...core.map(makeField));
    $('editor-modules').replaceChildren(...(catalog.modules || [])
      .filter((m) => (m.keys || []).length > 0)
      .map((m) => el('details', { class: 'module', 'data-module': m.name },
        el('summary', null, el('code', null, m.name), ` ${m.stage} stage`,
          m.summary ? ` — ${m.summary}` : ''),
        ...m.keys.map(makeField))));
    $('editor-event-boxes').replaceChildren(...events.map((name) => {
      const id = `edit-event-${name}`;
      const box = el('input', { type: 'checkbox', id, value: name, class: 'event-box' });
      box.addEventListener('change', () => { syncMessages(); scheduleCheck(); });
      return el('label', { for: id, class: 'event-choice' }, box, ` ${name}`);
    }));
    $('editor-preview-event').replaceChildren(...events.map((n) => el('option', { value: n }, n)));
    if (events.includes('PrintDone')) $('editor-preview-event').value = 'PrintDone';
  }

  // One message.EVENT field per chosen event; typed text survives.
  function syncMessages(values) {
    const box = $('editor-messages');
    const kept = values || Object.fromEntries([...box.querySelectorAll('input')].map((i) => [i.dataset.key, i.value]));
    const chosen = chosenEvents();
    box.replaceChildren(...chosen.filter((e) => e !== '*').map((event) => {
      const key = `message.${event}`;
      const id = fieldId(key);
      const input = el('input', { type: 'text', id, 'data-key': key, placeholder: 'the default message' });
      input.value = kept[key] || '';
      input.addEventListener('input', scheduleCheck);
      const error = el('p', { class: 'field-error', id: `${id}-error`, hidden: true });
      fields.set(key, { input, error, spec: { name: key }, row: null });
      return el('div', { class: 'field', 'data-key': key },
        el('label', { for: id }, el('code', null, key), ' (@message of this event)'), input, error);
    }));
  }

  function chosenEvents() {
    const boxes = [...document.querySelectorAll('#editor-event-boxes .event-box')];
    const names = boxes.filter((b) => b.checked).map((b) => b.value);
    const custom = $('editor-custom-events').value.split(/[,;]/).map((s) => s.trim()).filter(Boolean);
    return [...names, ...custom.filter((c) => !names.includes(c))];
  }

  // The form's keys as the API takes them: empty fields are left out (a
  // secret left empty keeps its value), "Other keys" lines added.
  function formKeys() {
    const keys = {};
    const chosen = chosenEvents();
    if (chosen.length) keys.events = chosen.join(', ');
    for (const [key, f] of fields) {
      if (!f.input.isConnected) continue;
      const value = f.input.value;
      if (value.trim() !== '') keys[key] = value;
    }
    for (const line of $('editor-other').value.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0 && !line.trim().startsWith('#')) keys[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    return keys;
  }

  function unsetKeys() {
    return [...fields.values()].filter((f) => f.clear && f.clear.checked).map((f) => f.spec.name);
  }

  // Fills the form with keys (the answer of GET config, or a preset's).
  function fill(keys, secretsSet, readOnly) {
    const other = [];
    for (const f of fields.values()) {
      f.input.value = '';
      showFieldError(f, null);
      if (f.clear) {
        f.clear.checked = false;
        const set = (secretsSet || []).includes(f.spec.name);
        f.clearRow.hidden = !set;
        f.input.placeholder = set ? 'set — leave empty to keep it' : 'not set';
      }
    }
    const wanted = (keys.events || '').split(/[,;]/).map((s) => s.trim()).filter(Boolean);
    const known = (name) => events.some((k) => k.toLowerCase() === name.toLowerCase());
    for (const box of document.querySelectorAll('#editor-event-boxes .event-box')) {
      box.checked = wanted.some((e) => e.toLowerCase() === box.value.toLowerCase());
    }
    $('editor-custom-events').value = wanted.filter((e) => !known(e)).join(', ');
    const messages = {};
    for (const [key, value] of Object.entries(keys)) {
      if (key === 'events') continue;
      if (key.startsWith('message.')) { messages[key] = value; continue; }
      const f = fields.get(key);
      if (f) f.input.value = value;
      else other.push(`${key} = ${value}`);
    }
    syncMessages(messages);
    for (const [key, value] of Object.entries(messages)) {
      if (!fields.has(key)) other.push(`${key} = ${value}`);
    }
    $('editor-other').value = other.join('\n');
    for (const f of fields.values()) if (f.input.classList.contains('json')) checkJson(f);
    // A module's part is open when the hook sets one of its keys.
    for (const d of document.querySelectorAll('#editor-modules details')) {
      d.open = Object.keys(keys).some((k) => k.startsWith(`${d.dataset.module}.`));
    }
    for (const node of $('editor-form').querySelectorAll('input, select, textarea')) node.disabled = readOnly;
    $('editor-preview-event').disabled = false;
  }

  // --- talking to the daemon ----------------------------------------------

  function request(extra) {
    const body = { name: $('editor-name').value.trim(), keys: formKeys(), unset: unsetKeys(), ...extra };
    if (state.original && state.original !== body.name && state.editable) body.rename_from = state.original;
    if (state.secretsFrom) body.secrets_from = state.secretsFrom;
    return body;
  }

  function showProblems(problems) {
    for (const f of fields.values()) showFieldError(f, null);
    for (const f of fields.values()) if (f.input.classList.contains('json')) checkJson(f);
    const loose = [];
    for (const p of problems || []) {
      const text = `${p.level === 'warning' ? 'Warning' : 'Error'}: ${p.message}`;
      const f = p.key ? fields.get(p.key) : null;
      if (f && f.input.isConnected) showFieldError(f, f.error.hidden ? text : `${f.error.textContent} ${text}`);
      else loose.push(p.key ? `${p.key}: ${text}` : (p.file && p.line ? `${p.file}:${p.line}: ${text}` : text));
    }
    const box = $('editor-problems');
    box.replaceChildren(...(loose.length ? [el('ul', { class: 'problems' }, ...loose.map((t) => el('li', null, t)))] : []));
    box.hidden = loose.length === 0;
  }

  function scheduleCheck() {
    if (!state || state.readOnly) return;
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, CHECK_MS);
  }

  async function check() {
    const seq = ++checkSeq;
    const out = $('editor-preview');
    const event = $('editor-preview-event').value;
    if (!$('editor-name').value.trim()) {
      out.textContent = 'Give the hook a name to see its request.';
      return;
    }
    out.setAttribute('aria-busy', 'true');
    try {
      const r = await api('POST', 'hooks/validate', request({ event }));
      if (seq !== checkSeq) return;
      showProblems(r.problems);
      $('editor-state').textContent = r.valid ? 'Valid' : 'Has errors';
      $('editor-state').className = `badge ${r.valid ? 'ok' : 'bad'}`;
      out.textContent = r.preview ? fmtRequest(r.preview) : 'No preview until the errors are fixed.';
    } catch (e) {
      if (seq === checkSeq) out.textContent = errorText(e);
    } finally {
      if (seq === checkSeq) out.removeAttribute('aria-busy');
    }
  }

  async function save(ev) {
    ev.preventDefault();
    const result = $('editor-result');
    const name = $('editor-name').value.trim();
    $('editor-save').disabled = true;
    say(result, `Saving ${name}…`, true);
    try {
      const r = await api('PUT', P.hookPath(name, 'config'), request({ version: state.version }));
      state.version = r.version;
      state.original = name;
      state.editable = true;
      state.secretsFrom = null;
      showProblems(r.problems);
      say(result, `Saved ${name} in ${r.file}; the daemon runs it now.`, true);
      $('editor-title').textContent = `Edit hook ${name}`;
      $('editor-delete').hidden = false;
      P.refreshHooks();
    } catch (e) {
      if (e.body && Array.isArray(e.body.problems)) showProblems(e.body.problems);
      say(result, e.status === 409 ? `Not saved: ${e.message}` : `Not saved. ${errorText(e)}`, false);
    } finally {
      $('editor-save').disabled = false;
    }
  }

  async function sendTest() {
    const result = $('editor-result');
    const event = $('editor-preview-event').value;
    $('editor-test').disabled = true;
    say(result, `Sending ${event} with the form as it is (not saved)…`, true);
    try {
      const r = await api('POST', 'hooks/validate', request({ event, send: true }));
      const words = [];
      if (r.status) words.push(`HTTP ${r.status}`);
      const took = fmtDuration(r.duration_s);
      if (took) words.push(`in ${took}`);
      say(result, `${r.delivered ? 'Delivered' : 'Not delivered'} ${words.join(' ')}`.trim(), r.delivered);
      if (r.error) result.append(el('p', { class: 'error' }, r.error));
      if (r.response) result.append(el('pre', { class: 'response' }, r.response));
    } catch (e) {
      if (e.body && Array.isArray(e.body.problems)) showProblems(e.body.problems);
      say(result, `Not sent. ${errorText(e)}`, false);
    } finally {
      $('editor-test').disabled = false;
    }
  }

  async function remove() {
    const name = state.original;
    if (!window.confirm(`Delete hook ${name}? Its deliveries still waiting stay in the spool as dead letters.`)) return;
    const result = $('editor-result');
    try {
      await api('DELETE', `${P.hookPath(name, 'config')}?version=${encodeURIComponent(state.version)}`);
      close();
      say($('reload-result'), `Deleted hook ${name}.`, true);
      P.refreshHooks();
    } catch (e) {
      say(result, `Not deleted. ${errorText(e)}`, false);
    }
  }

  // --- opening and closing ------------------------------------------------

  async function ensureCatalog() {
    if (catalog) return;
    events = (await api('GET', 'events/known')).events || [];
    catalog = await api('GET', 'keys');
    buildForm();
  }

  function open(title, source) {
    $('editor').hidden = false;
    $('editor-title').textContent = title;
    $('editor-source').replaceChildren(...(source || []));
    $('editor-result').replaceChildren();
    $('editor-problems').hidden = true;
    $('editor-state').textContent = '';
    $('editor-state').className = 'badge';
    $('editor').scrollIntoView({ block: 'start' });
    $('editor-name').focus();
  }

  function close() {
    $('editor').hidden = true;
    state = null;
    clearTimeout(checkTimer);
  }

  async function openNew(keys, name, label) {
    try { await ensureCatalog(); } catch (e) { say($('reload-result'), `The editor cannot start. ${errorText(e)}`, false); return; }
    state = { original: null, version: 'none', editable: true, readOnly: false, secretsFrom: null };
    open(label ? `New hook from ${label}` : 'New hook', label
      ? [el('p', { class: 'muted' }, `Fill in the preset's URL and tokens; nothing is saved until you press Save.`)] : null);
    fill(keys || {}, [], false);
    $('editor-name').value = name || '';
    $('editor-delete').hidden = true;
    $('editor-save').hidden = false;
    scheduleCheck();
  }

  async function openHook(name) {
    let r;
    try {
      await ensureCatalog();
      r = await api('GET', P.hookPath(name, 'config'));
    } catch (e) {
      say($('reload-result'), `Cannot open hook ${name}. ${errorText(e)}`, false);
      return;
    }
    const readOnly = !r.editable;
    state = { original: name, version: r.version || 'none', editable: r.editable, readOnly, secretsFrom: null };
    const source = [el('p', { class: 'muted' }, `From ${r.file}, line ${r.line}.`)];
    if (readOnly) {
      const copy = el('button', { type: 'button', id: 'editor-copy' }, 'Copy to an editable hook');
      copy.addEventListener('click', () => copyHook(name, r));
      source.push(el('p', { class: 'notice bad' }, `Read-only: ${r.read_only_because}`), copy);
    }
    open(readOnly ? `Hook ${name} (read-only)` : `Edit hook ${name}`, source);
    fill(r.keys || {}, r.secrets_set, readOnly);
    $('editor-name').value = name;
    $('editor-delete').hidden = readOnly;
    $('editor-save').hidden = readOnly;
    $('editor-test').disabled = false;
    if (!readOnly) scheduleCheck();
  }

  function copyHook(name, r) {
    state = { original: null, version: 'none', editable: true, readOnly: false, secretsFrom: name };
    open(`New hook, a copy of ${name}`, [el('p', { class: 'muted' },
      `Its secrets are copied too (${(r.secrets_set || []).join(', ') || 'none'}). Choose a new name: a hook name is used once.`)]);
    fill(r.keys || {}, r.secrets_set, false);
    $('editor-name').value = `${name}-copy`;
    $('editor-delete').hidden = true;
    $('editor-save').hidden = false;
    scheduleCheck();
  }

  async function loadPresets() {
    try {
      presets = (await api('GET', 'presets')).presets || [];
    } catch (e) {
      presets = [];
    }
    const select = $('preset-select');
    const options = [];
    presets.forEach((p, i) => (p.hooks || []).forEach((h, j) => {
      const what = p.title ? p.title.split(':')[0] : p.file;
      options.push(el('option', { value: `${i}/${j}` }, p.hooks.length > 1 ? `${what} (${h.name})` : what));
    }));
    select.replaceChildren(...options);
    $('new-from-preset').disabled = options.length === 0;
  }

  function fromPreset() {
    const [i, j] = $('preset-select').value.split('/').map(Number);
    const preset = presets[i];
    const hook = preset && preset.hooks[j];
    if (!hook) return;
    const label = preset.title ? preset.title.split(':')[0] : preset.file;
    openNew(hook.keys, hook.name, label);
  }

  function start() {
    $('new-hook').addEventListener('click', () => openNew(null, '', null));
    $('new-from-preset').addEventListener('click', fromPreset);
    $('editor-close').addEventListener('click', close);
    $('editor-form').addEventListener('submit', save);
    $('editor-test').addEventListener('click', sendTest);
    $('editor-delete').addEventListener('click', remove);
    $('editor-name').addEventListener('input', scheduleCheck);
    $('editor-custom-events').addEventListener('input', () => { syncMessages(); scheduleCheck(); });
    $('editor-other').addEventListener('input', scheduleCheck);
    $('editor-preview-event').addEventListener('change', check);
    document.addEventListener('printhook:edit-hook', (ev) => openHook(ev.detail.name));
    loadPresets();
  }

  start();
})();
