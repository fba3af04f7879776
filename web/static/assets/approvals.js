// approvals.js: 审批 (feature): the inbox (to approve, handled, CC'd to me,
// my requests, with counts), and one request: what was asked, the flow as
// a timeline with who acts now, the activity, and the actions the reader
// may take (approve, reject, transfer, add an approver, send back, comment
// with @mentions, withdraw, remind, cancel, tell the department). Live:
// the stream's approval events refresh what is shown.

import { h, clear, append, avatar, randomID } from './dom.js';
import { t, lang } from './i18n.js';
import * as O from './org.js';
import * as S from './store.js';
import { page, link, narrow, dialog, toast, confirmDialog } from './ui-base.js';
import { ap, statusChip, amount, when, apError, pickPeople, chips } from './approval-ui.js';

const BOXES = ['pending', 'done', 'cc', 'mine'];
let lastBox = 'pending';

// live calls fn on approval events while el is on the page.
function live(el, fn) {
  const off = S.on('approval', (ev) => (el.isConnected ? fn(ev) : off()));
}

export function approvalsPage(root, nav, id) {
  if (id) return detail(root, nav, id);
  const body = page(root, t('ap_title'), nav, { back: narrow() ? '/workbench' : '/' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('ap_noOrg')));
  const tabs = h('div', { class: 'tabs ap-tabs', role: 'tablist' });
  const list = h('ul', { class: 'ap-list', id: 'ap-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, onclick: () => load(true) }, t('ap_more'));
  body.append(h('div', { class: 'row wrap ap-top' }, link('/approvals/new', nav, { class: 'btn primary', id: 'ap-new' }, t('ap_new')),
    link('/leave', nav, { class: 'btn', id: 'ap-leave' }, t('appLeave'))), tabs, list, more);
  let cursor = '';
  let seq = 0;
  let counts = {};
  const drawTabs = () => clear(tabs).append(...BOXES.map((b) => h('button', { type: 'button', role: 'tab', id: 'box-' + b, 'aria-selected': String(b === lastBox),
    onclick: () => { lastBox = b; drawTabs(); load(); } }, t('box_' + b), counts[b] ? h('span', { class: 'badge' }, String(counts[b])) : null)));
  const loadCounts = async () => {
    try {
      counts = await ap('GET', '/counts');
      drawTabs();
    } catch {}
  };
  async function load(append) {
    const my = ++seq;
    const q = new URLSearchParams({ box: lastBox, limit: '30' });
    if (append && cursor) q.set('cursor', cursor);
    let r;
    try {
      r = await ap('GET', '?' + q);
    } catch (e) {
      if (my === seq) clear(list).append(h('li', { class: 'empty' }, apError(e)));
      return;
    }
    if (my !== seq) return;
    if (!append) clear(list);
    cursor = r.next_cursor;
    more.hidden = !cursor;
    for (const a of r.approvals) list.append(item(a));
    if (!list.children.length) list.append(h('li', { class: 'empty' }, t('ap_empty')));
  }
  const names = (ids) => ids.map(S.userName).join(lang === 'zh' ? '、' : ', ');
  const item = (a) => h('li', null, link('/approvals/' + a.id, nav, { class: 'ap-item', dataset: { id: a.id } },
    avatar(a.originator_id, S.userName(a.originator_id)),
    h('span', { class: 'grow' },
      h('span', { class: 'ap-item-title' }, a.title),
      h('span', { class: 'p-sub' }, a.status === 'running' && a.pending.length ? t('ap_waitingFor', { a: names(a.pending) }) : t('ap_asked', { a: when(a.created_at) }))),
    statusChip(a.status)));
  drawTabs();
  load();
  loadCounts();
  live(list, () => {
    load();
    loadCounts();
  });
  const off = S.on('users', () => (list.isConnected ? load() : off()));
}

// detail shows one request.
function detail(root, nav, id) {
  const body = page(root, t('ap_title'), nav, { back: '/approvals' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('ap_noOrg')));
  const view = h('div', { class: 'ap-detail', id: 'ap-detail' });
  body.append(view);
  let v = null;
  const load = async () => {
    try {
      v = await ap('GET', '/' + encodeURIComponent(id));
      draw();
    } catch (e) {
      clear(view).append(h('p', { class: 'error', role: 'alert' }, apError(e)));
    }
  };
  const act = async (action, input) => {
    try {
      v = await ap('POST', '/' + encodeURIComponent(id) + '/' + action, input || {});
      draw();
      return true;
    } catch (e) {
      toast(apError(e));
      load();
      return false;
    }
  };
  function draw() {
    const head = h('header', { class: 'ap-head' },
      h('div', { class: 'row ap-who' }, avatar(v.originator_id, S.userName(v.originator_id), true),
        h('div', { class: 'grow' }, h('h3', { id: 'ap-title' }, v.title), h('p', { class: 'hint' }, v.template_name + ' · ' + t('ap_asked', { a: when(v.created_at) }))),
        statusChip(v.status)));
    append(clear(view), [head,
      h('section', { class: 'ap-card' }, h('h4', null, t('ap_details')), details(v)),
      h('section', { class: 'ap-card' }, h('h4', null, t('ap_flow')), flow(v)),
      activity(v),
      actions(v)]);
  }
  // Buttons for what the reader may do now.
  function actions(v) {
    const can = new Set(v.can);
    const b = (key, cls, fn) => can.has(key) ? h('button', { type: 'button', class: 'btn ' + (cls || ''), id: 'ap-' + key, onclick: fn }, t('btn_' + key)) : null;
    const bar = h('div', { class: 'ap-actions row wrap', id: 'ap-actions' },
      b('reject', 'danger', () => decide('reject')),
      b('approve', 'primary', () => decide('approve')),
      b('transfer', '', async () => {
        const [u] = await pickPeople(t('btn_transfer'), true);
        if (u) act('transfer', { user_id: u.id });
      }),
      b('add', '', addApprover),
      b('return', '', sendBack),
      b('comment', '', comment),
      b('urge', '', async () => (await act('urge')) && toast(t('ap_urged'))),
      b('withdraw', 'danger', async () => (await confirmDialog(t('ap_confirmWithdraw'), t('btn_withdraw'))) && act('withdraw')),
      b('cancel', 'danger', async () => (await confirmDialog(t('ap_confirmCancel'), t('btn_cancel'))) && act('cancel')),
      b('announce', '', async () => (await act('announce')) && toast(t('ap_done'))));
    return bar;
  }
  // decide asks for an optional comment, then approves or rejects.
  function decide(action) {
    const text = h('textarea', { id: 'ap-opinion', rows: 3, maxlength: 1000 });
    const ok = h('button', { type: 'submit', class: 'btn ' + (action === 'approve' ? 'primary' : 'danger'), id: 'ap-confirm' }, t('btn_' + action));
    const form = h('form', { class: 'stack' }, h('label', { for: 'ap-opinion' }, t('ap_commentOpt')), text, h('div', { class: 'dialog-actions' }, ok));
    const d = dialog(t('btn_' + action), form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      ok.disabled = true;
      if (await act(action, { comment: text.value.trim() })) d.close();
      ok.disabled = false;
    });
    text.focus();
  }
  async function addApprover() {
    const [u] = await pickPeople(t('btn_add'), true);
    if (!u) return;
    const pos = h('select', { id: 'ap-pos' }, h('option', { value: 'before' }, t('ap_before')), h('option', { value: 'after', selected: true }, t('ap_after')));
    const form = h('form', { class: 'stack' }, h('p', null, u.name), pos, h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'ap-add-ok' }, t('btn_add'))));
    const d = dialog(t('btn_add'), form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (await act('add', { user_id: u.id, position: pos.value })) d.close();
    });
  }
  function sendBack() {
    const steps = v.steps.map((s, i) => [s, i]).filter(([s, i]) => i < v.current && s.type === 'approver' && s.approvers.length);
    const to = h('select', { id: 'ap-step' }, steps.reverse().map(([s, i]) => h('option', { value: String(i) }, stepName(s, i))));
    const text = h('textarea', { id: 'ap-return-comment', rows: 2, maxlength: 1000 });
    const form = h('form', { class: 'stack' }, h('label', { for: 'ap-step' }, t('ap_returnTo')), to, h('label', { for: 'ap-return-comment' }, t('ap_commentOpt')), text,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'ap-return-ok' }, t('btn_return'))));
    const d = dialog(t('btn_return'), form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (await act('return', { step: Number(to.value), comment: text.value.trim() })) d.close();
    });
  }
  function comment() {
    const text = h('textarea', { id: 'ap-note', rows: 3, maxlength: 1000, required: true });
    const who = [];
    const picked = chips(who);
    const form = h('form', { class: 'stack' }, h('label', { for: 'ap-note' }, t('ap_comment')), text,
      h('button', { type: 'button', class: 'btn small', id: 'ap-mention', onclick: async () => {
        for (const u of await pickPeople(t('ap_mention'))) if (!who.some((x) => x.id === u.id)) who.push(u);
        picked.redraw();
      } }, '@ ' + t('ap_mention')), picked,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'ap-note-ok' }, t('btn_comment'))));
    const d = dialog(t('btn_comment'), form);
    const key = randomID(8);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return text.focus();
      if (await act('comment', { comment: text.value.trim(), mentions: who.map((u) => u.id), client_id: key })) d.close();
    });
    text.focus();
  }
  load();
  live(view, (ev) => ev.approval && ev.approval.id === id && load());
  const off = S.on('users', () => (view.isConnected ? v && draw() : off()));
}

