// ui-dialogs.js: modal dialogs (new chat, conversation info, receipts,
// confirm) and the toast line.

import { h, clear, icon, avatar } from './dom.js';
import { t, errorText, memberCount } from './i18n.js';
import * as S from './store.js';
import './picker.js';

export function dialog(labelText, ...content) {
  const id = 'dlg-' + Math.random().toString(36).slice(2, 8);
  const close = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('close'), onclick: () => d.close() }, icon('close'));
  const d = h('dialog', { class: 'dialog', 'aria-labelledby': id }, h('header', { class: 'dialog-head' }, h('h2', { id }, labelText), close), ...content);
  d.addEventListener('close', () => d.remove());
  d.addEventListener('click', (e) => {
    if (e.target === d) d.close();
  });
  document.body.append(d);
  d.showModal();
  return d;
}

let toastTimer = 0;
export function toast(text) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'alert' });
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

export function confirmDialog(text, okLabel) {
  return new Promise((resolve) => {
    let ok = false;
    const okBtn = h('button', { type: 'button', class: 'btn danger', dataset: { confirm: '1' }, onclick: () => {
      ok = true;
      d.close();
    } }, okLabel);
    const d = dialog(text, h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => d.close() }, t('cancel')), okBtn));
    d.classList.add('confirm');
    d.addEventListener('close', () => resolve(ok));
    okBtn.focus();
  });
}

// ask shows a one-field form; fn gets the trimmed value and may throw (the
// error is shown and the dialog stays).
export function ask(title, label, value, okLabel, fn) {
  const input = h('input', { id: 'ask-input', type: 'text', value: value || '', maxlength: '64', required: true, autocomplete: 'off' });
  const err = h('p', { class: 'error', role: 'alert' });
  const ok = h('button', { type: 'submit', class: 'btn primary' }, okLabel);
  const form = h('form', { class: 'stack' }, h('label', { for: 'ask-input' }, label), input, err, h('div', { class: 'dialog-actions' }, ok));
  const d = dialog(title, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return input.focus();
    ok.disabled = true;
    try {
      await fn(v);
      d.close();
    } catch (x) {
      err.textContent = errorText(x);
    } finally {
      ok.disabled = false;
    }
  });
  input.focus();
}

// ---- new chat ----

