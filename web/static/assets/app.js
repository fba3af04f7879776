// app.js: start-up, routing (/, /c/<conversation id>, /contacts, /admin,
// /workbench, /me[/security|password|devices|privacy], /join/<code>, /attendance[/admin], /approvals[/<id>|new|admin], /leave), the tab title, desktop notifications, and
// the layout: two panes on a desktop; on a phone one screen at a time, with
// a tab bar (消息 / 通讯录 / 工作台 / 我) on the top-level screens.
//
// This and the modules it imports statically are the shell, the first
// load. Every other screen is a feature module loaded on first use (see
// lazy.js); the open conversation's view loads once the list shows
// (loadChat).

import { h, clear, icon, $ } from './dom.js';
import { t, onLang, lang, errorText } from './i18n.js';
import { onUnauthorized } from './api.js';
import * as S from './store.js';
import { ListView, previewText } from './ui-list.js';
import { link, narrow } from './ui-base.js';
import { feature } from './lazy.js';
import { orgs, setOrgs, loadOrgs, forget as forgetOrgs } from './org.js';

const root = $('#app');
let list = null;
let chat = null;
let shell = null;
let main = null;
let pageEl = null;
let tabbar = null;
let shownPage = '';

// Pages: each is a feature module's function, given its element.
const PAGES = {
  contacts: (el, nav) => feature('directory').then((m) => m.directory(el, nav)),
  admin: (el, nav) => feature('admin').then((m) => m.adminPage(el, nav)),
  join: (el, nav, code) => feature('join').then((m) => m.joinPage(el, code, nav)),
  workbench: (el, nav) => feature('workbench').then((m) => m.workbench(el, nav)),
  me: (el, nav, arg) => (arg ? feature('account').then((m) => m.accountPage(el, nav, arg)) : feature('settings').then((m) => m.settingsPage(el, nav, signOut))),
  attendance: (el, nav, arg) => (arg === 'admin' ? feature('attendanceAdmin').then((m) => m.attendanceAdmin(el, nav)) : feature('attendance').then((m) => m.attendancePage(el, nav))),
  approvals: (el, nav, arg) => (arg === 'new' ? feature('approvalForm').then((m) => m.approvalForm(el, nav)) : arg === 'admin' ? feature('approvalsAdmin').then((m) => m.approvalsAdmin(el, nav)) : feature('approvals').then((m) => m.approvalsPage(el, nav, arg))),
  leave: (el, nav) => feature('leave').then((m) => m.leavePage(el, nav)),
  platform: (el, nav) => feature('platform').then((m) => m.platformPage(el, nav)),
  ding: (el, nav, arg) => feature('ding').then((m) => m.dingPage(el, nav, arg)),
};
// Top-level screens: on a phone they show the tab bar.
const TABS = [
  ['/', 'tabChats', 'chat'],
  ['/contacts', 'tabContacts', 'people'],
  ['/workbench/moments', 'tabMoments', 'ring'],
  ['/workbench', 'tabWork', 'grid'],
  ['/me', 'tabMe', 'user'],
];

