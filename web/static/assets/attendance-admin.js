// attendance-admin.js: 考勤管理 (feature), for the organisation's admins and
// sub-admins: attendance groups (fixed, scheduled, free; departments,
// places, office networks, field punches, the calendar), named shifts, the
// holiday calendar (with China's 2026 arrangement to add), schedules
// imported from a sheet, and monthly reports with CSV and XLSX downloads.

import { h, clear, css } from './dom.js';
import { t, addStrings, errorText, lang } from './i18n.js';
import { api, enc } from './api.js';
import * as O from './org.js';
import { page, dialog, confirmDialog, toast } from './ui-base.js';
import { en, zh } from './attendance-strings.js';

addStrings({ en, zh });
await Promise.all([css(new URL('./attendance.css', import.meta.url)), css(new URL('./admin.css', import.meta.url))]);

const call = (m, p, b) => O.call(m, '/attendance' + p, b);
const btn = (label, onclick, cls, id) => h('button', { type: 'button', class: 'btn small ' + (cls || ''), onclick, id }, label);
const field = (label, input) => h('label', { class: 'att-field' }, h('span', null, label), input);
const input = (id, type, value, attrs) => h('input', { id, type, value: value == null ? '' : String(value), ...attrs });
const table = (heads, rows) => h('div', { class: 'tbl-wrap' }, h('table', { class: 'tbl' },
  h('thead', null, h('tr', null, heads.map((x) => h('th', { scope: 'col' }, x)))),
  h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { dataset: { label: heads[i] } }, c)))))));

const TABS = { aa_groups: groups, aa_shifts: shifts, aa_calendar: calendar, aa_schedules: schedules, aa_reports: reports };

export function attendanceAdmin(root, nav) {
  const body = page(root, t('appAttendanceAdmin'), nav, { back: '/attendance' });
  if (!O.orgs.cur || !O.isAdmin()) return body.append(h('p', { class: 'chat-empty' }, t('err_forbidden')));
  if (O.orgs.cur.me.needs_2fa) return import('./admin2fa.js').then((m) => body.append(m.banner(nav)));
  const panel = h('div', { class: 'admin-panel', role: 'tabpanel', id: 'aa-panel' });
  const err = h('p', { class: 'error', role: 'alert', id: 'aa-error' });
  let cur = 'aa_groups';
  const x = {
    run: async (fn, done) => {
      err.textContent = '';
      try {
        const r = await fn();
        if (done) toast(done(r));
        show(cur);
        return true;
      } catch (e) {
        err.textContent = lang === 'en' && e.message && e.code === 'invalid' ? e.message : errorText(e);
        return false;
      }
    },
  };
  const bar = h('div', { class: 'tabs admin-tabs', role: 'tablist' }, Object.keys(TABS).map((k) => h('button', { type: 'button', role: 'tab', id: 'tab-' + k, onclick: () => show(k) }, t(k))));
  const show = async (k) => {
    cur = k;
    for (const b of bar.children) b.setAttribute('aria-selected', b.id === 'tab-' + k);
    const fresh = h('div');
    try {
      await TABS[k](fresh, x);
    } catch (e) {
      err.textContent = errorText(e);
    }
    if (cur === k) clear(panel).append(fresh);
  };
  body.append(bar, err, panel);
  show(cur);
}

const WD = () => Array.from({ length: 7 }, (_, i) => new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { weekday: 'short' }).format(new Date(2026, 2, 2 + i)));

async function groups(p, x) {
  const r = await call('GET', '/groups');
  const list = r.groups || [];
  p.append(h('div', { class: 'row' }, btn(t('aa_newGroup'), () => groupForm(null, x), 'primary', 'aa-new-group')),
    list.length ? table([t('aa_name'), t('aa_kind'), t('aa_shifts'), t('aa_placeName'), ''], list.map((g) => [g.name, t('k_' + g.kind),
      g.shift ? g.shift.pairs.map((q) => q.on + '–' + q.off).join(', ') : '', (g.places || []).map((q) => q.name).concat(g.networks || []).join(', '),
      h('span', { class: 'row' }, btn(t('aa_edit'), () => groupForm(g, x)),
        btn(t('aa_delete'), async () => (await confirmDialog(t('aa_deleteGroup', { g: g.name }), t('aa_delete'))) && x.run(() => call('DELETE', '/groups/' + enc(g.id))), 'danger'))]))
      : h('p', { class: 'hint' }, t('aa_noGroups')));
}

