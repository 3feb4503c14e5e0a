// The Reflow dashboard: one page over the pipeline's REST resources (/reflow/v1), redrawn in place whenever the event
// log tail reports a dataset, quality or transform event (polling when the stream is unavailable). Charts are inline
// SVG drawn here; all text goes in through textContent, never as HTML.

const API = new URL('../reflow/v1/', location.href);
const params = new URLSearchParams(location.search);
// The pipeline's events go to the project's bus: `default` unless the project names another (?bus=NAME).
const BUS = params.get('bus') || 'default';
const TAIL_PATTERN = JSON.stringify({ source: ['reflow.datasets', 'reflow.quality', 'reflow.transform', 'aws.s3'] });
const RUN_LIMIT = 100;
const ALERT_LIMIT = 100;
const TIMELINE_VERSIONS = 40;
const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#2f6fdf', '#e07b24', '#2a9d6f', '#9b59d0', '#d04a6a', '#1f9bb3', '#b59a1b', '#6b7a90'];

const state = {
  project: undefined,
  datasets: new Map(), // name -> { summary, versions, runs, alerts, lineage, selected }
  reports: new Map(), // specHash|bucket|key|versionId -> Promise<report>
  live: 'connecting',
  lastPosition: undefined,
  updatedMs: 0,
  events: [],
};

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, code, message, path) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

async function errorFrom(res, path) {
  let code = `HTTP ${res.status}`;
  let message = res.statusText;
  try {
    const body = await res.json();
    if (body && typeof body === 'object') {
      code = body.__type || code;
      message = body.message || message;
    }
  } catch {
    // Not the API's error shape (a proxy, say): the status says enough.
  }
  return new ApiError(res.status, code, message, path);
}

async function api(path, query) {
  const url = new URL(path, API);
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  let res;
  try {
    res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  } catch (err) {
    throw new ApiError(0, 'Unreachable', err && err.message ? err.message : String(err), path);
  }
  if (!res.ok) throw await errorFrom(res, path);
  return res.json();
}

/** What to tell the person looking at the page, for an error of the API. */
function explain(err) {
  if (!(err instanceof ApiError)) return { title: 'The dashboard failed', text: String(err && err.stack ? err.stack : err) };
  if (err.status === 0) {
    return { title: 'The Reflow API does not answer', text: `${API.origin} cannot be reached (${err.message}). Is \`reflow up\` still running? Retrying…` };
  }
  if (err.status === 403 || err.status === 401) {
    return {
      title: 'Signed requests only',
      text: `The API requires signed requests; start without REFLOW_ROOT_ACCESS_KEY_ID/SECRET for the dashboard. (${err.code}: ${err.message})`,
      kind: 'auth',
    };
  }
  return { title: `API error ${err.code} (${err.status})`, text: `${err.path}: ${err.message}` };
}

// ------------------------------------------------------------------ loading

let refreshing = false;
let refreshAgain = false;

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    let project;
    try {
      project = await api('project');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        // "No route": this Reflow runs no pipeline at all; NotFound on the route: no project applied.
        state.project = null;
        renderNoProject(err.message.startsWith('No route') ? undefined : err.message);
        clearBanner();
        stamp();
        return;
      }
      throw err;
    }
    state.project = project;
    const { datasets } = await api('datasets');
    await Promise.all(datasets.map(loadDataset));
    for (const name of [...state.datasets.keys()]) if (!datasets.some((d) => d.dataset === name)) state.datasets.delete(name);
    clearBanner();
    render();
    stamp();
  } catch (err) {
    showBanner(explain(err));
    if (err instanceof ApiError && err.status === 0) setLive('offline');
    // Never loaded: say why the page stays empty instead of "Loading…". Once loaded, the last view stays up.
    if (state.updatedMs === 0) document.getElementById('datasets').replaceChildren(h('p', { class: 'empty' }, 'Nothing to show until the API answers.'));
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      void refresh();
    }
  }
}

async function loadDataset(summary) {
  const name = summary.dataset;
  const seg = encodeURIComponent(name);
  const entry = state.datasets.get(name) || { selected: undefined, lineage: undefined };
  const [versions, runs, alerts] = await Promise.all([
    api(`datasets/${seg}/versions`).then((r) => r.versions),
    api(`datasets/${seg}/runs`, { limit: RUN_LIMIT }).then((r) => r.runs),
    api('alerts', { dataset: name, limit: ALERT_LIMIT }).then((r) => r.alerts),
  ]);
  // A version is immutable: its lineage (who contributed each item) is fetched once.
  if (summary.currentVersion > 0 && (!entry.lineage || entry.lineage.version.version !== summary.currentVersion)) {
    entry.lineage = await api(`datasets/${seg}/versions/${summary.currentVersion}/lineage`);
  }
  if (summary.currentVersion === 0) entry.lineage = undefined;
  Object.assign(entry, { summary, versions, runs, alerts });
  state.datasets.set(name, entry);
}

function loadReport(dataset, specHash, object) {
  const key = [dataset, specHash, object.bucket, object.key, object.versionId].join('|');
  let report = state.reports.get(key);
  if (!report) {
    report = api(`datasets/${encodeURIComponent(dataset)}/quality`, { bucket: object.bucket, key: object.key, versionId: object.versionId });
    state.reports.set(key, report);
    // A failed fetch is tried again next time instead of being remembered.
    report.catch(() => state.reports.delete(key));
  }
  return report;
}

// ------------------------------------------------------------------ live updates