const stepName = (s, i) => (s.name || t('step_' + s.type)) + ' · ' + t('ap_stepN', { n: i + 1 });

// details lists the form's values with their labels.
function details(v) {
  const vals = v.form || {};
  const dl = h('dl', { class: 'ap-fields', id: 'ap-fields' });
  if (v.leave && v.kind === 'leave') {
    dl.append(h('dt', null, t('ap_leaveType')), h('dd', { id: 'ap-leave' }, `${v.leave.name} · ${amount(v.leave.amount, v.leave.unit)} · ${t('ap_span', { f: v.leave.from_date, t: v.leave.to_date })}`));
  }
  for (const f of v.fields || []) {
    if (!(f.key in vals) || (v.kind === 'leave' && ['leave_type', 'start', 'end', 'start_half', 'end_half'].includes(f.key))) continue;
    dl.append(h('dt', null, f.label), h('dd', null, show(f, vals[f.key], v)));
  }
  return dl;
}

function show(f, x, v) {
  const join = (a) => a.join(lang === 'zh' ? '、' : ', ');
  const ids = (a) => (Array.isArray(a) ? a : [a]);
  switch (f.type) {
    case 'person':
      return join(ids(x).map(S.userName));
    case 'department':
      return join(ids(x).map((id) => (O.orgs.depts && O.orgs.depts.by.get(id) ? O.orgs.depts.by.get(id).name : id)));
    case 'attachment': {
      const want = ids(x);
      const atts = (v.attachments || []).filter((a) => want.includes(a.id));
      const el = h('div', { class: 'ap-files', dataset: { field: f.key } }, String(want.length));
      import('./approval-files.js').then((m) => m.show(el, atts)).catch(() => {});
      return el;
    }
    case 'multiselect':
      return join(x);
    case 'daterange':
      return t('ap_span', { f: x.start, t: x.end });
    case 'select':
      return f.key.endsWith('_half') ? t('half_' + x) : x;
    case 'money':
      return '¥' + x;
    case 'table':
      return h('table', { class: 'ap-table' }, h('tr', null, f.columns.map((c) => h('th', null, c.label))),
        x.map((row) => h('tr', null, f.columns.map((c) => h('td', null, c.key in row ? show(c, row[c.key], v) : '')))));
  }
  return String(x);
}

