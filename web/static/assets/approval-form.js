// approval-form.js: 发起审批 (feature): the templates to choose from, and a
// request's form rendered from its template: text, numbers and money (kept
// as typed: exact), dates and times, ranges, selects, people (a picker
// over the directory), departments, tables of rows; for leave, the type
// and a date range that shows the working days it counts and the balance
// left; approvers the originator picks where the flow says so.

import { h, clear, append, css } from './dom.js';
import { t } from './i18n.js';
import * as O from './org.js';
import { page, toast } from './ui-base.js';
import { ap, lv, apError, pickPeople, chips } from './approval-ui.js';

await css(new URL('./pages.css', import.meta.url)); // the template tiles, when opened without the workbench

export async function approvalForm(root, nav) {
  const body = page(root, t('ap_new'), nav, { back: '/approvals' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('ap_noOrg')));
  const want = new URLSearchParams(location.search).get('template');
  let list;
  try {
    list = (await ap('GET', '/templates')).templates.filter((x) => x.enabled);
  } catch (e) {
    return body.append(h('p', { class: 'error' }, apError(e)));
  }
  const picker = h('ul', { class: 'apps ap-kinds', id: 'ap-kinds', 'aria-label': t('ap_pick') }, list.map((x) => h('li', null,
    h('button', { type: 'button', class: 'app-tile', dataset: { key: x.key }, onclick: () => open(x) }, h('span', { class: 'app-icon' }, x.name.slice(0, 1)), h('span', { class: 'app-name' }, x.name)))));
  const area = h('div', { class: 'ap-form-area' });
  body.append(h('h3', { class: 'list-head' }, t('ap_pick')), picker, area);
  const open = (x) => {
    for (const b of picker.querySelectorAll('button')) b.toggleAttribute('aria-pressed', b.dataset.key === x.key);
    form(area, x, nav);
  };
  const first = list.find((x) => x.key === want);
  if (first) open(first);
}

// chosenNodes: the flow's nodes whose approvers the originator picks.
function chosenNodes(nodes, out = []) {
  for (const n of nodes || []) {
    if (n.type === 'approver' && n.who && n.who.type === 'chosen') out.push(n);
    for (const b of n.branches || []) chosenNodes(b.nodes, out);
  }
  return out;
}

// AF is approval-files.js once a form with an attachment field opens.
let AF = null;
const hasFiles = (fs) => (fs || []).some((f) => f.type === 'attachment' || hasFiles(f.columns));