function route() {
  const m = location.pathname.match(/^\/c\/([^/]+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function pageRoute() {
  const m = location.pathname.match(/^\/(contacts|admin|join|workbench|me|attendance|approvals|leave|platform|ding)(?:\/([^/]+))?$/);
  return m && (m[1] !== 'join' || m[2]) ? { name: m[1], arg: m[2] && decodeURIComponent(m[2]) } : null;
}

let goingBack = false;

function nav(path, replace) {
  if (goingBack) return;
  // Going back to the list from a chat opened from the list is a history
  // step back, so the browser's back button (and gesture) and ours agree.
  if (path === '/' && location.pathname !== '/' && history.state && history.state.fromList) {
    goingBack = true;
    history.back();
    return;
  }
  // Switching tabs replaces the entry: back leaves the app's top level.
  const tab = TABS.some(([p]) => p === path) && TABS.some(([p]) => p === location.pathname);
  if (location.pathname !== path) history[replace || tab ? 'replaceState' : 'pushState']({ fromList: !tab && location.pathname === '/' && path !== '/' }, '', path);
  apply();
}

function apply() {
  if (!shell) return;
  const id = route();
  const pg = pageRoute();
  shell.classList.toggle('in-chat', !!(id || pg));
  shell.classList.toggle('tabbed', !id && (!pg || ['contacts', 'workbench', 'me'].includes(pg.name) && (!pg.arg || pg.arg == 'moments')));
  list.setCurrent(id);
  S.state.current = id;
  // A search result opens its message in context: /c/<id>#m<seq>.
  const found = id && location.hash.match(/^#m(\d+)$/);
  if (chat) {
    const opening = chat.open(id);
    if (found) opening.then(() => feature('search')).then((m) => m.reveal(chat, +found[1]), () => {});
  } else loadChat();
  main.hidden = !!pg;
  pageEl.hidden = !pg;
  // A page is built again when its path or the chosen organisation changes.
  const key = !pg ? '' : pg.name === 'join' || pg.name === 'me' ? location.pathname : orgs.loaded ? location.pathname + '|' + (orgs.cur && orgs.cur.id) : 'wait';
  if (key !== shownPage) {
    shownPage = key;
    clear(pageEl);
    // A page that fails to build says so (not a blank page).
    if (key !== 'wait' && pg) PAGES[pg.name](pageEl, nav, pg.arg).catch((e) => shownPage === key && (console.error(e), pageEl.append(h('p', { class: 'chat-empty' }, errorText(e)))));
  }
  for (const a of shell.querySelectorAll('.side-link, .tab')) a.toggleAttribute('aria-current', location.pathname === a.getAttribute('href'));
  updateTitle();
}

function updateTitle() {
  const n = S.totalUnread();
  const c = S.state.current && S.state.convs.get(S.state.current);
  const base = c ? `${S.convTitle(c)} · ${t('app')}` : t('app');
  document.title = n ? `(${n > 99 ? '99+' : n}) ${base}` : base;
  const badge = tabbar && tabbar.querySelector('.badge');
  if (badge) {
    badge.hidden = !n;
    badge.textContent = n > 99 ? '99+' : String(n);
  }
}

function makeTabbar() {
  return h('nav', { class: 'tabbar', 'aria-label': t('tabs') }, TABS.map(([path, label, ic]) =>
    link(path, nav, { class: 'tab', id: 'tab-' + ic }, icon(ic), h('span', null, t(label)), path === '/' ? h('span', { class: 'badge', hidden: true }) : null)));
}

function showMain() {
  clear(root);
  const side = h('aside', { class: 'sidebar' });
  main = h('div', { class: 'chat' });
  pageEl = h('main', { class: 'page', hidden: true });
  tabbar = makeTabbar();
  shell = h('div', { class: 'shell' }, side, main, pageEl, tabbar);
  root.append(shell);
  list = new ListView(side, nav, signOut);
  S.startStream();
  apply();
  // After the first screen: what this device keeps for offline use (and
  // the outbox it saved), and the push subscription renewed.
  feature('offline', true).then((m) => m.start()).catch(() => {});
  if (window.Notification && Notification.permission === 'granted') feature('push', true).then((m) => m.renew()).catch(() => {});
}

// loadChat loads the open conversation's view (ui-chat.js, the composer) as
// a feature: the first screen does not wait for it (on a phone it is the
// list); it loads once the list shows, and again after a failed try.
// (Loaded here, not in lazy.js: it imports lazy.js.) A page a new release
// took over reloads into it, as lazy.js does.
let chatModule = null;
function loadChat() {
  const el = main;
  chatModule ||= import('./ui-chat.js').catch((e) => {
    chatModule = null;
    if (window.tackUpdated) location.reload();
    throw e;
  });
  chatModule.then((m) => {
    if (main !== el || chat) return;
    chat = new m.ChatView(el, nav);
    apply();
  }, () => {});
}

async function signOut() {
  await S.signOut();
  showAuth();
}

function showAuth() {
  S.reset();
  forgetOrgs();
  shell = list = chat = null;
  if (location.pathname !== '/' && !route() && !location.pathname.startsWith('/join/') && location.pathname !== '/reset') history.replaceState(null, '', '/');
  // Signed out: nothing of the last person stays on this device.
  try {
    if (localStorage.getItem('tack.uid')) feature('offline', true).then((m) => m.forget()).catch(() => {});
  } catch {}
  feature('auth').then((m) => shell || m.renderAuth(root, showMain)).catch(() => {});
}

// worker follows the service worker (sw.js: the app starts offline and
// shows pushes) from the start: a notification tap opens its conversation
// here, and when a new release takes over a page that an older one started,
// a feature module that fails to load reloads the page into the new release
// (lazy.js). After the first screen, it registers the worker and tells it
// the language for notifications.
function worker() {
  const sw = navigator.serviceWorker;
  if (!sw) return;
  const had = !!sw.controller;
  sw.addEventListener('controllerchange', () => (window.tackUpdated = had));
  sw.addEventListener('message', (e) => {
    const d = e.data || {};
    if (d.type === 'open' && typeof d.url === 'string' && /^\/(?!\/)/.test(d.url) && shell) nav(d.url);
  });
  sw.startMessages();
}
const register = () => navigator.serviceWorker?.register('/sw.js', { scope: '/' }).then(tellLang, () => {});
const tellLang = () => navigator.serviceWorker?.ready.then((r) => r.active.postMessage({ type: 'lang', lang }));

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
  worker();
  S.on('convs', updateTitle);
  S.on('orgs', apply);
  S.on('incoming', notify);
  S.on('signedout', () => showAuth());
  onUnauthorized(() => {
    if (shell) showAuth();
  });
  onLang(() => {
    tellLang();
    if (!list) return; // the auth screen re-renders itself
    list.relabel();
    chat?.relabel();
    const tb = makeTabbar();
    tabbar.replaceWith(tb);
    tabbar = tb;
    shownPage = '';
    apply();
  });
  // Ctrl/⌘+K: search messages and people.
  document.addEventListener('keydown', (e) => {
    if (shell && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      feature('search').then((m) => m.openSearch(nav)).catch(() => {});
    }
  });
  window.addEventListener('popstate', () => {
    goingBack = false;
    apply();
  });
  // A phone turned into a tablet (or a window resized) keeps its screen.
  matchMedia('(max-width: 720px)').addEventListener('change', () => narrow() || apply());
  // After an offline start, the organisations are this device's copy.
  S.on('synced', () => (!orgs.loaded || orgs.saved) && loadOrgs().then(() => (orgs.saved = false), () => {}));
  let me = null;
  for (let i = 0; ; i++) {
    try {
      const r = await S.bootstrap();
      if (r) {
        setOrgs(r.orgs || []);
        me = r.me;
      }
      break;
    } catch (e) {
      // No network: start from what this device saved, if anything.
      if (i === 0 && (await feature('offline', true).then((m) => m.restore(), () => false))) {
        me = S.state.me;
        break;
      }
      clear(root).append(h('p', { class: 'boot-error', role: 'alert' }, t('err_network')));
      await new Promise((r) => setTimeout(r, Math.min(10000, 1000 * 2 ** i)));
    }
  }
  if (me) showMain();
  else showAuth();
  setTimeout(register, 1000);
}

boot();
