// attendance.js: 考勤打卡 (feature): today's shift and checks, the distance
// to the nearest place, one big button that punches (the position from the
// browser's geolocation; without it, the office network), a field punch with
// a note where the group allows it, my month as a calendar (a colour per
// result; a day opens with the rule that judged it) and who looked at my
// attendance. The server's time counts, never this device's.

import { h, clear, css, append } from './dom.js';
import { t, addStrings, errorText, lang, locale } from './i18n.js';
import * as O from './org.js';
import { page, dialog, toast, link, narrow } from './ui-base.js';
import { en, zh } from './attendance-strings.js';

addStrings({ en, zh });
await css(new URL('./attendance.css', import.meta.url));

const call = (m, p, b) => O.call(m, '/attendance' + p, b);

// Distances and times, as people read them.
export const dist = (m) => (m < 1000 ? `${Math.round(m)} ${lang === 'zh' ? '米' : 'm'}` : `${(m / 1000).toFixed(1)} ${lang === 'zh' ? '公里' : 'km'}`);
export const hm = (min) => `${Math.floor(min / 60)}:${String(min % 60).padStart(2, '0')}`;
const clock = (iso, tz) => new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: tz || undefined }).format(new Date(iso));

function haversine(a, b) {
  const r = Math.PI / 180;
  const x = Math.sin(((b.lat - a.lat) * r) / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lng - a.lng) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(x)));
}

// nearest: the group's nearest place to pos, with its distance.
function nearest(group, pos) {
  let best = null;
  for (const p of group.places || []) {
    const d = haversine(pos, p);
    if (!best || d < best.d) best = { p, d };
  }
  return best;
}

// result: a check's result in words, with minutes.
export function resultText(c) {
  if (!c.time_result) return t('att_notYet');
  let s = t('tr_' + c.time_result);
  if (c.time_result === 'Late' || c.time_result === 'SeriousLate' || c.time_result === 'Absenteeism') s += ' · ' + t('att_late', { n: c.minutes || 0 });
  if (c.time_result === 'Early') s += ' · ' + t('att_early', { n: c.minutes || 0 });
  if (c.approve_type) s += ' · ' + t('ds_' + (c.approve_type === 'correction' ? 'normal' : c.approve_type)) + (c.leave_type ? ` (${c.leave_type})` : '');
  if (c.location_result === 'Outside') s += ' · ' + t('tr_Outside');
  return s;
}

const cls = (c) => (c.time_result === 'Normal' ? 'ok' : c.time_result ? 'bad' : 'none');

// planText: the day's shift or why it is not worked.
export function planText(p) {
  if (p.kind === 'rest') return p.reason === 'holiday' ? t('att_holiday', { h: p.holiday }) : t('att_rest');
  if (p.kind === 'free') return t('att_free', { m: hm(p.expected_minutes) });
  const s = t('att_shift', { s: p.shift });
  return p.reason === 'makeup_workday' ? s + ' · ' + t('att_makeup', { h: p.holiday }) : s;
}

// ruleText: what judged a day.
export function ruleText(p) {
  const lines = [t('att_rule', { g: p.group_name, v: p.version, s: planText(p), z: p.time_zone })];
  if (p.kind === 'work') lines.push(t('att_thresholds', { f: p.flex_minutes || 0, sl: p.serious_late_minutes, al: p.absent_late_minutes }));
  return lines;
}

function checkRow(c, tz) {
  return h('li', { class: 'att-check ' + cls(c) },
    h('span', { class: 'att-ct' }, t(c.check_type === 'OnDuty' ? 'att_onDuty' : 'att_offDuty'), ' ', clock(c.base_check_time, tz)),
    h('span', { class: 'att-ut' }, c.user_check_time && c.time_result !== 'NotSigned' ? clock(c.user_check_time, tz) : ''),
    h('span', { class: 'att-res' }, resultText(c)),
    c.place ? h('span', { class: 'att-where' }, c.place + (c.distance_m != null ? ` (${dist(c.distance_m)})` : '')) : null);
}

