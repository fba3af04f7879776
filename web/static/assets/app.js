// app.js: start-up, routing (/ and /c/<conversation id>), the tab title,
// desktop notifications, and the two-pane / phone layout switch.

import { h, clear, $ } from './dom.js';
import { t, onLang } from './i18n.js';
import { onUnauthorized } from './api.js';
import * as S from './store.js';
import { renderAuth } from './ui-auth.js';
import { ListView } from './ui-list.js';
import { ChatView, previewText } from './ui-chat.js';

const root = $('#app');
let list = null;
let chat = null;
let shell = null;

function route() {
  const m = location.pathname.match(/^\/c\/([^/]+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

let goingBack = false;

function nav(path, replace) {
  if (goingBack) return;
  // Going back to the list from a chat opened from the list is a history
  // step back, so the browser's back button and ours agree.
  if (path === '/' && route() && history.state && history.state.fromList) {
    goingBack = true;
    history.back();
    return;
  }
  if (location.pathname !== path) history[replace ? 'replaceState' : 'pushState']({ fromList: !route() && path !== '/' }, '', path);
  apply();
}

function apply() {
  if (!shell) return;
  const id = route();
  shell.classList.toggle('in-chat', !!id);
  list.setCurrent(id);
  S.state.current = id;
  chat.open(id);
  updateTitle();
}

function updateTitle() {
  const n = S.totalUnread();
  const c = S.state.current && S.state.convs.get(S.state.current);
  const base = c ? `${S.convTitle(c)} · ${t('app')}` : t('app');
  document.title = n ? `(${n > 99 ? '99+' : n}) ${base}` : base;
}

function showMain() {
  clear(root);
  const side = h('aside', { class: 'sidebar' });
  const main = h('div', { class: 'chat' });
  shell = h('div', { class: 'shell' }, side, main);
  root.append(shell);
  list = new ListView(side, nav, signOut);
  chat = new ChatView(main, nav);
  S.startStream();
  apply();
}

async function signOut() {
  await S.signOut();
  showAuth();
}

function showAuth() {
  S.reset();
  shell = list = chat = null;
  if (location.pathname !== '/' && !route()) history.replaceState(null, '', '/');
  renderAuth(root, showMain);
}

function notify(m) {
  if (!document.hidden) return;
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (S.isMuted(m.conversation_id)) return;
  const c = S.state.convs.get(m.conversation_id);
  if (!c) return;
  const title = c.type === 'group' ? S.convTitle(c) : t('notifyNewFrom', { a: S.userName(m.sender_id) });
  try {
    const n = new Notification(title, { body: previewText(m, c).slice(0, 200), tag: c.id, lang: document.documentElement.lang });
    n.onclick = () => {
      window.focus();
      nav('/c/' + c.id);
      n.close();
    };
  } catch {}
}

async function boot() {
  S.on('convs', updateTitle);
  S.on('incoming', notify);
  S.on('signedout', () => showAuth());
  onUnauthorized(() => {
    if (shell) showAuth();
  });
  onLang(() => {
    if (list) {
      list.relabel();
      chat.relabel();
      updateTitle();
    } else if (!shell) {
      // The auth screen re-renders itself.
    }
  });
  window.addEventListener('popstate', () => {
    goingBack = false;
    apply();
  });
  let me;
  for (let i = 0; ; i++) {
    try {
      me = await S.loadMe();
      break;
    } catch (e) {
      clear(root).append(h('p', { class: 'boot-error', role: 'alert' }, t('err_network')));
      await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * 2 ** i)));
    }
  }
  if (me) showMain();
  else showAuth();
}

boot();
