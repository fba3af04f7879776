// convinfo.js: conversation info (rename, mute, members, add, remove,
// leave) and read receipts (feature).

import { h, clear, icon, avatar, groupAvatar } from './dom.js';
import { t, errorText, memberCount, addStrings } from './i18n.js';
import * as S from './store.js';
import { dialog, confirmDialog } from './ui-base.js';
import { get, post, patch, put, del, enc } from './api.js';
import './picker.js';

addStrings({
  en: {
    startSecret: 'Start a secret chat',
    receipts: 'Read receipts',
    readBy: 'Read by {n}',
    notReadBy: 'Not read by {n}',
    groupName: 'Group name',
    rename: 'Rename',
    muteNotifications: 'Mute notifications',
    muteAll: 'Only owner and admins may post',
    addMembers: 'Add members',
    add: 'Add',
    leave: 'Leave group',
    leaveConfirm: 'Leave this group?',
    owner: 'Owner',
    admin: 'Admin',
    meTag: ' (you)',
  },
  zh: {
    startSecret: '发起密聊',
    receipts: '已读回执',
    readBy: '{n} 人已读',
    notReadBy: '{n} 人未读',
    groupName: '群名称',
    rename: '改名',
    muteNotifications: '消息免打扰',
    muteAll: '仅群主和管理员可发言',
    addMembers: '添加成员',
    add: '添加',
    leave: '退出群聊',
    leaveConfirm: '确定退出这个群聊？',
    owner: '群主',
    admin: '管理员',
    meTag: '（你）',
  },
});

// ---- calls that change a conversation ----

async function setMuted(id, on) {
  S.upsertConv(await put('/conversations/' + enc(id) + '/settings', { muted: !!on }));
}

async function renameConv(id, title) {
  S.upsertConv(await patch('/conversations/' + enc(id), { title }));
}
async function setMuteAll(id, on) {
  S.upsertConv(await patch('/conversations/' + enc(id), { mute_all: on }));
}
async function addMembers(id, userIDs) {
  const r = await post(`/conversations/${enc(id)}/members`, { user_ids: userIDs });
  if (r && r.members) S.setMembers(id, r.members);
  else await S.members(id, true);
}
async function removeMember(id, userID) {
  await del(`/conversations/${enc(id)}/members/${enc(userID)}`);
  const l = S.state.members.get(id);
  if (l) S.setMembers(id, l.filter((m) => m.user_id !== userID));
}
async function leaveConv(id) {
  await post(`/conversations/${enc(id)}/leave`);
  S.dropConv(id);
}

async function receipts(convID, seq) {
  const r = await get(`/conversations/${enc(convID)}/messages/${seq}/receipts`);
  S.rememberUsers([...(r.read || []), ...(r.unread || [])]);
  return r;
}

// ---- receipts ----

export async function openReceipts(convID, seq) {
  const readL = h('ul', { class: 'people' });
  const unreadL = h('ul', { class: 'people' });
  const readH = h('h3', null, t('readBy', { n: '…' }));
  const unreadH = h('h3', null, t('notReadBy', { n: '…' }));
  const d = dialog(t('receipts'), h('div', { class: 'receipts' }, h('section', { class: 'r-unread' }, unreadH, unreadL), h('section', { class: 'r-read' }, readH, readL)));
  const fill = async () => {
    try {
      const r = await receipts(convID, seq);
      const person = (u) => h('li', null, avatar(u.id, u.name), h('span', { class: 'grow' }, u.name));
      clear(readL).append(...(r.read || []).map(person));
      clear(unreadL).append(...(r.unread || []).map(person));
      readH.textContent = t('readBy', { n: r.read_count ?? (r.read || []).length });
      unreadH.textContent = t('notReadBy', { n: r.unread_count ?? (r.unread || []).length });
    } catch (e) {
      clear(readL).append(h('li', { class: 'error' }, errorText(e)));
    }
  };
  await fill();
  // Live: refresh while open when someone reads.
  const off = S.on('receipts', (id) => id === convID && d.open && fill());
  d.addEventListener('close', off);
}

// ---- conversation info ----