let refreshTimer;
let firstEventMs = 0;

/** Coalesces a burst of events into one refresh, at most ~300 ms after the first of them. */
function scheduleRefresh() {
  const now = Date.now();
  if (refreshTimer === undefined) firstEventMs = now;
  clearTimeout(refreshTimer);
  const wait = Math.max(0, Math.min(100, firstEventMs + 300 - now));
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void refresh();
  }, wait);
}

function onEvent(event) {
  const detail = event.detail || {};
  const object = detail.object || {};
  state.events.unshift({
    timeMs: Date.now(),
    type: event['detail-type'],
    source: event.source,
    dataset: detail.dataset,
    // S3's own detail has a `version` field ("0") too: only a dataset event's version is a dataset version.
    what:
      event.source === 'reflow.datasets' && detail.version !== undefined
        ? `v${detail.version} (${detail.items} items, +${detail.added} −${detail.removed})`
        : detail.bucket && detail.bucket.name
          ? `s3://${detail.bucket.name}/${object.key || ''}`
          : object.key || '',
    replay: event['replay-name'] || detail.replay,
  });
  state.events.length = Math.min(state.events.length, 12);
  renderEvents();
  scheduleRefresh();
}

async function follow() {
  const url = new URL('tail', API);
  url.searchParams.set('bus', BUS);
  url.searchParams.set('pattern', TAIL_PATTERN);
  // After a reconnect, continue where the last stream stopped: no event is missed.
  if (state.lastPosition !== undefined) url.searchParams.set('after', String(state.lastPosition));
  let res;
  try {
    res = await fetch(url, { cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'Unreachable', err.message, 'tail');
  }
  if (!res.ok) throw await errorFrom(res, 'tail');
  if (!res.body || typeof TextDecoderStream === 'undefined') throw new ApiError(-1, 'NoStreams', 'this browser cannot read a streaming response', 'tail');
  setLive('live');
  // The stream only carries events from now on: read everything once it is open.
  void refresh();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.Error) throw new ApiError(500, message.Error.__type, message.Error.message, 'tail');
      state.lastPosition = message.Position;
      onEvent(message.Event);
    }
  }
  throw new ApiError(0, 'StreamEnded', 'the event stream ended', 'tail');
}