// flow draws the steps as a timeline: the originator, each step with its
// people and where each stands, and the end.
function flow(v) {
  const ol = h('ol', { class: 'ap-flow', id: 'ap-flow' });
  ol.append(h('li', { class: 'ap-step done' }, h('span', { class: 'ap-dot' }),
    h('div', null, h('strong', null, t('ap_originator')), h('p', null, S.userName(v.originator_id), ' · ', when(v.created_at)))));
  v.steps.forEach((s, i) => {
    const rounds = v.tasks.filter((x) => x.step === i).map((x) => x.round);
    const round = rounds.length ? Math.max(...rounds) : -1;
    const tasks = v.tasks.filter((x) => x.step === i && x.round === round);
    const now = v.status === 'running' && i === v.current;
    const state = now ? 'now' : s.status === 'approved' || s.status === 'done' ? 'done' : s.status === 'rejected' ? 'bad' : 'todo';
    const people = s.type === 'cc' || !tasks.length
      ? s.approvers.map((u) => h('li', null, S.userName(u), s.type === 'cc' && s.status === 'done' ? ' ✓' : ''))
      : tasks.map((x) => h('li', { class: 'ap-task ap-t-' + x.status, dataset: { user: x.approver_id } }, S.userName(x.approver_id), ' · ', t('task_' + x.status),
        x.acted_at ? ' · ' + when(x.acted_at) : '', x.comment ? h('q', null, x.comment) : null));
    const note = s.auto ? t('step_' + s.auto) : s.fallback ? t('step_fallback') : '';
    ol.append(h('li', { class: 'ap-step ' + state, dataset: { step: String(i) }, 'aria-current': now ? 'step' : null }, h('span', { class: 'ap-dot' }),
      h('div', null, h('strong', null, s.name || t('step_' + s.type)), s.type === 'approver' && s.approvers.length > 1 ? h('span', { class: 'hint' }, ' · ' + t('mode_' + s.mode)) : null,
        h('ul', { class: 'ap-people' }, people), note ? h('p', { class: 'hint' }, note) : null)));
  });
  if (v.status !== 'running') ol.append(h('li', { class: 'ap-step ' + (v.status === 'approved' ? 'done' : 'bad') }, h('span', { class: 'ap-dot' }), h('div', null, h('strong', { id: 'ap-end' }, t('st_' + v.status)), v.ended_at ? h('p', null, when(v.ended_at)) : null)));
  return ol;
}

// activity lists comments and what people did besides deciding.
function activity(v) {
  const shown = v.actions.filter((a) => !['submit', 'approve', 'reject', 'auto_approve'].includes(a.kind) || a.comment);
  if (!shown.length) return null;
  return h('section', { class: 'ap-card' }, h('h4', null, t('ap_activity')), h('ul', { class: 'ap-activity', id: 'ap-activity' }, shown.map((a) => h('li', null,
    h('strong', null, a.actor_id ? S.userName(a.actor_id) : t('system')), ' ',
    t('act_' + a.kind, { b: (a.targets || []).map(S.userName).join('、') }),
    a.mentions && a.mentions.length ? ' @' + a.mentions.map(S.userName).join(' @') : '',
    a.comment ? h('q', null, a.comment) : null, h('span', { class: 'hint' }, ' · ' + when(a.at))))));
}