async function groupForm(g, x) {
  const { list } = await O.depts();
  const sh = (g && g.shift) || { on: '09:00', off: '18:00', flex_minutes: 0 };
  const pl = (g && g.places && g.places[0]) || { name: '', lat: '', lng: '', radius_m: 300 };
  const f = {
    name: input('aa-g-name', 'text', g ? g.name : '', { maxlength: 64, required: true }),
    kind: h('select', { id: 'aa-g-kind' }, ['fixed', 'scheduled', 'free'].map((k) => h('option', { value: k, selected: g ? g.kind === k : k === 'fixed' }, t('k_' + k)))),
    on: input('aa-g-on', 'time', sh.on),
    off: input('aa-g-off', 'time', sh.off),
    flex: input('aa-g-flex', 'number', sh.flex_minutes || 0, { min: 0, max: 240 }),
    place: input('aa-g-place', 'text', pl.name, { maxlength: 64 }),
    lat: input('aa-g-lat', 'number', pl.lat, { step: 'any' }),
    lng: input('aa-g-lng', 'number', pl.lng, { step: 'any' }),
    radius: input('aa-g-radius', 'number', pl.radius_m, { min: 100, max: 3000 }),
    nets: h('textarea', { id: 'aa-g-nets', rows: 2 }, ((g && g.networks) || []).join('\n')),
    field: input('aa-g-field', 'checkbox', '', { checked: !!(g && g.field_punch) }),
    follow: input('aa-g-follow', 'checkbox', '', { checked: g ? g.follow_calendar : true }),
  };
  const days = WD().map((w, i) => h('label', { class: 'att-chip' }, input('aa-g-wd' + (i + 1), 'checkbox', '', { checked: (g ? g.workdays : [1, 2, 3, 4, 5]).includes(i + 1) }), w));
  const depts = list.map((d) => h('label', { class: 'att-chip' }, input('aa-g-d-' + d.id, 'checkbox', '', { checked: !!(g && (g.department_ids || []).includes(d.id)), dataset: { id: d.id } }), d.name));
  const errEl = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'stack att-form', id: 'aa-group-form' },
    field(t('aa_name'), f.name), field(t('aa_kind'), f.kind),
    h('div', { class: 'row wrap' }, field(t('aa_on'), f.on), field(t('aa_off'), f.off), field(t('aa_flex'), f.flex)),
    h('fieldset', null, h('legend', null, t('aa_workdays')), h('div', { class: 'row wrap' }, days)),
    h('fieldset', null, h('legend', null, t('aa_depts')), h('div', { class: 'row wrap' }, depts)),
    h('div', { class: 'row wrap' }, field(t('aa_placeName'), f.place), field(t('aa_lat'), f.lat), field(t('aa_lng'), f.lng), field(t('aa_radius'), f.radius)),
    field(t('aa_networks'), f.nets),
    h('label', { class: 'row' }, f.field, t('aa_field')), h('label', { class: 'row' }, f.follow, t('aa_follow')),
    errEl, h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'aa-g-save' }, t('save'))));
  const d = dialog(t(g ? 'aa_editGroup' : 'aa_newGroup'), form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: f.name.value.trim(), kind: f.kind.value,
      workdays: days.map((l, i) => l.firstChild.checked && i + 1).filter(Boolean),
      department_ids: depts.map((l) => l.firstChild.checked && l.firstChild.dataset.id).filter(Boolean),
      places: f.place.value.trim() ? [{ name: f.place.value.trim(), lat: Number(f.lat.value), lng: Number(f.lng.value), radius_m: Number(f.radius.value) || 300 }] : [],
      networks: f.nets.value.split(/\s+/).filter(Boolean), field_punch: f.field.checked, follow_calendar: f.follow.checked,
    };
    if (body.kind !== 'free') body.shift = { on: f.on.value, off: f.off.value, flex_minutes: Number(f.flex.value) || 0 };
    try {
      await call(g ? 'PATCH' : 'POST', g ? '/groups/' + enc(g.id) : '/groups', body);
      d.close();
      x.run(() => 0);
    } catch (e2) {
      errEl.textContent = lang === 'en' && e2.message ? e2.message : errorText(e2);
    }
  });
}

async function shifts(p, x) {
  const r = await call('GET', '/shifts');
  const name = input('aa-s-name', 'text', '', { maxlength: 64, placeholder: t('aa_name'), 'aria-label': t('aa_name') });
  const on = input('aa-s-on', 'time', '09:00', { 'aria-label': t('aa_on') });
  const off = input('aa-s-off', 'time', '18:00', { 'aria-label': t('aa_off') });
  const form = h('form', { class: 'row wrap' }, name, on, off, h('button', { type: 'submit', class: 'btn primary', id: 'aa-s-create' }, t('aa_newShift')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (name.value.trim()) x.run(() => call('POST', '/shifts', { name: name.value.trim(), on: on.value, off: off.value }));
  });
  const list = r.shifts || [];
  p.append(form, list.length ? table([t('aa_name'), t('aa_shifts'), ''], list.map((s) => [s.name, s.pairs.map((q) => q.on + '–' + q.off).join(', '),
    btn(t('aa_delete'), () => x.run(() => call('DELETE', '/shifts/' + enc(s.id))), 'danger')])) : h('p', { class: 'hint' }, t('aa_noShifts')));
}

let year = new Date().getFullYear();

