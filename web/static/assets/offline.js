// offline.js: what this device keeps in IndexedDB for when the network is
// gone (a feature, loaded after the first screen, and at a start without
// network). One database per person ('tack-' + user id; localStorage
// 'tack.uid' names the last one signed in here), deleted when they sign
// out:
//
//   kv      me, the names of people, my organisations, the mods saved
//   convs   the 100 most recent conversations, as the list shows them
//   msgs    the last 50 messages of the 20 most recent ones, [conversation, seq]
//   outbox  messages written and not yet sent ({msg, body, at}), until the
//           server has them: store.js sends them in order with their client
//           ids, so none is lost or doubled
//
// Online, it follows the store and saves what changed a second later, and
// after each sync it fetches the latest page of the 10 most recent
// conversations whose saved copy is behind. Offline, restore() fills the
// store from the database so the app starts and says that it shows saved
// messages.

import * as S from './store.js';
import * as O from './org.js';

const UID = 'tack.uid';
const CONVS = 100;
const KEEP = 20; // conversations whose messages are kept
const MSGS = 50;
const PREFETCH = 10;

let db = null;
let dbUID = '';
let offs = [];
let timer = 0;
let mods = {}; // conversation id -> the mod its saved messages are current to
const dirty = new Set(); // conversations whose messages changed

const req = (r) => new Promise((ok, fail) => {
  r.onsuccess = () => ok(r.result);
  r.onerror = () => fail(r.error);
});

function open(uid) {
  if (db && dbUID === uid) return Promise.resolve(db);
  const r = indexedDB.open('tack-' + uid, 1);
  r.onupgradeneeded = () => {
    const d = r.result;
    d.createObjectStore('kv');
    d.createObjectStore('convs', { keyPath: 'id' });
    d.createObjectStore('msgs', { keyPath: ['conversation_id', 'seq'] });
    d.createObjectStore('outbox', { keyPath: 'body.client_id' });
  };
  return req(r).then((d) => {
    if (db) db.close();
    db = d;
    dbUID = uid;
    return d;
  });
}

// tx runs fn in a transaction and resolves with its result once the
// transaction has committed.
function tx(stores, mode, fn) {
  return new Promise((ok, fail) => {
    const t = db.transaction(stores, mode);
    const out = fn(t);
    t.oncomplete = () => ok(out);
    t.onerror = t.onabort = () => fail(t.error);
  });
}

const lastUID = () => {
  try {
    return localStorage.getItem(UID) || '';
  } catch {
    return '';
  }
};

const range = (id) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

// restore fills the store with what this device saved of the last person
// signed in here; it reports whether there was anything.
export async function restore() {
  const uid = lastUID();
  if (!uid || !window.indexedDB) return false;
  await open(uid);
  const [me, users, orgs, convs, msgs] = await tx(['kv', 'convs', 'msgs'], 'readonly', (t) => {
    const kv = t.objectStore('kv');
    return Promise.all([req(kv.get('me')), req(kv.get('users')), req(kv.get('orgs')), req(t.objectStore('convs').getAll()), req(t.objectStore('msgs').getAll())]);
  });
  if (!me) return false;
  S.state.me = me;
  S.state.saved = true;
  S.rememberUsers(users || []);
  if (orgs) {
    O.setOrgs(orgs);
    O.orgs.saved = true;
  }
  for (const c of convs) S.upsertConv(c);
  const by = new Map();
  for (const m of msgs) {
    if (!by.has(m.conversation_id)) by.set(m.conversation_id, []);
    by.get(m.conversation_id).push(m);
  }
  for (const [id, list] of by) S.restoreTimeline(id, list);
  return true;
}