async function followForever() {
  let delay = 1000;
  for (;;) {
    const opened = Date.now();
    try {
      await follow();
    } catch (err) {
      const lost = state.live === 'live';
      setLive(err instanceof ApiError && err.status === 0 ? 'offline' : 'polling', err);
      if (err instanceof ApiError && (err.status === 403 || err.status === 401)) showBanner(explain(err));
      else if (lost || state.updatedMs === 0) void refresh();
      if (err instanceof ApiError && err.status === -1) return; // polling only, for good
    }
    delay = Date.now() - opened > 10_000 ? 1000 : Math.min(delay * 2, 10_000);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Polls while the stream is down, and watches progress that arrives without events (replays, running jobs). */
function tick() {
  const busy = [...state.datasets.values()].some(
    (d) => d.summary.rebuild?.state === 'RUNNING' || d.summary.pending > 0 || (d.summary.jobs && d.summary.jobs.active > 0),
  );
  const every = state.live === 'live' ? (busy ? 1000 : 15_000) : busy ? 1000 : 2000;
  if (Date.now() - state.updatedMs >= every && !refreshing) void refresh();
  setTimeout(tick, 500);
}

// ------------------------------------------------------------------ DOM helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces a panel's content only when what it shows changed, so a refresh does not disturb a reader. */
function panel(host, id, inputs, build) {
  let el = host.querySelector(`:scope > [data-panel="${id}"]`);
  const sig = JSON.stringify(inputs);
  if (el && el.dataset.sig === sig) return el;
  const fresh = build();
  fresh.dataset.panel = id;
  fresh.dataset.sig = sig;
  if (el) el.replaceWith(fresh);
  else host.append(fresh);
  return fresh;
}

function fmtInt(n) {
  return Number(n || 0).toLocaleString('en-US');
}

function fmtNum(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 10_000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return (Math.round(n * 10) / 10).toString();
  return Number(n.toPrecision(4)).toString();
}

function fmtBytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toPrecision(3)} ${units[i]}`;
}

function fmtMs(ms) {
  if (ms === undefined || ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function ago(ms) {
  const d = Math.max(0, Date.now() - ms);
  if (d < 5000) return 'just now';
  if (d < 60_000) return `${Math.round(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.round(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

function when(ms) {
  return h('time', { datetime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString() }, ago(ms));
}

function objectId(o) {
  return `${o.bucket}/${o.key}@${o.versionId}`;
}

function shortVersionId(v) {
  return v && v.length > 10 ? `${v.slice(0, 8)}…` : v || '';
}

/** Colours for a dataset's transform versions, in the order they first built something. */
function transformColours(entry) {
  const order = [];
  for (const v of entry.versions) if (!order.includes(v.transformVersion)) order.push(v.transformVersion);
  for (const t of Object.keys(entry.summary.itemsByTransformVersion || {})) if (!order.includes(t)) order.push(t);
  const tv = entry.summary.pipeline && entry.summary.pipeline.transformVersion;
  if (tv && !order.includes(tv)) order.push(tv);
  return new Map(order.map((t, i) => [t, PALETTE[i % PALETTE.length]]));
}

function swatch(colour) {
  return h('span', { class: 'swatch', style: { background: colour } });
}

// ------------------------------------------------------------------ page state

function setLive(live, err) {
  state.live = live;
  const el = document.getElementById('live');
  el.dataset.state = live;
  const text = { live: 'live', polling: 'polling', offline: 'offline', connecting: 'connecting' }[live];
  document.getElementById('live-text').textContent = text;
  el.title =
    live === 'live'
      ? `Following the event log of bus ${BUS}: updates arrive as they happen`
      : `Not following the event log (${err ? err.message : 'not connected'}); asking again every few seconds`;
}

function showBanner({ title, text, kind }) {
  const el = document.getElementById('banner');
  el.hidden = false;
  el.dataset.kind = kind || 'error';
  el.replaceChildren(h('strong', {}, title), h('span', {}, text));
}

function clearBanner() {
  const el = document.getElementById('banner');
  el.hidden = true;
  el.replaceChildren();
}

function stamp() {
  state.updatedMs = Date.now();
  document.getElementById('updated').textContent = `updated ${new Date(state.updatedMs).toLocaleTimeString()}`;
}

function renderNoProject(message) {
  document.getElementById('project').replaceChildren(h('span', { class: 'muted' }, 'no project'));
  document.getElementById('datasets').replaceChildren(
    h(
      'section',
      { class: 'card empty-state', id: 'no-project' },
      h('h2', {}, 'No project is running'),
      h('p', {}, message || 'This Reflow runs the event bus and the store, but no data pipeline.'),
      h('p', {}, 'Start one with ', h('code', {}, 'reflow up --project DIR'), ' (a directory with a reflow.config.ts); this page picks it up by itself.'),
    ),
  );
}

function renderEvents() {
  const section = document.getElementById('activity');
  section.hidden = state.events.length === 0;
  document.getElementById('events').replaceChildren(
    ...state.events.map((e) =>
      h(
        'li',
        {},
        h('span', { class: `ev-type ev-${(e.source || '').replace(/\W+/g, '-')}` }, e.type),
        e.dataset ? h('span', { class: 'ev-ds' }, e.dataset) : null,
        h('span', { class: 'ev-what' }, e.what),
        e.replay ? h('span', { class: 'badge muted-badge', title: e.replay }, 'replay') : null,
        h('span', { class: 'muted ev-time' }, new Date(e.timeMs).toLocaleTimeString()),
      ),
    ),
  );
}

function render() {
  const p = state.project;
  document.getElementById('project').replaceChildren(
    h('span', { class: 'project-name' }, p.name),
    h('span', { class: 'muted' }, ` · ${p.datasets.length} dataset${p.datasets.length === 1 ? '' : 's'}`),
  );
  const main = document.getElementById('datasets');
  main.querySelector(':scope > .empty, :scope > #no-project')?.remove();
  const names = [...state.datasets.keys()];
  for (const section of [...main.querySelectorAll(':scope > .dataset')]) if (!names.includes(section.dataset.dataset)) section.remove();
  if (names.length === 0) {
    main.replaceChildren(h('section', { class: 'card empty-state' }, h('h2', {}, 'The project has no datasets yet')));
    return;
  }
  for (const name of names) {
    let section = main.querySelector(`:scope > .dataset[data-dataset="${CSS.escape(name)}"]`);
    if (!section) {
      section = h('section', { class: 'dataset', 'data-dataset': name, id: `dataset-${name}` });
      main.append(section);
    }
    renderDataset(section, state.datasets.get(name));
  }
}

// ------------------------------------------------------------------ one dataset

function currentVersionOf(entry) {
  return entry.versions.find((v) => v.version === entry.summary.currentVersion);
}

function renderDataset(section, entry) {
  const { summary } = entry;
  const colours = transformColours(entry);
  const current = currentVersionOf(entry);
  const rebuild = summary.rebuild;
  const running = rebuild && rebuild.state === 'RUNNING';

  panel(section, 'head', [summary, current], () => datasetHead(entry, current, colours));
  panel(section, 'tiles', [summary, current && current.items], () => tiles(summary, current));
  const grid = panel(section, 'grid', [], () => h('div', { class: 'grid' }));
  panel(grid, 'consistency', [summary, current, [...colours]], () => consistencyCard(entry, current, colours, running));
  panel(grid, 'timeline', [entry.versions.slice(-TIMELINE_VERSIONS), summary.currentVersion, [...colours]], () => timelineCard(entry, colours));
  panel(grid, 'splits', [current, summary.load], () => splitsCard(summary, current));
  const contributors = contributorCounts(entry);
  panel(grid, 'contributors', [contributors, summary.rejected], () => contributorsCard(summary, contributors));
  panel(grid, 'alerts', [entry.alerts.slice(0, 20), Math.floor(Date.now() / 30_000)], () => alertsCard(entry));
  panel(grid, 'runs', [entry.runs.slice(0, 15), Math.floor(Date.now() / 30_000)], () => runsCard(entry, colours));
  const choices = reportChoices(entry);
  if (!entry.selected || !choices.some((c) => objectId(c.object) === entry.selected)) entry.selected = choices[0] && objectId(choices[0].object);
  panel(grid, 'distributions', [choices.map((c) => [objectId(c.object), c.label]), entry.selected, summary.pipeline && summary.pipeline.specHash], () =>
    distributionsCard(entry, choices),
  );
}

function datasetHead(entry, current, colours) {
  const { summary } = entry;
  const rebuild = summary.rebuild;
  const tv = summary.currentTransformVersion;
  let headline;
  if (!current) {
    headline = h('span', { class: 'headline muted' }, summary.pending > 0 ? `no version published yet · ${summary.pending} pending` : 'no version published yet');
  } else {
    const built = (summary.itemsByTransformVersion || {})[tv];
    headline = h(
      'span',
      { class: 'headline', 'data-testid': 'consistency' },
      h('strong', {}, `v${current.version} consistent`),
      ', ',
      `${fmtInt(current.items)}/${fmtInt(current.items)} items built by `,
      h('span', { class: 'tv' }, swatch(colours.get(tv)), tv),
      `; ${fmtInt(summary.stale)} stale`,
      built !== undefined && built !== current.items ? h('span', { class: 'muted' }, ` (${fmtInt(built)} items of ${tv} recorded)`) : null,
      rebuild && rebuild.state === 'RUNNING'
        ? h('span', { class: 'muted' }, ` · rebuilding with ${rebuild.toTransformVersion}: ${fmtInt(Math.max(0, rebuild.staleAtStart - summary.stale))}/${fmtInt(rebuild.staleAtStart)}`)
        : null,
    );
  }
  const badge =
    rebuild && rebuild.state === 'RUNNING'
      ? h('span', { class: 'badge running' }, 'rebuilding')
      : summary.stale > 0
        ? h('span', { class: 'badge warn' }, 'stale items')
        : current
          ? h('span', { class: 'badge ok' }, 'consistent')
          : null;
  return h(
    'header',
    { class: 'ds-head' },
    h('h2', {}, entry.summary.dataset),
    badge,
    headline,
    h('span', { class: 'muted ds-route' }, `s3://${summary.source.bucket}/${summary.source.prefix} → s3://${summary.load.bucket}/${summary.load.prefix} (${summary.load.mode})`),
  );
}

function tile(label, value, options = {}) {
  return h('div', { class: `tile ${options.tone || ''}`, title: options.title }, h('div', { class: 'tile-value' }, value), h('div', { class: 'tile-label' }, label));
}

function tiles(summary, current) {
  return h(
    'div',
    { class: 'tiles' },
    tile('current version', current ? `v${current.version}` : '–'),
    tile('items', current ? fmtInt(current.items) : '0', { title: 'items in the current version' }),
    tile('keys live', fmtInt(summary.keys), { title: 'raw keys whose data is not deleted' }),
    tile('pending', fmtInt(summary.pending), { tone: summary.pending > 0 ? 'info' : '', title: 'keys waiting for a check or a transform' }),
    tile('rejected', fmtInt(summary.rejected), { tone: summary.rejected > 0 ? 'bad' : 'good', title: 'keys whose newest version failed its checks' }),
    tile('stale', fmtInt(summary.stale), { tone: summary.stale > 0 ? 'warn' : 'good', title: 'items of the current version built by another pipeline' }),
    tile('active jobs', fmtInt(summary.jobs ? summary.jobs.active : 0), { tone: summary.jobs && summary.jobs.active > 0 ? 'info' : '' }),
  );
}

function progress(label, done, total, colour) {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  return h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done, 'aria-label': label },
    h('div', { class: 'progress-label' }, h('span', {}, label), h('span', {}, `${fmtInt(done)}/${fmtInt(total)} · ${Math.round(ratio * 100)} %`)),
    h('div', { class: 'progress-track' }, h('div', { class: 'progress-fill', style: { width: `${ratio * 100}%`, background: colour } })),
  );
}

function consistencyCard(entry, current, colours, running) {
  const { summary } = entry;
  const rebuild = summary.rebuild;
  const byTv = Object.entries(summary.itemsByTransformVersion || {}).sort((a, b) => b[1] - a[1]);
  const total = byTv.reduce((n, [, c]) => n + c, 0);
  const body = [];
  if (running) {
    const rebuilt = Math.max(0, rebuild.staleAtStart - summary.stale);
    body.push(
      h('p', { class: 'rebuild-line' }, `Rebuild #${rebuild.id}: `, h('span', { class: 'tv' }, rebuild.fromTransformVersion || '–'), ' → ', h('span', { class: 'tv' }, swatch(colours.get(rebuild.toTransformVersion)), rebuild.toTransformVersion), ` · started ${ago(rebuild.startedMs)}`),
      progress('items rebuilt', rebuilt, rebuild.staleAtStart, colours.get(rebuild.toTransformVersion)),
    );
    if (summary.replay) body.push(progress(`replay ${summary.replay.state.toLowerCase()}`, summary.replay.replayed, summary.replay.total, '#8a94a6'));
    body.push(h('p', { class: 'muted small' }, current ? `Readers keep seeing v${current.version} until every item is rebuilt; then the new version is published at once.` : 'The first version is published when every item is built.'));
  }
  body.push(h('h3', {}, 'Items recorded per transform version'));
  if (total === 0) body.push(h('p', { class: 'muted' }, 'No item built yet.'));
  else {
    body.push(
      h(
        'div',
        { class: 'stack', role: 'img', 'aria-label': byTv.map(([t, c]) => `${t}: ${c}`).join(', ') },
        byTv.map(([t, c]) => h('div', { class: 'stack-part', title: `${t}: ${c} items`, style: { flexGrow: String(c), background: colours.get(t) } })),
      ),
      h(
        'ul',
        { class: 'legend' },
        byTv.map(([t, c]) =>
          h('li', {}, swatch(colours.get(t)), h('span', { class: 'tv' }, t), h('span', { class: 'num' }, fmtInt(c)), t === (summary.pipeline && summary.pipeline.transformVersion) ? h('span', { class: 'badge muted-badge' }, 'current code') : null),
        ),
      ),
    );
  }
  if (rebuild && !running) {
    const took = rebuild.endedMs ? ` in ${fmtMs(rebuild.endedMs - rebuild.startedMs)}` : '';
    const out = rebuild.state === 'COMPLETED' ? `, published v${rebuild.publishedVersion}` : rebuild.reason ? `: ${rebuild.reason}` : '';
    body.push(h('p', { class: 'muted small' }, `Last rebuild #${rebuild.id} (${rebuild.staleAtStart} items → ${rebuild.toTransformVersion}) ${rebuild.state.toLowerCase()}${took}${out}.`));
  }
  if (summary.unpublished > 0) body.push(h('p', { class: 'muted small' }, `${fmtInt(summary.unpublished)} change(s) wait for the next version.`));
  return h('article', { class: 'card span-3' }, h('h3', { class: 'card-title' }, 'Consistency'), body);
}

function timelineCard(entry, colours) {
  const versions = entry.versions.slice(-TIMELINE_VERSIONS);
  const card = h('article', { class: 'card span-6' }, h('h3', { class: 'card-title' }, 'Version timeline', h('span', { class: 'muted small' }, ` ${entry.versions.length} version${entry.versions.length === 1 ? '' : 's'}${entry.versions.length > versions.length ? `, the last ${versions.length} shown` : ''}`)));
  if (versions.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No version published yet.'));
    return card;
  }
  // Drawn about as wide as its card, so its 11 px labels stay 11 px.
  const W = 560;
  const H = 200;
  const pad = { l: 30, r: 8, t: 26, b: 40 };
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const max = Math.max(1, ...versions.map((v) => v.items));
  const slot = plotW / Math.max(versions.length, 6);
  const barW = Math.max(4, Math.min(46, slot * 0.66));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart timeline', role: 'img', 'aria-label': `items per dataset version, v${versions[0].version} to v${versions.at(-1).version}` });
  // Gridlines at 0, half and the maximum.
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + plotH * (1 - f);
    svg.append(s('line', { x1: pad.l, x2: W - pad.r, y1: y, y2: y, class: 'grid-line' }), s('text', { x: pad.l - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, fmtInt(Math.round(max * f))));
  }
  versions.forEach((v, i) => {
    const x = pad.l + slot * i + (slot - barW) / 2;
    const bh = Math.max(1, (v.items / max) * plotH);
    const y = pad.t + plotH - bh;
    const prev = i > 0 ? versions[i - 1] : entry.versions[entry.versions.indexOf(v) - 1];
    if (prev && prev.transformVersion !== v.transformVersion) {
      const sx = pad.l + slot * i;
      svg.append(
        s('line', { x1: sx, x2: sx, y1: pad.t - 14, y2: pad.t + plotH, class: 'switch-line' }),
        s('text', { x: sx + 3, y: pad.t - 16, class: 'switch-label' }, `rebuild → ${v.transformVersion}`),
      );
    }
    const isCurrent = v.version === entry.summary.currentVersion;
    const bar = s(
      'rect',
      { x, y, width: barW, height: bh, rx: 2, fill: colours.get(v.transformVersion), class: isCurrent ? 'bar current' : 'bar' },
      s('title', {}, `v${v.version}: ${v.items} items (+${v.added} −${v.removed}), transform ${v.transformVersion}, ${Object.entries(v.splits).map(([k, n]) => `${k} ${n}`).join(', ')}; published ${new Date(v.publishedMs).toLocaleString()}`),
    );
    svg.append(bar);
    if (slot >= 16) svg.append(s('text', { x: x + barW / 2, y: y - 4, class: 'bar-value', 'text-anchor': 'middle' }, fmtInt(v.items)));
    const labelEvery = Math.ceil(28 / slot);
    if (i % labelEvery === 0 || isCurrent) {
      svg.append(s('text', { x: x + barW / 2, y: pad.t + plotH + 14, class: isCurrent ? 'axis strong' : 'axis', 'text-anchor': 'middle' }, `v${v.version}`));
      if (slot >= 30) {
        svg.append(
          s('text', { x: x + barW / 2, y: pad.t + plotH + 28, class: 'delta', 'text-anchor': 'middle' }, s('tspan', { class: 'added' }, `+${v.added}`), s('tspan', { class: 'removed', dx: 3 }, `−${v.removed}`)),
        );
      }
    }
  });
  card.append(svg);
  const tvs = [...new Set(versions.map((v) => v.transformVersion))];
  card.append(h('ul', { class: 'legend inline' }, tvs.map((t) => h('li', {}, swatch(colours.get(t)), h('span', { class: 'tv' }, t)))));
  return card;
}

const SPLIT_COLOURS = { train: '#2f6fdf', test: '#e07b24', holdout: '#2a9d6f', validation: '#9b59d0', inference: '#1f9bb3' };

function splitsCard(summary, current) {
  const card = h('article', { class: 'card span-3' }, h('h3', { class: 'card-title' }, 'Splits', current ? h('span', { class: 'muted small' }, ` of v${current.version}`) : null));
  if (!current) {
    card.append(h('p', { class: 'muted' }, `Declared: ${summary.load.splits.join(', ')}. Nothing published yet.`));
    return card;
  }
  const names = [...new Set([...summary.load.splits, ...Object.keys(current.splits)])];
  const total = names.reduce((n, k) => n + (current.splits[k] || 0), 0);
  const colour = (k, i) => SPLIT_COLOURS[k] || PALETTE[(i + 3) % PALETTE.length];
  card.append(
    h('div', { class: 'stack' }, names.map((k, i) => (current.splits[k] ? h('div', { class: 'stack-part', title: `${k}: ${current.splits[k]}`, style: { flexGrow: String(current.splits[k]), background: colour(k, i) } }) : null))),
    h(
      'table',
      { class: 'plain' },
      h('tbody', {}, names.map((k, i) => h('tr', {}, h('td', {}, swatch(colour(k, i)), k), h('td', { class: 'num' }, fmtInt(current.splits[k] || 0)), h('td', { class: 'num muted' }, total ? `${Math.round(((current.splits[k] || 0) / total) * 100)} %` : '')))),
    ),
    h('p', { class: 'muted small' }, 'An item’s split follows from a hash of its group key, so adding data never moves earlier items.'),
  );
  return card;
}

/** Files checked per contributor: the current version's items passed; alerts and run outcomes say the rest. */
function contributorCounts(entry) {
  const who = new Map(); // object id -> contributor
  const outcome = new Map(); // object id -> 'passed' | 'failed'
  for (const e of entry.lineage ? entry.lineage.entries : []) {
    who.set(objectId(e.object), e.contributor);
    outcome.set(objectId(e.object), 'passed');
  }
  for (const a of entry.alerts) {
    if (a.contributor) who.set(objectId(a.object), a.contributor);
    outcome.set(objectId(a.object), 'failed');
  }
  for (const r of entry.runs) {
    const id = objectId(r.object);
    if (r.status === 'succeeded' && !outcome.has(id)) outcome.set(id, 'passed');
    if (r.status === 'rejected' || r.status === 'failed') outcome.set(id, 'failed');
  }
  const counts = new Map();
  for (const [id, result] of outcome) {
    const c = who.get(id) || '(unknown)';
    const row = counts.get(c) || { contributor: c, passed: 0, failed: 0 };
    row[result]++;
    counts.set(c, row);
  }
  return [...counts.values()].sort((a, b) => b.failed - a.failed || b.passed + b.failed - (a.passed + a.failed) || a.contributor.localeCompare(b.contributor));
}

function contributorsCard(summary, rows) {
  const card = h('article', { class: 'card span-5' }, h('h3', { class: 'card-title' }, 'Quality by contributor'));
  card.append(h('p', { class: 'quality-line' }, h('span', { class: summary.rejected > 0 ? 'big bad-text' : 'big good-text' }, fmtInt(summary.rejected)), ` key${summary.rejected === 1 ? '' : 's'} rejected (newest version failed its checks)`));
  if (rows.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No file checked yet.'));
    return card;
  }
  const max = Math.max(...rows.map((r) => r.passed + r.failed));
  card.append(
    h(
      'table',
      { class: 'plain contributors' },
      h('thead', {}, h('tr', {}, h('th', {}, 'contributor'), h('th', { class: 'num' }, 'passed'), h('th', { class: 'num' }, 'failed'), h('th', {}, ''))),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { 'data-contributor': r.contributor },
            h('td', {}, r.contributor),
            h('td', { class: 'num good-text' }, fmtInt(r.passed)),
            h('td', { class: r.failed ? 'num bad-text' : 'num muted' }, fmtInt(r.failed)),
            h(
              'td',
              { class: 'bar-cell' },
              h('div', { class: 'mini-stack', style: { width: `${((r.passed + r.failed) / max) * 100}%` } }, h('div', { class: 'pass', style: { flexGrow: String(r.passed) } }), h('div', { class: 'fail', style: { flexGrow: String(r.failed) } })),
            ),
          ),
        ),
      ),
    ),
    h('p', { class: 'muted small' }, `Distinct file versions: the current version's items, the last ${RUN_LIMIT} runs and the last ${ALERT_LIMIT} alerts.`),
  );
  return card;
}