async function calendar(p, x) {
  const r = await call('GET', '/calendar?year=' + year);
  const ys = h('select', { id: 'aa-year', 'aria-label': t('aa_year') }, [year - 1, year, year + 1].map((y) => h('option', { value: y, selected: y === year }, String(y))));
  ys.addEventListener('change', () => {
    year = Number(ys.value);
    x.run(() => 0);
  });
  const date = input('aa-h-date', 'date', '', { 'aria-label': t('aa_date') });
  const kind = h('select', { id: 'aa-h-kind', 'aria-label': t('aa_hkind') }, ['holiday', 'workday'].map((k) => h('option', { value: k }, t('h_' + k))));
  const name = input('aa-h-name', 'text', '', { maxlength: 64, placeholder: t('aa_name'), 'aria-label': t('aa_name') });
  const add = h('form', { class: 'row wrap' }, date, kind, name, h('button', { type: 'submit', class: 'btn' }, t('aa_add')));
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    if (date.value) x.run(() => call('PUT', '/calendar', { holidays: [{ date: date.value, kind: kind.value, name: name.value.trim() }] }));
  });
  const list = r.holidays || [];
  p.append(h('div', { class: 'row wrap' }, ys, btn(t('aa_preset'), () => x.run(() => call('POST', '/calendar/presets/cn-2026'), (r2) => t('aa_presetDone', { n: (r2.holidays || []).length })), 'primary', 'aa-preset')),
    add, list.length ? table([t('aa_date'), t('aa_hkind'), t('aa_name'), ''], list.map((d) => [d.date, t('h_' + d.kind), d.name,
      btn(t('aa_remove'), () => x.run(() => call('PUT', '/calendar', { remove: [d.date] })), 'danger')])) : h('p', { class: 'hint', id: 'aa-no-holidays' }, t('aa_noHolidays')));
}

async function schedules(p, x) {
  const gs = ((await call('GET', '/groups')).groups || []).filter((g) => g.kind === 'scheduled');
  if (!gs.length) return p.append(h('p', { class: 'hint' }, t('aa_noScheduled')));
  const sel = h('select', { id: 'aa-sched-group', 'aria-label': t('aa_group') }, gs.map((g) => h('option', { value: g.id }, g.name)));
  const file = h('input', { type: 'file', id: 'aa-sched-file', accept: '.csv,.xlsx,text/csv' });
  file.addEventListener('change', () => {
    const f = file.files[0];
    if (!f) return;
    x.run(() => api('POST', `/orgs/${enc(O.orgs.cur.id)}/attendance/groups/${enc(sel.value)}/schedules/import?format=${/\.xlsx$/i.test(f.name) ? 'xlsx' : 'csv'}`, f), (r) => t('aa_schedDone', { n: r.count }));
  });
  p.append(h('div', { class: 'stack' }, field(t('aa_group'), sel), field(t('aa_schedFile'), file), h('p', { class: 'hint' }, t('aa_schedHint'))));
}

let reportMonth = new Date().toISOString().slice(0, 7);

async function reports(p, x) {
  const { list } = await O.depts();
  const m = input('aa-r-month', 'month', reportMonth, { 'aria-label': t('aa_month') });
  const dept = h('select', { id: 'aa-r-dept', 'aria-label': t('aa_depts') }, h('option', { value: '' }, t('aa_allDepts')), list.map((d) => h('option', { value: d.id }, d.name)));
  const out = h('div', { id: 'aa-report' });
  const base = () => `/api/v1/orgs/${enc(O.orgs.cur.id)}/attendance/reports/monthly?month=${enc(m.value)}${dept.value ? '&department_id=' + enc(dept.value) : ''}`;
  const dl = (fmt, id) => h('a', { class: 'btn small', id, href: '#', download: '' }, t(fmt === 'csv' ? 'aa_csv' : 'aa_xlsx'));
  const csv = dl('csv', 'aa-r-csv');
  const xlsx = dl('xlsx', 'aa-r-xlsx');
  const showIt = async () => {
    reportMonth = m.value;
    csv.href = base() + '&format=csv';
    xlsx.href = base() + '&format=xlsx';
    try {
      const r = await api('GET', base().slice('/api/v1'.length));
      const hours = (t2) => Object.values(t2.leave_minutes || {}).reduce((a, b) => a + b, 0) / 60;
      const row = (name, t2) => [name, String(t2.expected_days), String(t2.actual_days), String(t2.late_count), String(t2.early_count), String(t2.absent_days), String(t2.not_signed), hours(t2).toFixed(1)];
      clear(out).append(table([t('rc_name'), t('rc_expected'), t('rc_actual'), t('rc_late'), t('rc_early'), t('rc_absent'), t('rc_notSigned'), t('rc_leave')],
        [...(r.rows || []).map((x2) => row(x2.name, x2)), row(t('rc_total'), r.total)]));
    } catch (e) {
      clear(out).append(h('p', { class: 'error' }, errorText(e)));
    }
  };
  p.append(h('div', { class: 'row wrap' }, m, dept, btn(t('aa_show'), showIt, 'primary', 'aa-r-show'), csv, xlsx), out);
  showIt();
}
