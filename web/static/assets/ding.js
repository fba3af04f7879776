// ding.js: DING (feature): urgent messages to colleagues with confirmations.
// Three views: received (confirm with 收到), sent (who confirmed and who not,
// live, and a reminder for the rest) and the composer (people, text,
// channels, an optional time and a reason for quiet hours).

import { h, clear, avatar, css } from './dom.js';
import { t, addStrings, errorText, formatFull } from './i18n.js';
import * as S from './store.js';
import * as O from './org.js';
import { page, toast } from './ui-base.js';
import './picker.js';

addStrings({
  en: {
    dingTitle: 'DING', dingReceived: 'Received', dingSent: 'Sent', dingNew: 'New DING', dingNone: 'No DINGs here.',
    dingConfirm: 'Got it', dingConfirmed: 'Confirmed', dingCount: '{n} of {m} confirmed', dingWaiting: 'Waiting for', dingDone: 'Confirmed by',
    dingRemind: 'Remind the rest', dingReminded: 'Reminded.', dingText: 'Message', dingChannels: 'Also reach them by',
    dingPush: 'Push', dingEmail: 'Email (after 5 min)', dingSMS: 'Text message (after that)', dingCall: 'Phone call (last)', dingAt: 'Send later (optional)',
    dingReason: 'Reason (required for people in quiet hours; shown to them)', dingSend: 'Send DING', dingTo: 'To', dingNobody: 'Choose at least one person.',
    dingSettings: 'Rules', dingSenders: 'Who may send DINGs', dingEveryone: 'Everyone', dingAdmins: 'Admins only', dingListed: 'Admins and {n} chosen people', dingQuota: 'DINGs into quiet hours per person per day',
    dingEscalate: 'Minutes before the next channel', rcpPolicy: 'Read receipts', rcpOff: 'Off', rcpChoice: 'Each person decides', rcpOn: 'On for everyone', dingSave: 'Save', dingSaved: 'Saved.',
    dingQuiet: 'Sent in quiet hours', dingBecause: 'Why now: {r}', dingScheduled: 'Scheduled for {d}', dingFrom: 'DING from {a}: {x}', dingNoOrg: 'Join an organisation to send DINGs.',
  },
  zh: {
    dingTitle: 'DING消息', dingReceived: '收到的', dingSent: '发出的', dingNew: '发DING', dingNone: '暂无DING。',
    dingConfirm: '收到', dingConfirmed: '已确认', dingCount: '{n}/{m} 人已确认', dingWaiting: '未确认', dingDone: '已确认',
    dingRemind: '再次提醒未确认的人', dingReminded: '已提醒。', dingText: '内容', dingChannels: '同时通过',
    dingPush: '推送通知', dingEmail: '邮件（5 分钟未确认后）', dingSMS: '短信（之后仍未确认）', dingCall: '电话（最后）', dingAt: '定时发送（可选）',
    dingReason: '原因（对方在免打扰时段时必填，会显示给对方）', dingSend: '发送DING', dingTo: '发给', dingNobody: '请至少选择一人。',
    dingSettings: '规则', dingSenders: '谁可以发DING', dingEveryone: '所有成员', dingAdmins: '仅管理员', dingListed: '管理员和指定的 {n} 人', dingQuota: '每人每天可向免打扰时段发DING的次数',
    dingEscalate: '未确认多少分钟后升级到下一渠道', rcpPolicy: '已读回执', rcpOff: '关闭', rcpChoice: '由个人决定', rcpOn: '全员开启', dingSave: '保存', dingSaved: '已保存。',
    dingQuiet: '在免打扰时段发出', dingBecause: '原因：{r}', dingScheduled: '定时于 {d}', dingFrom: '{a} 的DING：{x}', dingNoOrg: '加入组织后才能发DING。',
  },
});
await css(new URL('./ding.css', import.meta.url));

const dings = new Map(); // id -> view
let shown = null; // {box, list, render}

S.on('ding', (ev) => {
  const d = ev.ding;
  if (!d) return;
  dings.set(d.id, d);
  if (ev.action === 'sent' && d.sender_id !== S.state.me.id) toast(t('dingFrom', { a: S.userName(d.sender_id), x: d.text }));
  if (shown && shown.list.isConnected) shown.render();
});
S.on('users', () => shown && shown.list.isConnected && shown.render());