function alertsCard(entry) {
  const alerts = entry.alerts.slice(0, 20);
  const card = h('article', { class: 'card span-7' }, h('h3', { class: 'card-title' }, 'Alerts', h('span', { class: 'muted small' }, ` ${entry.alerts.length >= ALERT_LIMIT ? `latest ${ALERT_LIMIT}` : entry.alerts.length}`)));
  if (alerts.length === 0) {
    card.append(h('p', { class: 'muted', 'data-testid': 'no-alerts' }, 'No alerts: every checked file passed.'));
    return card;
  }
  card.append(
    h(
      'ul',
      { class: 'alerts', 'data-testid': 'alerts' },
      alerts.map((a) =>
        h(
          'li',
          { class: `alert ${a.kind}`, 'data-key': a.object.key },
          h(
            'div',
            { class: 'alert-head' },
            h('span', { class: `badge ${a.kind === 'quality-failed' ? 'bad' : 'warn'}` }, a.kind === 'quality-failed' ? 'quality' : 'transform'),
            h('span', { class: 'file', title: `s3://${a.object.bucket}/${a.object.key}?versionId=${a.object.versionId}` }, a.object.key),
            h('span', { class: 'contributor' }, a.contributor || 'unknown contributor'),
            h('span', { class: 'muted' }, when(a.timeMs)),
          ),
          h('ul', { class: 'reasons' }, a.reasons.map((r) => h('li', {}, r))),
        ),
      ),
    ),
  );
  return card;
}

