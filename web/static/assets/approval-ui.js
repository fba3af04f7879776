// approval-ui.js: what the approval features share (审批, the request
// form, leave balances): their strings and stylesheet, calls, status chips,
// amounts, dates, errors in words, and a dialog that picks people.

import { h, css } from './dom.js';
import { t, addStrings, errorText, lang, locale } from './i18n.js';
import * as O from './org.js';
import { dialog } from './ui-base.js';
import { en, zh } from './approval-strings.js';
import './picker.js';

addStrings({
  en: { ...en, apErr_balance: 'Not enough leave left for that.', apErr_decided: 'Someone else has just decided this step.', apErr_ended: 'This request has ended.', apErr_state: 'That cannot be done now.',
    'f_form.start': 'start', 'f_form.end': 'end', 'f_form.leave_type': 'leave type', 'f_form.attachments': 'attachments', 'f_form.work_date': 'date', 'f_form.total': 'total', f_approvers: 'approvers', f_balance: 'balance', f_reason: 'reason', f_comment: 'comment', f_user_id: 'person' },
  zh: { ...zh, apErr_balance: '余额不足。', apErr_decided: '这一步刚刚已由他人处理。', apErr_ended: '申请已结束，无法操作。', apErr_state: '当前状态下无法这样做。',
    'f_form.start': '开始', 'f_form.end': '结束', 'f_form.leave_type': '请假类型', 'f_form.attachments': '附件', 'f_form.work_date': '补卡日期', 'f_form.total': '合计', f_approvers: '审批人', f_balance: '余额', f_reason: '原因', f_comment: '评论', f_user_id: '人员' },
});
await css(new URL('./approvals.css', import.meta.url));

export const ap = (m, p, b) => O.call(m, '/approvals' + p, b);
export const lv = (m, p, b) => O.call(m, '/leave' + p, b);

export const statusChip = (s) => h('span', { class: 'ap-status ap-' + s }, t('st_' + s));

// amount: "1.5 天" or "4 hours".
export const amount = (n, unit) => t('ap_amount', { n, u: t('unit_' + (unit || 'day')) });

// when: a time as people read it.
export const when = (iso) => new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));

// apError: an error of the approvals API in words (the server's English
// message in English; known cases in the catalogue otherwise).
export function apError(e) {
  if (lang === 'en' && e && e.message && e.code !== 'network' && e.code !== 'internal') return e.message;
  if (e && e.code === 'already_decided') return t('apErr_decided');
  if (e && e.code === 'conflict') {
    if (/^not enough/.test(e.message || '')) return t('apErr_balance');
    if (/^(the request is|only an approved)/.test(e.message || '')) return t('apErr_ended');
    return t('apErr_state');
  }
  if (e && e.code === 'invalid' && e.field && /^form\.[a-z_]+\[/.test(e.field)) return t('err_invalid');
  return errorText(e);
}

// pickPeople shows a people picker and resolves with [{id, name}] (one
// person when single), or [] when closed.
export function pickPeople(title, single) {
  return new Promise((resolve) => {
    const p = h('tack-picker', single ? { mode: 'single' } : null);
    let out = [];
    const ok = single ? null : h('button', { type: 'button', class: 'btn primary', id: 'pick-ok', onclick: () => {
      out = [...p.chosen].map(([id, name]) => ({ id, name }));
      d.close();
    } }, t('ap_ok'));
    const d = dialog(title, h('div', { class: 'stack' }, p, ok ? h('div', { class: 'dialog-actions' }, ok) : null));
    d.classList.add('ap-pick');
    p.addEventListener('pick', (e) => {
      out = [{ id: e.detail.id, name: e.detail.name }];
      d.close();
    });
    d.addEventListener('close', () => resolve(out));
    p.focus();
  });
}

// chips: the people picked, each removable.
export function chips(list, onchange) {
  const ul = h('ul', { class: 'chips' });
  const draw = () => {
    ul.replaceChildren(...list.map((u, i) => h('li', null, h('button', { type: 'button', class: 'chip', 'aria-label': t('remove') + ' ' + u.name, onclick: () => {
      list.splice(i, 1);
      draw();
      onchange && onchange();
    } }, u.name, ' ×'))));
  };
  draw();
  ul.redraw = draw;
  return ul;
}
