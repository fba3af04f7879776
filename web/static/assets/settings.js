// settings.js: 我, the signed-in person's page (feature): who I am, the
// language, notifications on this device (Web Push where the browser has
// it, else desktop notifications, not on phones), whether they show the
// message text, and signing out; rows into account and security and
// privacy (account.js), and the invitations addressed to a verified login.

import { h, avatar, css, icon } from './dom.js';
import { t, addStrings, languages, lang, setLang, errorText } from './i18n.js';
import * as S from './store.js';
import * as P from './push.js';
import { page, link } from './ui-base.js';
import { get, put } from './api.js';

addStrings({
  en: {
    notifyOn: 'Desktop notifications are on.',
    notifyOff: 'Desktop notifications are blocked in this browser’s settings.',
    pushSwitch: 'Notifications on this device',
    pushHint: 'New messages, @mentions, DING and approvals, also when Tack is closed.',
    pushBlocked: 'Notifications are blocked in this browser’s settings: allow them there first.',
    pushFailed: 'Notifications could not be turned on here: {e}',
    hideReceipts: 'Hide my read receipts', hideReceiptsHint: 'Where your organisation lets you choose. Then you see no one\'s either.',
    pushQuiet: 'Notify me of messages in quiet hours', pushQuietHint: 'Off: messages wait quietly until your quiet hours end. DINGs still reach you.',
    previewsSwitch: 'Show message text in notifications',
    previewsHint: 'Off: a notification says who wrote, never what. On every device.',
    meSecurity: 'Account and security',
    mePrivacy: 'Privacy',
    meData: 'My data',
    meUnverified: 'Not verified',
  },
  zh: {
    notifyOn: '桌面通知已开启。',
    notifyOff: '桌面通知已在浏览器设置中关闭。',
    pushSwitch: '在此设备上接收通知',
    pushHint: '新消息、@我、DING 和审批都会通知你，Tack 关闭时也会。',
    pushBlocked: '通知已在浏览器设置中被禁止，请先在那里允许。',
    pushFailed: '无法在此设备开启通知：{e}',
    hideReceipts: '隐藏我的已读状态', hideReceiptsHint: '在组织允许个人选择时生效；隐藏后你也看不到别人的已读状态。',
    pushQuiet: '免打扰时段也通知新消息', pushQuietHint: '关闭时，免打扰时段内的消息不推送；DING 仍会送达。',
    previewsSwitch: '通知中显示消息内容',
    previewsHint: '关闭时，通知只说明是谁发来的，不显示内容。对所有设备生效。',
    meSecurity: '账号与安全',
    mePrivacy: '隐私',
    meData: '我的数据',
    meUnverified: '未验证',
  },
});
await Promise.all([css(new URL('./pages.css', import.meta.url)), css(new URL('./account.css', import.meta.url))]);

// toggle is a labelled switch: a checkbox with role switch.
function toggle(id, label, hint, checked, onchange) {
  const box = h('input', { type: 'checkbox', role: 'switch', id, checked, 'aria-describedby': id + '-hint' });
  const note = h('p', { class: 'hint', id: id + '-hint' }, hint);
  box.addEventListener('change', () => onchange(box, note));
  return h('div', { class: 'toggle' }, h('label', { for: id }, label), box, note);
}

function pushRows() {
  const rows = [];
  const busy = (box, fn) => async () => {
    box.disabled = true;
    try {
      await fn();
    } finally {
      box.disabled = false;
    }
  };
  rows.push(toggle('me-push', t('pushSwitch'), t('pushHint'), P.enabled(), (box, note) => busy(box, async () => {
    note.textContent = t('pushHint');
    try {
      if (!box.checked) return await P.disable();
      const perm = await P.enable();
      if (perm !== 'granted') {
        box.checked = false;
        if (perm === 'denied') note.textContent = t('pushBlocked');
      }
    } catch (e) {
      box.checked = false;
      note.textContent = t('pushFailed', { e: e.code ? errorText(e) : e.message || String(e) });
    }
  })()));
  const prev = toggle('me-previews', t('previewsSwitch'), t('previewsHint'), false, (box, note) => busy(box, async () => {
    try {
      box.checked = await P.setPreviews(box.checked);
    } catch (e) {
      box.checked = !box.checked;
      note.textContent = errorText(e);
    }
  })());
  const pbox = prev.querySelector('input');
  pbox.disabled = true;
  P.previews().then((on) => {
    pbox.checked = on;
    pbox.disabled = false;
  }, () => {});
  rows.push(prev);
  return rows;
}