const STEPS = [
  ['quality', '#8a63d2'],
  ['transform', '#2f6fdf'],
  ['load', '#2a9d6f'],
];

function stepMs(run, step) {
  const st = run.steps && run.steps[step];
  return st ? Math.max(0, st.endMs - st.startMs) : undefined;
}

function runsCard(entry, colours) {
  const runs = entry.runs.slice(0, 15);
  const card = h('article', { class: 'card span-12' }, h('h3', { class: 'card-title' }, 'Recent runs', h('span', { class: 'muted small' }, ' newest first; step times in ms')));
  if (runs.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No run yet: upload a file into the source prefix.'));
    return card;
  }
  const maxTotal = Math.max(1, ...runs.map((r) => STEPS.reduce((n, [st]) => n + (stepMs(r, st) || 0), 0)));
  card.append(
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'runs' },
        h('thead', {}, h('tr', {}, h('th', {}, 'when'), h('th', {}, 'file'), h('th', {}, 'status'), h('th', {}, 'transform'), ...STEPS.map(([st]) => h('th', { class: 'num' }, st)), h('th', {}, 'timing'), h('th', {}, 'detail'))),
        h(
          'tbody',
          {},
          runs.map((r) => {
            const bar = s('svg', { viewBox: '0 0 120 10', class: 'timing', preserveAspectRatio: 'none' });
            let x = 0;
            for (const [st, colour] of STEPS) {
              const ms = stepMs(r, st);
              if (!ms) continue;
              const w = Math.max(1, (ms / maxTotal) * 120);
              bar.append(s('rect', { x, y: 0, width: w, height: 10, fill: colour }, s('title', {}, `${st}: ${ms} ms`)));
              x += w;
            }
            const detail = r.error || (r.status === 'rejected' && r.steps.quality && r.steps.quality.detail) || (r.steps.load && r.steps.load.detail) || '';
            return h(
              'tr',
              { 'data-run': r.runId },
              h('td', { class: 'nowrap' }, when(r.updatedMs)),
              h('td', { class: 'file', title: `versionId ${r.object.versionId}` }, r.object.key),
              h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
              h('td', { class: 'nowrap' }, r.transformVersion ? [swatch(colours.get(r.transformVersion) || '#ccc'), h('span', { class: 'tv' }, r.transformVersion)] : '–'),
              ...STEPS.map(([st]) => h('td', { class: 'num' }, stepMs(r, st) === undefined ? '–' : fmtInt(stepMs(r, st)))),
              h('td', {}, bar),
              h('td', { class: 'detail', title: detail }, detail),
            );
          }),
        ),
      ),
    ),
    h('ul', { class: 'legend inline' }, STEPS.map(([st, colour]) => h('li', {}, swatch(colour), st))),
  );
  return card;
}