export function attendancePage(root, nav) {
  const body = page(root, t('att_title'), nav, { back: narrow() ? '/workbench' : '/' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('att_noOrg')));
  const today = h('section', { class: 'att-today', 'aria-live': 'polite' });
  const month = h('section', { class: 'att-month' });
  const links = h('div', { class: 'row wrap att-links' },
    h('button', { type: 'button', class: 'btn', id: 'att-views', onclick: views }, t('att_views')),
    O.isAdmin() ? link('/attendance/admin', nav, { class: 'btn', id: 'att-admin' }, t('att_admin')) : null);
  body.append(today, month, links);
  const st = { pos: null, posErr: '', last: null, skew: 0 };
  let cur = new Date();
  const load = async () => {
    try {
      const d = await call('GET', '/today');
      st.day = d;
      st.skew = new Date(d.now) - Date.now();
      renderToday();
    } catch (e) {
      clear(today).append(h('p', { class: 'error', role: 'alert' }, errorText(e)));
    }
  };
  const locate = () => new Promise((res) => {
    if (!navigator.geolocation) return res(null);
    navigator.geolocation.getCurrentPosition((p) => {
      st.pos = { lat: p.coords.latitude, lng: p.coords.longitude, acc: p.coords.accuracy };
      st.posErr = '';
      res(st.pos);
    }, (e) => {
      st.pos = null;
      st.posErr = e.code === 1 ? t('att_denied') : t('att_unavailable', { m: e.message || e.code });
      res(null);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
  function renderToday() {
    const d = st.day;
    clear(today);
    if (!d.in_group) return today.append(h('p', { class: 'chat-empty', id: 'att-nogroup' }, t('att_noGroup')));
    const g = d.group;
    const day = d.day;
    const tz = day.plan.time_zone;
    const next = (day.checks || []).find((c) => !c.user_check_time && c.check_type === 'OnDuty') ? 'att_punchOn' : 'att_punchOff';
    const where = h('p', { class: 'att-distance', id: 'att-distance' });
    if (!(g.places || []).length) where.textContent = t('att_noPlaces');
    else if (st.pos) {
      const n = nearest(g, st.pos);
      where.textContent = n.d <= n.p.radius_m ? t('att_inside', { p: n.p.name, d: dist(n.d) }) : t('att_distance', { p: n.p.name, d: dist(n.d), r: n.p.radius_m });
      where.classList.toggle('far', n.d > n.p.radius_m);
    } else where.textContent = st.posErr || t('att_locating');
    // The server's clock, which judges the punch, not this device's.
    const now = () => clock(new Date(Date.now() + st.skew).toISOString(), tz);
    const shown = h('span', { class: 'att-now', id: 'att-now' }, now());
    const btn = h('button', { type: 'button', class: 'att-btn', id: 'att-punch', onclick: () => punch(btn) }, h('strong', null, t(next)), shown);
    const tick = setInterval(() => (shown.isConnected ? (shown.textContent = now()) : clearInterval(tick)), 10000);
    append(today, [
      h('div', { class: 'att-head' }, h('strong', { id: 'att-group' }, g.name), h('span', { class: 'hint', id: 'att-plan' }, `${day.work_date} · ${planText(day.plan)}`)),
      h('ul', { class: 'att-checks', id: 'att-checks' }, (day.checks || []).map((c) => checkRow(c, tz))),
      btn, where,
      st.last ? h('div', { class: 'att-result ' + cls(st.last), id: 'att-result', role: 'status' },
        h('p', null, t('att_done', { c: t(st.last.check_type === 'OnDuty' ? 'att_onDuty' : 'att_offDuty'), t: clock(st.last.user_check_time, tz), r: resultText(st.last) })),
        st.last.place ? h('p', { class: 'hint' }, t('att_place', { p: st.last.place + (st.last.distance_m != null ? ` (${dist(st.last.distance_m)})` : '') })) : null,
        ruleText({ ...day.plan, ...planOfRule(st.last.rule) }).map((l) => h('p', { class: 'hint' }, l))) : null]);
  }
  // The punch answer names its rule; show it as a plan.
  const planOfRule = (r) => ({ group_name: r.group_name, version: r.version, kind: r.day, reason: r.reason, holiday: r.holiday, shift: r.shift, time_zone: r.time_zone,
    flex_minutes: r.flex_minutes, serious_late_minutes: r.serious_late_minutes, absent_late_minutes: r.absent_late_minutes });
  async function punch(btn, note) {
    btn.disabled = true;
    btn.firstChild.textContent = t('att_punching');
    const g = st.day.group;
    let body = {};
    if ((g.places || []).length) {
      const p = await locate();
      if (p) body = { lat: p.lat, lng: p.lng, accuracy_m: Math.round(p.acc * 10) / 10 };
      else if (!(g.networks || []).length) {
        renderToday();
        return toast(st.posErr);
      } else toast(t('att_network'));
    }
    if (note) body.note = note;
    try {
      st.last = await call('POST', '/punches', body);
      await load();
      loadMonth();
    } catch (e) {
      renderToday();
      // Outside with field punches allowed: the server asks for a note.
      if (e.code === 'invalid' && e.field === 'note' && st.pos && !note) return fieldNote(btn);
      toast(outsideText(e, g));
    }
  }
  const outsideText = (e, g) => {
    if (e.code === 'outside_area' && st.pos && lang !== 'en') {
      const n = nearest(g, st.pos);
      if (n) return t('att_outside', { p: n.p.name, d: dist(n.d), r: n.p.radius_m });
    }
    return lang === 'en' && e.message && (e.code === 'outside_area' || e.code === 'not_in_window' || e.code === 'invalid') ? e.message : errorText(e);
  };
  function fieldNote(btn) {
    const input = h('textarea', { id: 'att-note', rows: 3, maxlength: 500, required: true });
    const form = h('form', { class: 'stack' }, h('label', { for: 'att-note' }, t('att_fieldNote')), input,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn primary', id: 'att-note-ok' }, t('att_fieldTitle'))));
    const d = dialog(t('att_fieldTitle'), form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!input.value.trim()) return input.focus();
      d.close();
      punch(btn, input.value.trim());
    });
    input.focus();
  }
  async function loadMonth() {
    const ym = `${cur.getFullYear()}-${String(cur.getMonth() + 1).padStart(2, '0')}`;
    try {
      renderMonth(await call('GET', '/month?month=' + ym), ym);
    } catch (e) {
      clear(month).append(h('p', { class: 'error' }, errorText(e)));
    }
  }
  function renderMonth(m, ym) {
    const [y, mo] = ym.split('-').map(Number);
    const first = new Date(y, mo - 1, 1);
    const days = new Date(y, mo, 0).getDate();
    const byDate = new Map((m.days || []).map((d) => [d.work_date, d]));
    const todayStr = (st.day && st.day.day && st.day.day.work_date) || new Date().toISOString().slice(0, 10);
    const title = new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'long' }).format(first);
    const wk = Array.from({ length: 7 }, (_, i) => new Intl.DateTimeFormat(locale(), { weekday: 'narrow' }).format(new Date(2026, 2, 2 + i)));
    const cells = [];
    for (let i = 0; i < (first.getDay() + 6) % 7; i++) cells.push(h('span', { class: 'att-cell empty', 'aria-hidden': 'true' }));
    for (let n = 1; n <= days; n++) {
      const date = `${ym}-${String(n).padStart(2, '0')}`;
      const d = byDate.get(date);
      // Days ahead show only what is known of them (leave, rest).
      const s = !d || (d.summary.status === 'open' && date > todayStr) ? '' : d.summary.status;
      cells.push(h('button', { type: 'button', class: 'att-cell ' + (s ? 'st-' + s : ''), dataset: { date }, disabled: !d, 'aria-label': `${date} ${s ? t('ds_' + s) : ''}`, onclick: () => d && dayDialog(d) },
        h('span', { class: 'att-n' }, String(n)), s ? h('span', { class: 'att-s' }, t('ds_' + s)) : null));
    }
    const tot = m.totals;
    clear(month).append(
      h('div', { class: 'att-mhead' },
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('att_prev'), onclick: () => { cur = new Date(y, mo - 2, 1); loadMonth(); } }, '‹'),
        h('h3', { id: 'att-month-title' }, t('att_month') + ' · ' + title),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('att_next'), onclick: () => { cur = new Date(y, mo, 1); loadMonth(); } }, '›')),
      h('div', { class: 'att-grid', id: 'att-grid' }, wk.map((w) => h('span', { class: 'att-wd' }, w)), cells),
      h('p', { class: 'hint', id: 'att-totals' }, t('att_totals', { d: tot.actual_days, e: tot.expected_days, l: tot.late_count, r: tot.early_count, a: tot.absent_days, n: tot.not_signed })));
  }
  function dayDialog(d) {
    const s = d.summary;
    const tz = d.plan.time_zone;
    const facts = [t('att_expected', { h: hm(s.expected_minutes) }), t('att_worked', { h: hm(s.worked_minutes) })];
    for (const [k, v] of Object.entries(s.leave_minutes || {})) facts.push(t('att_leave', { k, h: hm(v) }));
    if (s.overtime_minutes) facts.push(t('att_overtime', { h: hm(s.overtime_minutes) }));
    dialog(`${d.work_date} · ${t('ds_' + s.status)}`,
      h('div', { class: 'stack att-day', id: 'att-day' },
        h('p', null, planText(d.plan)),
        h('ul', { class: 'att-checks' }, (d.checks || []).map((c) => checkRow(c, tz))),
        h('p', { class: 'hint' }, facts.join(lang === 'zh' ? '；' : '; ')),
        ruleText(d.plan).map((l) => h('p', { class: 'hint att-rule' }, l)),
        (d.checks || []).filter((c) => c.source_type).map((c) => h('p', { class: 'hint' }, `${t(c.check_type === 'OnDuty' ? 'att_onDuty' : 'att_offDuty')}: ${t('att_source_' + c.source_type)}`))));
  }
  async function views() {
    const r = await call('GET', '/views?limit=50').catch((e) => toast(errorText(e)));
    if (!r) return;
    const list = r.views || [];
    dialog(t('att_views'), list.length ? h('ul', { class: 'people att-viewlist', id: 'att-viewlist' }, list.map((v) => h('li', null,
      h('strong', null, v.viewer_name), ' ',
      h('span', { class: 'hint' }, `${new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(v.at))} · ${t('att_viewWhat', { w: t(['records', 'month', 'report', 'locations'].includes(v.what) ? 'vw_' + v.what : 'vw_other'), f: v.from, t: v.to })}`))))
      : h('p', { class: 'hint' }, t('att_noViews')));
  }
  load().then(async () => {
    // The month of the server's today (its clock counts, not this one's).
    const wd = st.day && st.day.day && st.day.day.work_date;
    if (wd) cur = new Date(Number(wd.slice(0, 4)), Number(wd.slice(5, 7)) - 1, 1);
    loadMonth();
    // Show the distance at once where the browser already lets us know
    // the position; otherwise ask when the button is pressed.
    if (st.day && st.day.in_group && (st.day.group.places || []).length && navigator.permissions) {
      const p = await navigator.permissions.query({ name: 'geolocation' }).catch(() => null);
      if (p && p.state === 'granted' && (await locate())) renderToday();
    }
  });
}
