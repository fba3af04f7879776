// reports.js: 日志, work reports (feature): received (opening one marks it
// read; comments), sent (who read it), writing one from a template (to
// colleagues chosen with the people picker or, by default, one's manager),
// who submitted today (every member sees it) and one's own reminder: daily
// or weekly, at a time and on days of one's choosing.

import { h, clear, css } from './dom.js';
import { t, errorText, formatFull } from './i18n.js';
import './circle-strings.js';
import * as S from './store.js';
import * as O from './org.js';
import { page, toast } from './ui-base.js';
import './picker.js';

await css(new URL('./moments.css', import.meta.url));

const names = (ids) => h('ul', { class: 'an-who' }, ids.map((u) => h('li', { 'data-uid': u }, S.userName(u))));

// reportsPage is /workbench/reports; its tabs are drawn in place.
export function reportsPage(root, nav, tab = 'received', id = '') {
  clear(root);
  const go = (tb, x) => reportsPage(root, nav, tb, x);
  const body = page(root, t('rpTitle'), id ? () => go(tab) : nav, { back: '/workbench' });
  if (!O.orgs.cur) return body.append(h('p', { class: 'chat-empty' }, t('rpNoOrg')));
  const off = S.on('users', () => {
    if (!body.isConnected) return off();
    for (const el of body.querySelectorAll('[data-uid]')) el.textContent = S.userName(el.dataset.uid);
  });
  const btn = (name, label) => h('button', { type: 'button', class: ['btn', 'small', tab === name && 'primary'], id: 'rp-tab-' + name, 'aria-pressed': String(tab === name), onclick: () => go(name) }, t(label));
  body.append(h('div', { class: 'ding-tabs', role: 'group' }, btn('received', 'rpReceived'), btn('sent', 'rpSent'), btn('new', 'rpNew'), btn('stats', 'rpStats')));
  if (id) return one(body, id);
  if (tab === 'new') return write(body, go);
  if (tab === 'stats') return stats(body);
  const list = h('ul', { class: 'mm-list', id: 'rp-list' });
  body.append(list);
  O.call('GET', '/reports?box=' + tab).then((r) => {
    if (!r.reports.length) list.append(h('li', { class: 'empty' }, t('rpNone')));
    for (const x of r.reports) {
      const read = x.recipients.filter((p) => p.read_at).length;
      list.append(h('li', { class: 'an-item', 'data-id': x.id },
        h('a', { href: '/workbench/reports', class: 'an-link', onclick: (e) => { e.preventDefault(); go(tab, x.id); } },
          h('span', { 'data-uid': x.author_id }, S.userName(x.author_id)), ' · ', x.period),
        h('span', { class: 'an-tags' }, h('span', { class: 'an-tag' }, x.kind), tab === 'sent' && h('span', { class: 'an-count' }, t('rpReadBy', { n: read, m: x.recipients.length })))));
    }
  }).catch((e) => toast(errorText(e)));
}

async function one(body, id) {
  let r;
  try {
    r = await O.call('GET', '/reports/' + encodeURIComponent(id));
  } catch (e) {
    return toast(errorText(e));
  }
  const comments = h('ul', { class: 'mm-comments', id: 'rp-comments' }, (r.comments || []).map((c) => h('li', null, h('b', { 'data-uid': c.author_id }, S.userName(c.author_id)), ': ', c.text)));
  const input = h('input', { type: 'text', class: 'mm-cinput', id: 'rp-cinput', maxlength: '500', 'aria-label': t('rpComment'), placeholder: t('rpComment') });
  const send = async (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    try {
      const c = await O.call('POST', '/reports/' + encodeURIComponent(id) + '/comments', { text: input.value });
      comments.append(h('li', null, h('b', null, S.userName(c.author_id)), ': ', c.text));
      input.value = '';
    } catch (err) { toast(errorText(err)); }
  };
  const read = r.recipients.filter((p) => p.read_at).map((p) => p.user_id);
  body.append(h('article', { class: 'an-one', id: 'rp-one' },
    h('p', { class: 'hint' }, h('span', { 'data-uid': r.author_id }, S.userName(r.author_id)), ' · ', formatFull(new Date(r.created_at))),
    r.answers.filter((a) => a.value).map((a) => h('section', null, h('h4', null, a.label), h('p', { class: 'mm-text' }, a.value))),
    h('p', { class: 'hint', id: 'rp-read' }, t('rpReadBy', { n: read.length, m: r.recipients.length })), names(read),
    comments, h('form', { class: 'mm-cform', onsubmit: send }, input, h('button', { type: 'submit', class: 'btn small' }, t('rpSend')))));
}