/** Objects whose quality report can be shown: the latest passed run first, then other runs, then the current items. */
function reportChoices(entry) {
  const seen = new Set();
  const out = [];
  const add = (object, label, status) => {
    const id = objectId(object);
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ object, label, status });
  };
  const runs = entry.runs.filter((r) => r.status !== 'skipped');
  const latestPassed = runs.find((r) => r.status === 'succeeded');
  if (latestPassed) add(latestPassed.object, `${latestPassed.object.key} · latest passed run`, 'succeeded');
  for (const r of runs) add(r.object, `${r.object.key} · ${r.status} · ${shortVersionId(r.object.versionId)}`, r.status);
  for (const e of entry.lineage ? entry.lineage.entries : []) add(e.object, `${e.object.key} · in v${entry.lineage.version.version}`, 'succeeded');
  return out.slice(0, 200);
}

function distributionsCard(entry, choices) {
  const card = h('article', { class: 'card span-12 distributions' });
  const title = h('h3', { class: 'card-title' }, 'Distributions');
  card.append(title);
  if (choices.length === 0) {
    card.append(h('p', { class: 'muted' }, 'No checked file yet.'));
    return card;
  }
  const select = h(
    'select',
    {
      id: `pick-${entry.summary.dataset}`,
      'aria-label': 'file whose quality report is shown',
      onchange: (e) => {
        entry.selected = e.target.value;
        const section = document.querySelector(`.dataset[data-dataset="${CSS.escape(entry.summary.dataset)}"]`);
        if (section) renderDataset(section, entry);
      },
    },
    choices.map((c) => h('option', { value: objectId(c.object), selected: objectId(c.object) === entry.selected }, c.label)),
  );
  title.append(h('label', { class: 'picker' }, h('span', { class: 'muted small' }, 'file '), select));
  const body = h('div', { class: 'report', 'data-testid': 'report' }, h('p', { class: 'muted' }, 'Loading the quality report…'));
  card.append(body);
  const choice = choices.find((c) => objectId(c.object) === entry.selected) || choices[0];
  const specHash = entry.summary.pipeline ? entry.summary.pipeline.specHash : '';
  loadReport(entry.summary.dataset, specHash, choice.object).then(
    (stored) => body.replaceChildren(...reportView(stored)),
    (err) => {
      const text = err instanceof ApiError && err.status === 404 ? `No quality report for this file under the dataset's current checks (${err.message})` : explain(err).text;
      body.replaceChildren(h('p', { class: 'muted' }, text));
    },
  );
  return card;
}