export function openNewChat(nav) {
  const err = h('p', { class: 'error', role: 'alert' });
  const tabDirect = h('button', { type: 'button', role: 'tab', id: 'tab-direct', 'aria-selected': 'true', 'aria-controls': 'panel-direct' }, t('direct'));
  const tabGroup = h('button', { type: 'button', role: 'tab', id: 'tab-group', 'aria-selected': 'false', 'aria-controls': 'panel-group', tabindex: '-1' }, t('group'));

  const single = document.createElement('tack-picker');
  single.setAttribute('mode', 'single');
  single.addEventListener('pick', async (e) => {
    try {
      const c = await S.createConversation('direct', [e.detail.id], '');
      d.close();
      nav('/c/' + c.id);
    } catch (x) {
      err.textContent = errorText(x);
    }
  });
  const panelDirect = h('div', { role: 'tabpanel', id: 'panel-direct', 'aria-labelledby': 'tab-direct' }, single);

  const title = h('input', { id: 'group-title', type: 'text', maxlength: '100', autocomplete: 'off', required: true });
  const multi = document.createElement('tack-picker');
  const create = h('button', { type: 'submit', class: 'btn primary' }, t('createGroup'));
  const form = h('form', { class: 'stack' }, h('label', { for: 'group-title' }, t('groupName')), title, multi, h('div', { class: 'dialog-actions' }, create));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!title.value.trim()) return title.focus();
    create.disabled = true;
    try {
      const c = await S.createConversation('group', multi.selected, title.value.trim());
      d.close();
      nav('/c/' + c.id);
    } catch (x) {
      err.textContent = errorText(x);
    } finally {
      create.disabled = false;
    }
  });
  const panelGroup = h('div', { role: 'tabpanel', id: 'panel-group', 'aria-labelledby': 'tab-group', hidden: true }, form);

  const select = (group) => {
    tabDirect.setAttribute('aria-selected', String(!group));
    tabGroup.setAttribute('aria-selected', String(group));
    tabDirect.tabIndex = group ? -1 : 0;
    tabGroup.tabIndex = group ? 0 : -1;
    panelDirect.hidden = group;
    panelGroup.hidden = !group;
    (group ? title : single).focus();
  };
  tabDirect.onclick = () => select(false);
  tabGroup.onclick = () => select(true);
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, tabDirect, tabGroup);
  tabs.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const g = tabDirect.getAttribute('aria-selected') === 'true';
      select(g);
      (g ? tabGroup : tabDirect).focus();
    }
  });
  const d = dialog(t('newChat'), tabs, panelDirect, panelGroup, err);
  d.classList.add('new-chat');
  single.focus();
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
      const r = await S.receipts(convID, seq);
      const person = (u) => h('li', null, avatar(u.id, u.name), h('span', null, u.name));
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
      if (v) run(() => S.renameConv(convID, v));
    });
    body.append(rename);
  }
  const mute = h('input', { type: 'checkbox', id: 'mute-check', checked: S.isMuted(convID) });
  mute.addEventListener('change', () => run(() => S.setMuted(convID, mute.checked)));
  body.append(h('label', { class: 'check', for: 'mute-check' }, mute, h('span', null, t('muteNotifications'))));
  if (group) {
    allBox = h('input', { type: 'checkbox', id: 'muteall-check', checked: !!c0.mute_all });
    allBox.addEventListener('change', () => run(() => S.setMuteAll(convID, allBox.checked)));
    allRow = h('label', { class: 'check', for: 'muteall-check' }, allBox, h('span', null, t('muteAll')));
    count = h('h3');
    list = h('ul', { class: 'people members' });
    picker = document.createElement('tack-picker');
    picker.exclude = new Set();
    const addBtn = h('button', { type: 'button', class: 'btn', id: 'add-members-btn', onclick: () => run(async () => {
      if (!picker.selected.length) return;
      await S.addMembers(convID, picker.selected);
      picker.reset();
    }) }, t('add'));
    addSection = h('details', { class: 'add-members' }, h('summary', null, t('addMembers')), picker, addBtn);
    const leave = h('button', { type: 'button', class: 'btn danger', id: 'leave-btn', onclick: async () => {
      if (!(await confirmDialog(t('leaveConfirm'), t('leave')))) return;
      await run(async () => {
        await S.leaveConv(convID);
        d.close();
        nav('/');
      });
    } }, icon('out'), t('leave'));
    body.append(allRow, count, list, addSection, h('div', { class: 'dialog-actions' }, leave));
  }
  body.append(err);

  const render = () => {
    const c = S.state.convs.get(convID);
    if (!c) return d.close();
    const admin = c.role === 'owner' || c.role === 'admin';
    const title = S.convTitle(c);
    clear(head).append(avatar(group ? c.id : c.peer_id, title, true), h('strong', null, title));
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
      const li = h('li', null, avatar(m.user_id, name), h('span', { class: 'grow' }, name, m.user_id === S.state.me.id ? ` (${t('you')})` : ''));
      if (m.role === 'owner' || m.role === 'admin') li.append(h('span', { class: 'role' }, t(m.role)));
      if (admin && m.user_id !== S.state.me.id && m.role !== 'owner') {
        li.append(h('button', { type: 'button', class: 'btn small', 'aria-label': t('remove') + ' ' + name, onclick: () => run(() => S.removeMember(convID, m.user_id)) }, t('remove')));
      }
      list.append(li);
    }
  };
  render();
  if (group) S.members(convID, true).catch((e) => (err.textContent = errorText(e)));
  const offs = [S.on('members', (id) => id === convID && render()), S.on('conv', (id) => id === convID && render()), S.on('users', render), S.on('removed', (id) => id === convID && d.close())];
  d.addEventListener('close', () => offs.forEach((f) => f()));
}