async function form(area, tpl, nav) {
  clear(area);
  if (hasFiles(tpl.fields) && !AF) AF = await import('./approval-files.js').catch(() => null);
  const leave = tpl.kind === 'leave';
  const types = leave ? ((await lv('GET', '/types').catch(() => ({ types: [] }))).types || []).filter((x) => x.enabled) : [];
  const err = h('p', { class: 'error', role: 'alert', id: 'ap-form-error' });
  const inputs = new Map(); // key -> { get(), el }
  const quote = h('div', { class: 'ap-quote', id: 'ap-quote', 'aria-live': 'polite' });
  const f = h('form', { class: 'stack ap-form', id: 'ap-form', novalidate: true });
  const unit = () => {
    const ty = types.find((x) => x.key === (inputs.get('leave_type') && inputs.get('leave_type').get()));
    return ty ? ty.unit : 'day';
  };
  const rows = [];
  for (const fd of tpl.fields) {
    if (leave && (fd.key === 'start_half' || fd.key === 'end_half')) continue;
    const id = 'f-' + fd.key;
    let ctl;
    if (leave && fd.key === 'leave_type') {
      const sel = h('select', { id, required: true }, types.map((x) => h('option', { value: x.key }, x.name)));
      sel.addEventListener('change', () => {
        redrawDates();
        requote();
      });
      ctl = { el: sel, get: () => sel.value };
    } else ctl = control(fd, id);
    inputs.set(fd.key, ctl);
    rows.push(h('div', { class: 'ap-field', dataset: { key: fd.key } }, h('label', { for: id }, fd.label, fd.required ? ' *' : ''), ctl.el));
    if (leave && fd.key === 'end') rows.push(quote);
  }
  // Leave: the dates follow the type's unit (half days: a half of each end).
  const halves = {};
  const redrawDates = () => {
    if (!leave) return;
    const u = unit();
    for (const k of ['start', 'end']) {
      const c = inputs.get(k);
      const old = c.get();
      const inp = h('input', { id: 'f-' + k, type: u === 'hour' ? 'datetime-local' : 'date', step: u === 'hour' ? 1800 : null, required: true,
        value: u === 'hour' ? (old.length === 10 ? old + 'T09:00' : old.replace(' ', 'T')) : old.slice(0, 10) });
      inp.addEventListener('change', requote);
      const hk = k + '_half';
      delete halves[hk];
      let half = null;
      if (u === 'half_day') {
        half = h('select', { id: 'f-' + hk, 'aria-label': k === 'start' ? t('half_am') : t('half_pm') },
          ['am', 'pm'].map((x) => h('option', { value: x, selected: x === (k === 'start' ? 'am' : 'pm') }, t('half_' + x))));
        half.addEventListener('change', requote);
        halves[hk] = half;
      }
      const el = h('span', { class: 'row ap-when' }, inp, half);
      c.el.replaceWith(el);
      c.el = el;
      c.get = () => inp.value.replace('T', ' ');
    }
  };
  let qseq = 0;
  async function requote() {
    if (!leave) return;
    const s = inputs.get('start').get();
    const e = inputs.get('end').get() || s;
    const my = ++qseq;
    if (!s) return clear(quote);
    const q = new URLSearchParams({ leave_type: inputs.get('leave_type').get(), start: s, end: e });
    for (const k in halves) q.set(k, halves[k].value);
    try {
      const r = await lv('GET', '/quote?' + q);
      if (my !== qseq) return;
      append(clear(quote), [h('strong', null, t('ap_counts', { n: r.amount, u: t('unit_' + r.unit) })),
        r.balance != null ? h('span', { class: 'hint' }, ' · ' + t('ap_balance', { b: r.balance, u: t('unit_' + r.unit) })) : null,
        r.days.length ? h('p', { class: 'hint', id: 'ap-days' }, t('ap_countedDays', { d: r.days.map((d) => d.date.slice(5) + (r.unit === 'day' || d.amount === 1 ? '' : ` (${d.amount})`)).join(', ') })) : null]);
    } catch (x) {
      if (my === qseq) clear(quote).append(h('span', { class: 'error' }, apError(x)));
    }
  }
  // Approvers the originator chooses.
  const chosen = {};
  const pickers = chosenNodes(tpl.flow).map((n) => {
    const list = (chosen[n.id] = []);
    const c = chips(list);
    const label = t('ap_approvers', { s: n.name || t('step_approver') });
    return h('div', { class: 'ap-field' }, h('span', null, label), h('button', { type: 'button', class: 'btn small', id: 'ap-choose-' + n.id, onclick: async () => {
      for (const u of await pickPeople(label)) if (!list.some((x) => x.id === u.id)) list.push(u);
      c.redraw();
    } }, t('ap_choose')), c);
  });
  const auto = leave || tpl.kind === 'trip' ? h('input', { type: 'checkbox', id: 'ap-autoreply' }) : null;
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'ap-submit' }, t('ap_submit'));
  append(f, [h('h3', null, tpl.name), rows, leave ? null : quote, pickers, auto ? h('label', { class: 'row ap-check' }, auto, t('ap_autoReply')) : null, err, h('div', { class: 'row' }, submit)]);
  area.append(f);
  redrawDates();
  f.scrollIntoView({ block: 'start' });
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const form = {};
    for (const [k, c] of inputs) {
      const v = c.get();
      if (v !== '' && v != null && !(Array.isArray(v) && !v.length)) form[k] = v;
    }
    if (leave) for (const k in halves) form[k] = halves[k].value;
    const approvers = {};
    for (const k in chosen) if (chosen[k].length) approvers[k] = chosen[k].map((u) => u.id);
    submit.disabled = true;
    err.textContent = '';
    try {
      for (const [k, c] of inputs) {
        if (!c.ready) continue;
        await c.ready(); // uploads under way finish first
        const v = c.get();
        if (v.length) form[k] = v;
        else delete form[k];
      }
      const v = await ap('POST', '', { template: tpl.key, form, approvers, auto_reply: !!(auto && auto.checked) });
      toast(t('ap_done'));
      nav('/approvals/' + v.id);
    } catch (x) {
      err.textContent = apError(x);
      const key = (x.field || '').replace(/^form\./, '').replace(/[.[].*$/, '');
      const c = inputs.get(key);
      if (c) {
        c.el.setAttribute('aria-invalid', 'true');
        c.el.focus && c.el.focus();
      }
    } finally {
      submit.disabled = false;
    }
  });
}