// openInfo shows a conversation's details. Controls are built once (so
// typing is never interrupted); members, title and roles update live.
export function openInfo(convID, nav) {
  const c0 = S.state.convs.get(convID);
  if (!c0) return;
  const group = c0.type === 'group';
  const err = h('p', { class: 'error', role: 'alert' });
  const run = async (fn) => {
    err.textContent = '';
    try {
      await fn();
    } catch (e) {
      err.textContent = errorText(e);
    }
  };
  const head = h('div', { class: 'info-head' });
  const body = h('div', { class: 'info stack' }, head);
  const d = dialog(group ? t('groupInfo') : t('chatInfo'), body);
  d.classList.add('info-dialog');

  let rename, renameInput, allRow, allBox, list, count, addSection, picker;
  let shownTitle = c0.title;
  if (group) {
    renameInput = h('input', { id: 'rename-input', type: 'text', value: c0.title, maxlength: '100', required: true });
    rename = h('form', { class: 'row' }, h('label', { for: 'rename-input', class: 'sr-only' }, t('groupName')), renameInput, h('button', { type: 'submit', class: 'btn' }, t('rename')));
    rename.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = renameInput.value.trim();
      if (v) run(() => renameConv(convID, v));
    });
    body.append(rename);
  }
  const gated = []; // [element, module] shown once the switchboard says so
  const mute = h('input', { type: 'checkbox', id: 'mute-check', checked: S.isMuted(convID) });
  mute.addEventListener('change', () => run(() => setMuted(convID, mute.checked)));
  body.append(h('label', { class: 'check', for: 'mute-check' }, mute, h('span', null, t('muteNotifications'))));
  if (c0.type === 'direct' && c0.peer_id && c0.peer_id !== S.state.me.id) {
    const secret = h('button', { type: 'button', class: 'btn', id: 'start-secret', hidden: true, onclick: () => run(async () => {
      const c = await S.createConversation('secret', [c0.peer_id], '');
      d.close();
      nav('/c/' + c.id);
    }) }, t('startSecret'));
    gated.push([secret, 'secret_chat']);
    body.append(secret);
  }
  if (group) {
    allBox = h('input', { type: 'checkbox', id: 'muteall-check', checked: !!c0.mute_all });
    allBox.addEventListener('change', () => run(() => setMuteAll(convID, allBox.checked)));
    allRow = h('label', { class: 'check', for: 'muteall-check' }, allBox, h('span', null, t('muteAll')));
    count = h('h3');
    list = h('ul', { class: 'people members' });
    picker = document.createElement('tack-picker');
    picker.exclude = new Set();
    const addBtn = h('button', { type: 'button', class: 'btn', id: 'add-members-btn', onclick: () => run(async () => {
      if (!picker.selected.length) return;
      await addMembers(convID, picker.selected);
      picker.reset();
    }) }, t('add'));
    addSection = h('details', { class: 'add-members' }, h('summary', null, t('addMembers')), picker, addBtn);
    const leave = h('button', { type: 'button', class: 'btn danger', id: 'leave-btn', onclick: async () => {
      if (!(await confirmDialog(t('leaveConfirm'), t('leave')))) return;
      await run(async () => {
        await leaveConv(convID);
        d.close();
        nav('/');
      });
    } }, icon('out'), t('leave'));
    const robots = h('button', { type: 'button', class: 'btn', id: 'robots-btn', hidden: true, onclick: () => import('./platform.js').then((m) => m.robotsDialog(convID, ['owner', 'admin'].includes(S.state.convs.get(convID).role))) }, t('robot'));
    gated.push([robots, 'robots']);
    body.append(allRow, count, list, addSection, h('div', { class: 'dialog-actions' }, robots, leave));
    // The organisation's retention or legal hold, if one applies.
    import('./export.js').then((m) => m.chatInfo(convID)).then((el) => el && (rename || head).after(el), () => {});
  }
  body.append(err);
  // Robots and secret chats show only where the organisations concerned
  // have them on (the module switchboard).
  if (gated.length) {
    get('/conversations/' + enc(convID) + '/modules').then((r) => r.modules || {}, () => ({})).then((m) => {
      for (const [el, mod] of gated) el.hidden = m[mod] === false;
      body.dataset.modules = 'ready';
    });
  }

  const render = () => {
    const c = S.state.convs.get(convID);
    if (!c) return d.close();
    const admin = c.role === 'owner' || c.role === 'admin';
    const title = S.convTitle(c);
    clear(head).append(group ? groupAvatar(c.id, title, S.faces(c), true) : avatar(c.peer_id, title, true), h('strong', null, title));
    if (!group) return;
    rename.hidden = !admin;
    allRow.hidden = !admin;
    addSection.hidden = !admin;
    allBox.checked = !!c.mute_all;
    // Follow renames unless the user is editing the field.
    if (document.activeElement !== renameInput && renameInput.value === shownTitle) renameInput.value = c.title;
    shownTitle = c.title;
    const ms = S.state.members.get(convID);
    if (!ms) S.members(convID).catch((e) => (err.textContent = errorText(e)));
    count.textContent = memberCount(c.member_count || (ms ? ms.length : 0));
    picker.exclude = new Set((ms || []).map((m) => m.user_id));
    clear(list);
    for (const m of ms || []) {
      const name = m.name || S.userName(m.user_id);
      const li = h('li', null, avatar(m.user_id, name), h('span', { class: 'grow' }, name, m.user_id === S.state.me.id ? t('meTag') : ''));
      if (m.role === 'owner' || m.role === 'admin') li.append(h('span', { class: 'role' }, t(m.role)));
      if (admin && m.user_id !== S.state.me.id && m.role !== 'owner') {
        li.append(h('button', { type: 'button', class: 'btn small', 'aria-label': t('remove') + ' ' + name, onclick: () => run(() => removeMember(convID, m.user_id)) }, t('remove')));
      }
      list.append(li);
    }
  };
  render();
  if (group) S.members(convID, true).catch((e) => (err.textContent = errorText(e)));
  const offs = [S.on('members', (id) => id === convID && render()), S.on('conv', (id) => id === convID && render()), S.on('users', render), S.on('removed', (id) => id === convID && d.close())];
  d.addEventListener('close', () => offs.forEach((f) => f()));
}
