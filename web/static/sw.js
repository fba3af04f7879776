// sw.js: Tack's service worker, at /sw.js with scope /. The server writes
// this release's version, precache list and icon into BUILD (web/pwa.go),
// so every release has a different sw.js and the browser installs it on
// its next update check.
//
// install   precache index.html ("/") and every hashed asset into the
//           release's cache; take over at once (skipWaiting): pages keep the
//           release they started with, the next start gets the new one.
// activate  keep this release's cache and the previous one (pages still
//           running it may load a feature module late); delete older ones.
// fetch     /assets/* from the cache first (hashed names never change);
//           pages from the network first, so a start always runs the
//           release the server has, and from the cache ("/") when the
//           network fails or takes more than 4 s: the shell starts offline.
//           The API and the stream are never touched.
// push      a notification in the person's language, from the payload's
//           type and sender_name (docs/api.md, "Web Push"); the text only
//           when they turned previews on (then the payload has a body).
// click     focus a Tack window and open the notification's url there, or
//           open a new one.

const BUILD = {};
const CACHE = 'tack-' + BUILD.version;
const PREFS = 'tack-prefs';
const NAV_WAIT = 4000;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(BUILD.precache)).then(() => self.skipWaiting()));
});

const text = async (c, key) => {
  const r = await c.match(key);
  return r ? r.text() : '';
};

self.addEventListener('activate', (e) => {
  e.waitUntil((async () => {
    const prefs = await caches.open(PREFS);
    let cur = await text(prefs, '/release');
    let prev = await text(prefs, '/previous');
    if (cur !== CACHE) {
      prev = cur;
      await prefs.put('/previous', new Response(prev));
      await prefs.put('/release', new Response(CACHE));
    }
    for (const k of await caches.keys()) {
      if (k.startsWith('tack-') && k !== CACHE && k !== PREFS && k !== prev) await caches.delete(k);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname === '/sw.js') return;
  if (req.mode === 'navigate') e.respondWith(page(req));
  else if (url.pathname.startsWith('/assets/')) e.respondWith(asset(req));
});

async function asset(req) {
  const hit = await caches.match(req, { ignoreVary: true });
  return hit || fetch(req);
}

async function page(req) {
  const cached = () => caches.open(CACHE).then((c) => c.match('/', { ignoreVary: true }));
  const net = fetch(req);
  net.catch(() => {}); // answered from the cache when it fails
  let timer;
  const slow = new Promise((resolve) => (timer = setTimeout(resolve, NAV_WAIT)));
  try {
    const res = await Promise.race([net, slow]);
    if (res) return res;
    return (await cached()) || (await net);
  } catch (err) {
    const hit = await cached();
    if (hit) return hit;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

// ---- notifications ----

const STRINGS = {
  en: {
    message: 'New message from {a}',
    mention: '{a} mentioned you',
    mentionIn: '{a} mentioned you in {c}',
    ding: 'DING from {a}',
    approval: '{a} needs your approval',
    open: 'Open Tack to read it.',
  },
  zh: {
    message: '{a} 发来一条新消息',
    mention: '{a} 在群聊中@了你',
    mentionIn: '{a} 在「{c}」中@了你',
    ding: '{a} 给你发了 DING',
    approval: '{a} 提交了待你审批的申请',
    open: '打开 Tack 查看。',
  },
};

// The page tells the worker the language the person chose.
self.addEventListener('message', (e) => {
  const d = e.data || {};
  if (d.type === 'lang' && STRINGS[d.lang]) e.waitUntil(caches.open(PREFS).then((c) => c.put('/lang', new Response(d.lang))));
});

async function chosenLang() {
  const l = await text(await caches.open(PREFS), '/lang');
  if (STRINGS[l]) return l;
  return String(self.navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

// notification turns a push payload into a title and options, in lang.
function notification(d, lang) {
  const s = STRINGS[lang];
  const fill = (tpl) => tpl.replace('{a}', d.sender_name || 'Tack').replace('{c}', d.conversation_title || '');
  let title;
  if (d.type === 'mention' && d.conversation_title) title = fill(s.mentionIn);
  else if (s[d.type]) title = fill(s[d.type]);
  else title = d.title || 'Tack';
  const path = typeof d.url === 'string' && d.url.startsWith('/') && !d.url.startsWith('//') ? d.url : '/';
  return { title, options: { body: d.body || s.open, tag: d.tag || undefined, lang: lang === 'zh' ? 'zh-CN' : 'en', icon: BUILD.icon, data: { url: path } } };
}

self.addEventListener('push', (e) => {
  let d = {};
  try {
    d = e.data ? e.data.json() : {};
  } catch {}
  e.waitUntil(chosenLang().then((lang) => {
    const n = notification(d, lang);
    return self.registration.showNotification(n.title, n.options);
  }));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const path = (e.notification.data && e.notification.data.url) || '/';
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const w = wins.find((c) => new URL(c.url).origin === location.origin);
    if (!w) return self.clients.openWindow(path);
    w.postMessage({ type: 'open', url: path });
    try {
      await w.focus();
    } catch {}
  })());
});