// dingPage is /ding (received), /ding/sent and /ding/new.
export function dingPage(root, nav, arg) {
  const body = page(root, t('dingTitle'), nav, { back: '/workbench' });
  if (!O.orgs.cur) {
    body.append(h('p', { class: 'chat-empty' }, t('dingNoOrg')));
    return;
  }
  const admin = ['owner', 'admin'].includes(O.role());
  const box = ['sent', 'new'].includes(arg) || (arg === 'rules' && admin) ? arg : 'received';
  const tab = (name, label) => h('button', { type: 'button', class: ['btn', 'small', box === name && 'primary'], id: 'ding-tab-' + name, 'aria-pressed': String(box === name), onclick: () => nav(name === 'received' ? '/ding' : '/ding/' + name, true) }, t(label));
  body.append(h('div', { class: 'ding-tabs', role: 'group' }, tab('received', 'dingReceived'), tab('sent', 'dingSent'), tab('new', 'dingNew'), admin && tab('rules', 'dingSettings')));
  if (box === 'new') return composer(body, nav);
  if (box === 'rules') return rules(body);
  const list = h('ul', { class: 'ding-list', id: 'ding-list', 'aria-live': 'polite' });
  body.append(list);
  let ids = [];
  const render = () => {
    clear(list);
    if (!ids.length) list.append(h('li', { class: 'empty' }, t('dingNone')));
    for (const id of ids) list.append(card(dings.get(id), box));
  };
  shown = { box, list, render: () => {
    // A DING sent to me (or by me) that arrived live joins the list.
    for (const d of dings.values()) {
      const ok = box === 'sent' ? d.sender_id === S.state.me.id : d.recipients.some((r) => r.user_id === S.state.me.id);
      if (ok && d.sent && !ids.includes(d.id)) ids.unshift(d.id);
    }
    render();
  } };
  O.call('GET', '/dings?box=' + box).then((r) => {
    for (const d of r.dings) dings.set(d.id, d);
    ids = r.dings.map((d) => d.id);
    render();
  }).catch((e) => list.append(h('li', { class: 'error' }, errorText(e))));
}

function card(d, box) {
  const me = S.state.me.id;
  const li = h('li', { class: 'ding-card', id: 'ding-' + d.id });
  const from = S.userName(d.sender_id);
  li.append(h('div', { class: 'ding-head' }, avatar(d.sender_id, from), h('strong', null, from), h('time', { datetime: d.send_at }, formatFull(new Date(d.send_at)))));
  li.append(h('p', { class: 'ding-text' }, d.text));
  if (d.reason) li.append(h('p', { class: 'ding-reason' }, t('dingBecause', { r: d.reason })));
  if (!d.sent) li.append(h('p', { class: 'hint' }, t('dingScheduled', { d: formatFull(new Date(d.send_at)) })));
  const count = h('p', { class: 'ding-count' }, t('dingCount', { n: d.confirmed.length, m: d.recipients.length }));
  li.append(count);
  if (box === 'sent') {
    const names = (ids) => ids.map((id) => h('li', null, S.userName(id)));
    li.append(h('div', { class: 'ding-who' },
      h('span', null, t('dingDone')), h('ul', { class: 'chips done', id: 'ding-done-' + d.id }, names(d.confirmed)),
      h('span', null, t('dingWaiting')), h('ul', { class: 'chips wait', id: 'ding-wait-' + d.id }, names(d.unconfirmed))));
    if (d.sent && d.unconfirmed.length) {
      li.append(h('button', { type: 'button', class: 'btn small', id: 'ding-remind-' + d.id, onclick: (e) => act(d, 'remind', e.target, t('dingReminded')) }, t('dingRemind')));
    }
  } else if (d.unconfirmed.includes(me)) {
    li.append(h('button', { type: 'button', class: 'btn primary', id: 'ding-confirm-' + d.id, onclick: (e) => act(d, 'confirm', e.target) }, t('dingConfirm')));
  } else {
    li.append(h('p', { class: 'ding-ok' }, '✓ ' + t('dingConfirmed')));
  }
  return li;
}