export function settingsPage(root, nav, signOut) {
  const body = page(root, t('tabMe'), nav, { tab: true });
  const me = S.state.me;
  const sel = h('select', { id: 'me-lang' }, languages.map(([v, l]) => h('option', { value: v, selected: v === lang }, l)));
  sel.addEventListener('change', () => setLang(sel.value));
  const rows = [h('div', { class: 'field' }, h('label', { for: 'me-lang' }, t('language')), sel)];
  if (P.supported()) rows.push(...pushRows());
  else if ('Notification' in window && !matchMedia('(pointer: coarse)').matches) {
    const state = () => h('p', { class: 'hint' }, t(Notification.permission === 'granted' ? 'notifyOn' : 'notifyOff'));
    const ask = h('button', { type: 'button', class: 'btn', onclick: async () => {
      await Notification.requestPermission().catch(() => {});
      if (Notification.permission !== 'default') ask.replaceWith(state());
    } }, t('notifyEnable'));
    rows.push(Notification.permission === 'default' ? ask : state());
  }
  const mine = { hide_receipts: false, push_in_quiet: false };
  const pref = (id, key, label, hint) => {
    const row = toggle(id, t(label), t(hint), false, async (box, note) => {
      box.disabled = true;
      try {
        Object.assign(mine, await put('/me/ding-settings', { ...mine, [key]: box.checked }));
      } catch (e) {
        box.checked = !box.checked;
        note.textContent = errorText(e);
      }
      box.disabled = false;
    });
    rows.push(row);
    return row.querySelector('input');
  };
  const boxes = [pref('me-hide-receipts', 'hide_receipts', 'hideReceipts', 'hideReceiptsHint'), pref('me-push-quiet', 'push_in_quiet', 'pushQuiet', 'pushQuietHint')];
  get('/me/ding-settings').then((v) => {
    Object.assign(mine, v);
    boxes[0].checked = !!v.hide_receipts;
    boxes[1].checked = !!v.push_in_quiet;
  }, () => {});
  // The menu, as 钉钉 and 微信 have it: a row per page, with a chevron.
  const chev = () => h('span', { class: 'ac-chev' }, icon('back'));
  const menu = h('nav', { class: 'ac-card me-menu' },
    link('/me/security', nav, { class: 'ac-row', id: 'me-security' }, h('span', { class: 'grow' }, t('meSecurity')), me.verified || me.verified_at ? null : h('span', { class: 'ac-tag warn' }, t('meUnverified')), chev()),
    link('/me/privacy', nav, { class: 'ac-row', id: 'me-privacy' }, h('span', { class: 'grow' }, t('mePrivacy')), chev()),
    link('/me/data', nav, { class: 'ac-row', id: 'me-data' }, h('span', { class: 'grow' }, t('meData')), chev()));
  const invites = h('div');
  // Invitations addressed to my login show once it is verified.
  if (me.verified || me.verified_at) import('./account.js').then((m) => invites.append(m.invites(nav))).catch(() => {});
  body.append(h('div', { class: 'me-card' }, avatar(me.id, me.name, true), h('div', { class: 'grow' }, h('strong', { class: 'p-name' }, me.name), h('span', { class: 'p-sub' }, me.login || ''))), menu, invites,
    h('div', { class: 'stack settings' }, ...rows, h('button', { type: 'button', class: 'btn danger wide', id: 'me-sign-out', onclick: signOut }, t('signOut'))));
}