function reportView(stored) {
  const report = stored.report || {};
  const o = stored.object;
  const checks = report.checks || [];
  const head = h(
    'div',
    { class: 'report-head' },
    h('span', { class: `badge ${stored.passed ? 'succeeded' : 'rejected'}` }, stored.passed ? 'passed' : 'failed'),
    h('span', { class: 'file' }, `s3://${o.bucket}/${o.key}`),
    h('span', { class: 'muted' }, `version ${shortVersionId(o.versionId)} · ${fmtInt(report.rows)} rows · ${fmtBytes(report.bytes)} · ${report.format || 'unknown format'}`),
    stored.contributor ? h('span', { class: 'contributor' }, stored.contributor) : null,
    h('span', { class: 'muted' }, when(stored.timeMs)),
  );
  const checkList = h(
    'ul',
    { class: 'checks' },
    checks.map((c) => h('li', { class: c.passed ? 'pass' : 'fail' }, h('span', { class: 'mark', 'aria-label': c.passed ? 'passed' : 'failed' }, c.passed ? '✓' : '✗'), h('span', { class: 'check-name' }, c.name), h('span', { class: 'check-reason' }, c.reason))),
  );
  const defects = report.defects && report.defects.length ? h('p', { class: 'bad-text small' }, `${report.defects.length + (report.defectsOmitted || 0)} defect(s) reading the file, e.g. ${report.defects[0].message}`) : null;
  const columns = Object.entries(report.columns || {});
  const grid = h('div', { class: 'columns' }, columns.map(([name, m]) => columnCard(name, m)));
  return [head, h('div', { class: 'report-body' }, h('div', { class: 'checks-wrap' }, h('h4', {}, 'Checks'), checkList, defects), h('div', { class: 'columns-wrap' }, h('h4', {}, 'Columns'), columns.length ? grid : h('p', { class: 'muted' }, 'No column could be read.')))];
}

