// app.js: start-up, routing (/, /c/<conversation id>, /contacts, /admin,
// /join/<code>), the tab title,
// desktop notifications, and the two-pane / phone layout switch.

import { h, clear, $ } from './dom.js';
import { t, onLang } from './i18n.js';
import { onUnauthorized } from './api.js';
import * as S from './store.js';
import { renderAuth } from './ui-auth.js';
import { ListView } from './ui-list.js';
import { ChatView, previewText } from './ui-chat.js';
import { orgBar, directory, joinPage } from './ui-org.js';
import { adminPage } from './ui-admin.js';
import { orgs } from './org.js';

const root = $('#app');
let list = null;
let chat = null;
let shell = null;
let main = null;
let pageEl = null;
let bar = null;
let shownPage = '';
const PAGES = { contacts: directory, admin: adminPage, join: (el, nav, code) => joinPage(el, code, nav) };

function route() {
  const m = location.pathname.match(/^\/c\/([^/]+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function pageRoute() {
  const m = location.pathname.match(/^\/(contacts|admin|join)(?:\/([^/]+))?$/);
  return m && (m[1] !== 'join' || m[2]) ? { name: m[1], arg: m[2] && decodeURIComponent(m[2]) } : null;
}

let goingBack = false;

function nav(path, replace) {
  if (goingBack) return;
  // Going back to the list from a chat opened from the list is a history
  // step back, so the browser's back button and ours agree.
  if (path === '/' && location.pathname !== '/' && history.state && history.state.fromList) {
    goingBack = true;
    history.back();
    return;
  }
  if (location.pathname !== path) history[replace ? 'replaceState' : 'pushState']({ fromList: location.pathname === '/' && path !== '/' }, '', path);
  apply();
}

function apply() {
  if (!shell) return;
  const id = route();
  const pg = pageRoute();
  shell.classList.toggle('in-chat', !!(id || pg));
  list.setCurrent(id);
  S.state.current = id;
  chat.open(id);
  main.hidden = !!pg;
  pageEl.hidden = !pg;
  // A page is built again when its path or the chosen organisation changes.
  const key = !pg ? '' : pg.name === 'join' ? location.pathname : orgs.loaded ? location.pathname + '|' + (orgs.cur && orgs.cur.id) : 'wait';
  if (key !== shownPage) {
    shownPage = key;
    clear(pageEl);
    if (key !== 'wait' && pg) PAGES[pg.name](pageEl, nav, pg.arg);
  }
  for (const a of bar.querySelectorAll('.side-link')) a.toggleAttribute('aria-current', location.pathname === a.getAttribute('href'));
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
  main = h('div', { class: 'chat' });
  pageEl = h('main', { class: 'page', hidden: true });
  shell = h('div', { class: 'shell' }, side, main, pageEl);
  root.append(shell);
  list = new ListView(side, nav, signOut);
  bar = orgBar(nav);
  list.navEl.before(bar);
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
  if (location.pathname !== '/' && !route() && !location.pathname.startsWith('/join/')) history.replaceState(null, '', '/');
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
  S.on('orgs', apply);
  S.on('incoming', notify);
  S.on('signedout', () => showAuth());
  onUnauthorized(() => {
    if (shell) showAuth();
  });
  onLang(() => {
    if (list) {
      list.relabel();
      chat.relabel();
      bar.off();
      const b = orgBar(nav);
      bar.replaceWith(b);
      bar = b;
      shownPage = '';
      apply();
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