// start follows the signed-in person's store: it sends the outbox this
// device saved and keeps what changes.
export async function start() {
  import('./hints.js').then((m) => m.watch()).catch(() => {}); // live hints outside their pages
  const me = S.state.me;
  if (!me || !window.indexedDB || (db && dbUID === me.id && offs.length)) return;
  try {
    localStorage.setItem(UID, me.id);
  } catch {}
  await open(me.id);
  const [saved, m] = await tx(['outbox', 'kv'], 'readonly', (t) => Promise.all([req(t.objectStore('outbox').getAll()), req(t.objectStore('kv').get('mods'))]));
  mods = m || {};
  // Pending before this module loaded, then the saved ones, oldest first.
  for (const tl of S.state.timelines.values()) for (const p of tl.pending.values()) keep(p);
  saved.sort((a, b) => a.at - b.at).forEach((e) => S.queue(e, false));
  offs = [
    S.on('outbox', (e) => (e.add ? keep(e.add) : drop(e.done))),
    S.on('convs', later),
    S.on('users', later),
    S.on('messages', (id) => {
      dirty.add(id);
      later();
    }),
    S.on('synced', () => setTimeout(prefetch, 1500)),
  ];
  later();
  if (S.state.synced) setTimeout(prefetch, 1500);
}

// Secret messages never reach the disk: not in the outbox (a secret send
// is lost with the page), and only stripped in the saved timelines.
function keep(p) {
  if (db && !p.body.burn_after_s) tx(['outbox'], 'readwrite', (t) => t.objectStore('outbox').put({ msg: p.msg, body: p.body, at: p.at })).catch(() => {});
}

function drop(clientID) {
  if (db) tx(['outbox'], 'readwrite', (t) => t.objectStore('outbox').delete(clientID)).catch(() => {});
}

function later() {
  if (!timer) timer = setTimeout(save, 1000);
}

// save writes the list, the names, and the messages that changed.
async function save() {
  timer = 0;
  const me = S.state.me;
  if (!db || !me || me.id !== dbUID || S.state.saved) return;
  const convs = S.sortedConvs().slice(0, CONVS);
  const kept = new Set(convs.slice(0, KEEP).map((c) => c.id));
  const ids = [...dirty];
  dirty.clear();
  try {
    await tx(['kv', 'convs', 'msgs'], 'readwrite', (t) => {
      const kv = t.objectStore('kv');
      kv.put(me, 'me');
      kv.put([...S.state.users.values()].filter((u) => u.name && u.name !== '?').slice(-2000), 'users');
      if (O.orgs.loaded && !O.orgs.saved) kv.put(O.orgs.list, 'orgs');
      const cs = t.objectStore('convs');
      cs.clear();
      for (const c of convs) cs.put(c);
      const ms = t.objectStore('msgs');
      for (const id of Object.keys(mods)) {
        if (!kept.has(id)) {
          ms.delete(range(id));
          delete mods[id];
        }
      }
      for (const id of ids) {
        const tl = S.state.timelines.get(id);
        if (!kept.has(id) || !tl || !tl.loaded) continue;
        ms.delete(range(id));
        for (const m of tl.sorted().slice(-MSGS)) ms.put(m.burn_after_s ? { ...m, text: '', attachments: undefined } : m);
        mods[id] = tl.mod;
      }
      kv.put(mods, 'mods');
    });
  } catch {}
}

// prefetch loads the latest messages of the most recent conversations
// whose saved copy is behind, one at a time, so they read offline too.
async function prefetch() {
  for (const c of S.sortedConvs().slice(0, PREFETCH)) {
    const tl = S.state.timelines.get(c.id);
    if (!S.state.synced || (tl && tl.loaded) || (mods[c.id] || 0) >= (c.last_mod || 0)) continue;
    try {
      await S.loadLatest(c.id);
    } catch {
      return;
    }
  }
}

// forget deletes what this device kept of the person who signed out.
export async function forget() {
  offs.forEach((off) => off());
  offs = [];
  clearTimeout(timer);
  timer = 0;
  dirty.clear();
  mods = {};
  const uid = dbUID || lastUID();
  if (db) db.close();
  db = null;
  dbUID = '';
  try {
    localStorage.removeItem(UID);
  } catch {}
  if (uid && window.indexedDB) await req(indexedDB.deleteDatabase('tack-' + uid)).catch(() => {});
}