// control makes the input of one field: { el, get() }.
function control(fd, id) {
  switch (fd.type) {
    case 'number':
    case 'money': {
      const el = h('input', { id, type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: fd.type === 'money' ? '0.00' : '' });
      return { el, get: () => el.value.trim() };
    }
    case 'date': {
      const el = h('input', { id, type: fd.time ? 'datetime-local' : 'date' });
      return { el, get: () => el.value.replace('T', ' ') };
    }
    case 'daterange': {
      const a = h('input', { id, type: fd.time ? 'datetime-local' : 'date' });
      const b = h('input', { type: fd.time ? 'datetime-local' : 'date', 'aria-label': fd.label });
      return { el: h('span', { class: 'row' }, a, '–', b), get: () => (a.value && b.value ? { start: a.value.replace('T', ' '), end: b.value.replace('T', ' ') } : '') };
    }
    case 'select': {
      const el = h('select', { id }, fd.required ? null : h('option', { value: '' }, '—'), fd.options.map((o) => h('option', { value: o }, fd.key.endsWith('_half') ? t('half_' + o) : o)));
      return { el, get: () => el.value };
    }
    case 'multiselect': {
      const boxes = fd.options.map((o) => h('input', { type: 'checkbox', value: o }));
      return { el: h('span', { class: 'row wrap', id }, boxes.map((b) => h('label', { class: 'row ap-check' }, b, b.value))), get: () => boxes.filter((b) => b.checked).map((b) => b.value) };
    }
    case 'person': {
      const list = [];
      const c = chips(list);
      const btn = h('button', { type: 'button', class: 'btn small', id, onclick: async () => {
        const got = await pickPeople(fd.label, !fd.multiple);
        if (!fd.multiple && got.length) list.splice(0);
        for (const u of got) if (!list.some((x) => x.id === u.id)) list.push(u);
        c.redraw();
      } }, t('ap_choose'));
      return { el: h('span', { class: 'stack' }, btn, c), get: () => (fd.multiple ? list.map((u) => u.id) : list.length ? list[0].id : '') };
    }
    case 'department': {
      const el = h('select', { id, multiple: fd.multiple }, fd.multiple ? null : h('option', { value: '' }, '—'));
      O.depts().then((d) => el.append(...d.list.map((x) => h('option', { value: x.id }, '\u3000'.repeat(x.depth) + x.name)))).catch(() => {});
      return { el, get: () => (fd.multiple ? [...el.selectedOptions].map((o) => o.value) : el.value) };
    }
    case 'attachment':
      if (AF) return AF.control(fd, id);
      return { el: h('p', { class: 'hint', id }, t('ap_attachLater')), get: () => '' };
    case 'table': {
      const tbody = h('tbody');
      const rows = [];
      const add = () => {
        const cells = fd.columns.map((c, j) => ({ c, ctl: control(c, id + '-' + rows.length + '-' + j) }));
        const tr = h('tr', null, cells.map(({ c, ctl }) => h('td', { 'data-label': c.label }, ctl.el)),
          h('td', null, h('button', { type: 'button', class: 'icon-btn small', 'aria-label': t('ap_removeRow'), onclick: () => {
            rows.splice(rows.indexOf(row), 1);
            tr.remove();
          } }, '×')));
        const row = { cells, tr };
        rows.push(row);
        tbody.append(tr);
      };
      add();
      const el = h('div', { class: 'ap-rows', id }, h('table', { class: 'ap-table' }, h('thead', null, h('tr', null, fd.columns.map((c) => h('th', null, c.label)), h('th'))), tbody),
        h('button', { type: 'button', class: 'btn small', onclick: add }, t('ap_addRow')));
      return { el, get: () => rows.map((r) => Object.fromEntries(r.cells.map(({ c, ctl }) => [c.key, ctl.get()]).filter(([, v]) => v !== '' && !(Array.isArray(v) && !v.length)))).filter((r) => Object.keys(r).length) };
    }
  }
  const long = (fd.max_runes || 2000) > 100;
  const el = h(long ? 'textarea' : 'input', { id, type: long ? null : 'text', rows: long ? 3 : null, maxlength: fd.max_runes || 2000 });
  return { el, get: () => el.value.trim() };
}

