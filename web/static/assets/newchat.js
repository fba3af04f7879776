// newchat.js: the new-chat dialog (feature): a direct chat with one
// person, or a group of several, picked by name, pinyin or initials.

import { h } from './dom.js';
import { t, errorText, addStrings } from './i18n.js';
import * as S from './store.js';
import { dialog } from './ui-base.js';
import './picker.js';

addStrings({
  en: { direct: 'Direct chat', group: 'New group', groupName: 'Group name', createGroup: 'Create group' },
  zh: { direct: '单聊', group: '新建群聊', groupName: '群名称', createGroup: '创建群聊' },
});

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