async function write(body, go) {
  const ts = (await O.call('GET', '/report-templates').catch(() => ({ templates: [] }))).templates;
  const sel = h('select', { id: 'rp-template', 'aria-label': t('rpTemplate') }, ts.map((x) => h('option', { value: x.id }, x.name)));
  const fields = h('div', { class: 'stack' });
  const draw = () => {
    clear(fields);
    const tp = ts.find((x) => x.id === sel.value);
    for (const [i, f] of (tp ? tp.fields : []).entries()) fields.append(h('label', { class: 'stack' }, f.label + (f.required ? ' *' : ''), h('textarea', { rows: '3', 'data-label': f.label, id: 'rp-f' + i })));
  };
  sel.addEventListener('change', draw);
  draw();
  const to = h('tack-picker', { id: 'rp-to' });
  to.exclude = new Set([S.state.me.id]);
  const submit = async (e) => {
    e.preventDefault();
    const answers = {};
    for (const ta of fields.querySelectorAll('textarea')) answers[ta.dataset.label] = ta.value;
    const ids = to.selected;
    try {
      await O.call('POST', '/reports', { template_id: sel.value, answers, to: ids });
      go('sent');
    } catch (err) { toast(errorText(err)); }
  };
  body.append(h('form', { class: 'mm-form stack', id: 'rp-form', onsubmit: submit }, h('label', null, t('rpTemplate'), ' ', sel), fields,
    h('fieldset', { class: 'mm-pick' }, h('legend', null, t('rpTo')), to),
    h('button', { type: 'submit', class: 'btn primary', id: 'rp-submit' }, t('rpSubmit'))));
}

async function stats(body) {
  try {
    const s = await O.call('GET', '/reports/stats?kind=daily');
    body.append(h('section', { class: 'an-receipts', id: 'rp-stats' }, h('h4', null, t('rpSubmitted', { n: s.submitted.length })), names(s.submitted),
      h('h4', null, t('rpMissing', { n: s.missing.length })), names(s.missing)));
    const rm = await O.call('GET', '/report-reminder');
    const at = h('input', { type: 'time', id: 'rp-at', value: rm.at, 'aria-label': t('rpRemind') });
    const on = h('input', { type: 'checkbox', id: 'rp-on', checked: rm.on });
    const kind = h('select', { id: 'rp-kind', 'aria-label': t('rpKind') }, ['daily', 'weekly'].map((k) => h('option', { value: k }, t(k === 'daily' ? 'rpDaily' : 'rpWeekly'))));
    kind.value = rm.kind === 'weekly' ? 'weekly' : 'daily';
    // Days 1 (Monday) to 7 (Sunday); a weekly reminder starts on Friday.
    const days = h('div', { class: 'mm-friends', id: 'rp-days' }, [1, 2, 3, 4, 5, 6, 7].map((d) => h('label', { class: 'mm-friend' },
      h('input', { type: 'checkbox', 'data-day': String(d), checked: rm.days.includes(d) }), ' ', t('rpDay' + d))));
    kind.addEventListener('change', () => {
      for (const b of days.querySelectorAll('input')) b.checked = kind.value === 'weekly' ? b.dataset.day === '5' : +b.dataset.day <= 5;
    });
    const save = async (e) => {
      e.preventDefault();
      const ds = [...days.querySelectorAll('input:checked')].map((b) => +b.dataset.day);
      try {
        await O.call('PUT', '/report-reminder', { kind: kind.value, at: at.value, days: ds, time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', on: on.checked });
        toast(t('rpSaved'));
      } catch (err) { toast(errorText(err)); }
    };
    body.append(h('form', { class: 'mm-form stack', id: 'rp-remind', onsubmit: save }, h('label', null, on, ' ', t('rpRemindOn')),
      h('label', null, t('rpKind'), ' ', kind), h('label', null, t('rpRemind'), ' ', at), days, h('p', { class: 'hint' }, t('rpQuiet')),
      h('button', { type: 'submit', class: 'btn', id: 'rp-save' }, t('rpSave'))));
  } catch (e) { toast(errorText(e)); }
}