function fmtValue(type, v) {
  if (v === null || v === undefined) return '–';
  if (type === 'timestamp') return new Date(v).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z');
  return fmtNum(v);
}

/** What fits in a column card: a timestamp as its UTC time of day (the whole value is in the title). */
function fmtShort(type, v) {
  if (type === 'timestamp' && v !== null && v !== undefined) return new Date(v).toISOString().slice(11, 19);
  return fmtValue(type, v);
}

function columnCard(name, m) {
  const card = h('div', { class: 'column', 'data-column': name }, h('div', { class: 'column-head' }, h('strong', {}, name), h('span', { class: 'badge muted-badge' }, m.type)));
  if (m.histogram && m.histogram.counts.length) card.append(histogram(name, m));
  else card.append(h('p', { class: 'muted small no-hist' }, 'no numeric values to draw'));
  const stats = [
    ['min', m.min],
    ['p05', m.p05],
    ['median', m.median],
    ['mean', m.mean],
    ['p95', m.p95],
    ['max', m.max],
  ];
  card.append(
    h('dl', { class: 'stats' }, stats.map(([k, v]) => [h('dt', {}, k), h('dd', { title: fmtValue(m.type, v) }, fmtShort(m.type, v))])),
    h(
      'div',
      { class: 'missing' },
      h('span', { class: m.missing > 0 ? 'warn-text' : 'muted' }, `missing ${(m.missingRatio * 100).toFixed(m.missingRatio > 0 && m.missingRatio < 0.01 ? 2 : 1)} %`),
      m.missing > 0 ? h('span', { class: 'muted' }, ` (${fmtInt(m.missing)}; longest run ${fmtInt(m.longestMissingRun)} from row ${m.longestMissingRunStart})`) : null,
      h('span', { class: 'muted' }, ` · ~${fmtInt(m.distinct)} distinct`),
    ),
  );
  return card;
}

function histogram(name, m) {
  const { edges, counts } = m.histogram;
  const W = 260;
  const H = 96;
  const pad = { l: 4, r: 4, t: 6, b: 16 };
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const max = Math.max(1, ...counts);
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const span = hi - lo || 1;
  const xOf = (v) => pad.l + ((v - lo) / span) * plotW;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart hist', role: 'img', 'aria-label': `histogram of ${name}` });
  counts.forEach((c, i) => {
    const x0 = hi === lo ? pad.l : xOf(edges[i]);
    const x1 = hi === lo ? W - pad.r : xOf(edges[i + 1]);
    const bh = (c / max) * plotH;
    svg.append(
      s('rect', { x: x0 + 0.5, y: pad.t + plotH - bh, width: Math.max(0.5, x1 - x0 - 1), height: bh, class: 'hist-bar' }, s('title', {}, `${fmtValue(m.type, edges[i])} – ${fmtValue(m.type, edges[i + 1])}: ${c}`)),
    );
  });
  for (const [k, v, cls] of [
    ['p05', m.p05, 'q'],
    ['median', m.median, 'med'],
    ['p95', m.p95, 'q'],
  ]) {
    if (v === null || hi === lo) continue;
    svg.append(s('line', { x1: xOf(v), x2: xOf(v), y1: pad.t, y2: pad.t + plotH, class: `marker ${cls}` }, s('title', {}, `${k} ${fmtValue(m.type, v)}`)));
  }
  svg.append(
    s('line', { x1: pad.l, x2: W - pad.r, y1: pad.t + plotH, y2: pad.t + plotH, class: 'axis-line' }),
    s('text', { x: pad.l, y: H - 3, class: 'axis' }, fmtShort(m.type, lo)),
    s('text', { x: W - pad.r, y: H - 3, class: 'axis', 'text-anchor': 'end' }, fmtShort(m.type, hi)),
  );
  return svg;
}

// ------------------------------------------------------------------ start

setLive('connecting');
void followForever();
setTimeout(tick, 1500);