async function act(d, what, btn, done) {
  btn.disabled = true;
  try {
    const v = await O.call('POST', '/dings/' + encodeURIComponent(d.id) + '/' + what, {});
    dings.set(v.id, v);
    if (done) toast(done);
    shown && shown.render();
  } catch (e) {
    btn.disabled = false;
    toast(errorText(e));
  }
}

function composer(body, nav) {
  const picker = document.createElement('tack-picker');
  picker.exclude = new Set([S.state.me.id]);
  const text = h('textarea', { id: 'ding-text', rows: '3', maxlength: '1000', required: true });
  const check = (id, label, on) => h('label', { class: 'check', for: id }, h('input', { type: 'checkbox', id, checked: on }), h('span', null, t(label)));
  const at = h('input', { type: 'datetime-local', id: 'ding-at' });
  const reason = h('input', { type: 'text', id: 'ding-reason', maxlength: '200' });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'stack ding-form', id: 'ding-form' },
    h('h3', null, t('dingTo')), picker,
    h('label', { for: 'ding-text' }, t('dingText')), text,
    h('fieldset', { class: 'stack' }, h('legend', null, t('dingChannels')), check('ding-push', 'dingPush', true), check('ding-email', 'dingEmail', false), check('ding-sms', 'dingSMS', false), check('ding-call', 'dingCall', false)),
    h('label', { for: 'ding-at' }, t('dingAt')), at,
    h('label', { for: 'ding-reason' }, t('dingReason')), reason,
    err, h('button', { type: 'submit', class: 'btn primary', id: 'ding-send' }, t('dingSend')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (!picker.selected.length) return (err.textContent = t('dingNobody'));
    const channels = ['push', 'email', 'sms', 'call'].filter((c) => form.querySelector('#ding-' + c).checked);
    const in_ = { user_ids: picker.selected, text: text.value, channels, reason: reason.value };
    if (at.value) in_.send_at = new Date(at.value).toISOString();
    try {
      const v = await O.call('POST', '/dings', in_);
      dings.set(v.id, v);
      nav('/ding/sent', true);
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  body.append(form);
}

// rules is the organisation's DING and read-receipt settings (admins).
function rules(body) {
  const sel = (id, opts) => h('select', { id }, opts.map(([v, l]) => h('option', { value: v }, t(l))));
  const senders = sel('ding-senders', [['everyone', 'dingEveryone'], ['admins', 'dingAdmins']]);
  const receipts = sel('ding-receipts', [['off', 'rcpOff'], ['choice', 'rcpChoice'], ['on', 'rcpOn']]);
  const quota = h('input', { type: 'number', id: 'ding-quota', min: '0', max: '50' });
  const esc = h('input', { type: 'number', id: 'ding-escalate', min: '1', max: '1440' });
  const err = h('p', { class: 'error', role: 'alert' });
  let cur = {};
  const form = h('form', { class: 'stack ding-form', id: 'ding-rules' },
    h('label', { for: 'ding-senders' }, t('dingSenders')), senders, h('label', { for: 'ding-quota' }, t('dingQuota')), quota,
    h('label', { for: 'ding-escalate' }, t('dingEscalate')), esc, h('label', { for: 'ding-receipts' }, t('rcpPolicy')), receipts,
    err, h('button', { type: 'submit', class: 'btn primary', id: 'ding-rules-save' }, t('dingSave')));
  O.call('GET', '/ding-settings').then((v) => {
    cur = v;
    if (v.senders === 'listed') senders.append(h('option', { value: 'listed' }, t('dingListed', { n: v.sender_ids.length })));
    senders.value = v.senders;
    receipts.value = v.receipts;
    quota.value = v.quiet_quota;
    esc.value = v.escalate_after_min;
  }).catch((e) => (err.textContent = errorText(e)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      cur = await O.call('PUT', '/ding-settings', { ...cur, senders: senders.value, receipts: receipts.value, quiet_quota: +quota.value, escalate_after_min: +esc.value });
      toast(t('dingSaved'));
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  body.append(form);
}
