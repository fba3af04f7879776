// store.js: the client's state and every call that changes it. Views read
// `state` and listen for change events; they never talk to the network.
//
// Messages are kept per conversation, keyed by seq, and upserted by
// (conversation, seq) with the higher mod winning, so replays and races
// between REST pages and live events can never double a message. For every
// conversation whose messages are loaded, the highest mod seen is kept as
// its resume cursor.

import { ApiError, get, post, patch, del, enc, rememberCSRF } from './api.js';
import { Stream } from './stream.js';
import { randomID } from './dom.js';

const PAGE = 50;
// MAX_TEXT is the server's limit on a message, in code points.
export const MAX_TEXT = 5000;
// EDIT_WINDOW is how long a message may be edited.
export const EDIT_WINDOW = 24 * 3600 * 1000;
export const textLength = (s) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

export const state = {
  me: null,
  convs: new Map(), // id -> conversation (server shape)
  timelines: new Map(), // id -> Timeline
  users: new Map(), // id -> {id, name}
  members: new Map(), // conversation id -> [{user_id, name, role, read_seq}]
  typing: new Map(), // conversation id -> Map(user id -> expiry ms)
  current: null, // the open conversation id
  conn: 'idle',
  connInfo: null,
  synced: false,
  external: new Set(), // conversation ids, until conversations carry `external`
  faces: new Map(), // group id -> its first members, for the group's avatar
  saved: false, // what is shown came from this device (offline start), not yet from the server
};

// ---- events ----

const listeners = new Map();
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}
export function emit(type, detail) {
  const s = listeners.get(type);
  if (s) for (const fn of s) fn(detail);
}

// ---- users ----

const wantedUsers = new Set();
let userTimer = 0;

export function userName(id) {
  if (!id) return '';
  if (state.me && id === state.me.id) return state.me.name;
  const u = state.users.get(id);
  if (u) return u.name;
  wantUser(id);
  return '…';
}

function wantUser(id) {
  if (wantedUsers.has(id)) return;
  wantedUsers.add(id);
  if (!userTimer) userTimer = setTimeout(fetchUsers, 10);
}

async function fetchUsers() {
  userTimer = 0;
  const ids = [...wantedUsers].filter((id) => !state.users.has(id)).slice(0, 500);
  if (!ids.length) return;
  try {
    const r = await get('/users?ids=' + ids.map(enc).join(','));
    for (const u of r.users || []) state.users.set(u.id, u);
    for (const id of ids) if (!state.users.has(id)) state.users.set(id, { id, name: '?' });
    emit('users');
  } catch (e) {
    // Leave them wanted; a later render asks again.
    setTimeout(() => ids.forEach((id) => wantedUsers.delete(id)), 5000);
  }
}

export function rememberUsers(list) {
  let changed = false;
  for (const u of list) {
    const id = u.id || u.user_id;
    if (!id || !u.name) continue;
    const old = state.users.get(id);
    if (!old || old.name !== u.name) {
      state.users.set(id, { id, name: u.name });
      changed = true;
    }
  }
  if (changed) emit('users');
}

// ---- session ----

// bootstrap loads the first screen in one request (index.html preloads
// it): me, my conversations, the names they show, my organisations. It
// returns the answer, or null when nobody is signed in.
export async function bootstrap() {
  let r;
  try {
    r = await get('/bootstrap', { quiet: true, cache: 'default' });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
  state.me = r.me;
  rememberUsers(r.users || []);
  for (const c of r.conversations || []) upsertConv(c);
  return r;
}

export async function signIn(login, password, code) {
  const r = await post('/sessions', { login, password, cookie: true, code: code || undefined });
  rememberCSRF(r.csrf_token);
  state.me = r.user;
  return r.user;
}

export async function signUp(name, login, password) {
  const r = await post('/accounts', { name, login, password, cookie: true });
  rememberCSRF(r.csrf_token);
  state.me = r.user;
  return r.user;
}

export async function signOut() {
  try {
    await del('/sessions/current');
  } catch {}
  reset();
}

export function reset() {
  stopStream();
  state.me = null;
  state.convs.clear();
  state.timelines.clear();
  state.members.clear();
  state.typing.clear();
  state.current = null;
  state.synced = false;
  state.saved = false;
  state.external.clear();
  state.faces.clear();
  faceQueue.length = 0;
}

// ---- mute: the member's own notification setting, kept by the server so
// that it follows the user to every device ----

export function isMuted(id) {
  return !!state.convs.get(id)?.muted;
}
// ---- conversations ----

export function convTitle(c) {
  if (!c) return '';
  if (c.type !== 'group') {
    if (c.peer_id) return userName(c.peer_id);
    return c.title || '…';
  }
  return c.title || '…';
}

// isExternal: a conversation with someone outside all my organisations. The
// server's `external` field wins; without it, GET /me/external-conversations.
export function isExternal(c) {
  return !!c && ('external' in c ? c.external : state.external.has(c.id));
}

let extTimer = 0;
export function refreshExternal() {
  clearTimeout(extTimer);
  extTimer = setTimeout(async () => {
    if ([...state.convs.values()].every((c) => 'external' in c)) return;
    try {
      state.external = new Set((await get('/me/external-conversations')).conversation_ids || []);
      emit('convs');
      emit('conv', state.current);
    } catch {}
  }, 200);
}

function activity(c) {
  const m = c.last_message;
  return Date.parse((m && m.created_at) || c.created_at || 0) || 0;
}

export function sortedConvs() {
  return [...state.convs.values()].sort((a, b) => activity(b) - activity(a));
}

export function totalUnread() {
  let n = 0;
  for (const c of state.convs.values()) if (!isMuted(c.id)) n += c.unread || 0;
  return n;
}

export function upsertConv(c) {
  const old = state.convs.get(c.id);
  if (!old) {
    state.convs.set(c.id, { ...c, unread: c.unread || 0, read_seq: c.read_seq || 0 });
    if (!('external' in c) && state.synced) refreshExternal();
  } else if (c.role) {
    // The caller's full view: take all of it, but never move back.
    const merged = { ...old, ...c };
    if (old.last_message && (!c.last_message || c.last_message.seq < old.last_message.seq)) merged.last_message = old.last_message;
    merged.last_seq = Math.max(old.last_seq || 0, c.last_seq || 0);
    state.convs.set(c.id, merged);
  } else {
    // A broadcast with shared fields only.
    for (const k of ['title', 'mute_all', 'owner_id', 'member_count', 'type', 'created_at', 'muted', 'external']) {
      if (k in c) old[k] = c[k];
    }
  }
  const cc = state.convs.get(c.id);
  if (cc.type !== 'group' && cc.peer_id) userName(cc.peer_id);
  emit('convs');
  emit('conv', c.id);
}

export async function loadConversation(id) {
  const c = await get('/conversations/' + enc(id));
  upsertConv(c);
  return state.convs.get(id);
}

export async function createConversation(type, memberIDs, title) {
  const c = await post('/conversations', { type, members: memberIDs, title: title || '' });
  upsertConv(c);
  return state.convs.get(c.id);
}

export async function members(convID, force) {
  if (!force && state.members.has(convID)) return state.members.get(convID);
  const r = await get(`/conversations/${enc(convID)}/members`);
  return setMembers(convID, r.members || []);
}

// setMembers stores a member list; the member count follows it.
export function setMembers(convID, list) {
  state.members.set(convID, list);
  state.faces.set(convID, list.slice(0, 4));
  rememberUsers(list);
  const c = state.convs.get(convID);
  if (c && c.member_count !== list.length) {
    c.member_count = list.length;
    emit('conv', convID);
  }
  emit('members', convID);
  return list;
}

// membersChanged forgets a member list, and fetches it again (with the
// member count) when someone is looking at it.
const memberTimers = new Map();
function membersChanged(convID) {
  const had = state.members.has(convID);
  state.members.delete(convID);
  if (!had && convID !== state.current) return;
  clearTimeout(memberTimers.get(convID));
  memberTimers.set(convID, setTimeout(() => {
    memberTimers.delete(convID);
    if (state.convs.has(convID)) members(convID, true).catch(() => {});
  }, 50));
}

export function dropConv(id) {
  state.convs.delete(id);
  state.timelines.delete(id);
  state.members.delete(id);
  emit('convs');
  emit('removed', id);
}

// searchUsers finds people by name, pinyin, initials, or exact email or
// phone: colleagues, friends, external contacts and chat partners.
export async function searchUsers(q, limit) {
  const r = await get('/users?q=' + enc(q) + (limit ? '&limit=' + limit : ''));
  const list = (r.users || []).filter((u) => !state.me || u.id !== state.me.id);
  rememberUsers(list);
  return list;
}

// personDetail: what tells two people of the same name apart in a list
// (and 休假中 / 出差中 while they are away).
export const personDetail = (u) => [u.away && u.away.label, u.title, u.org_name].filter(Boolean).join(' · ');

// faces: up to four [id, name] of a group's members for its avatar, or
// null until known. Member lists of groups up to 500 are fetched in the
// background, one at a time.
const faceQueue = [];
let faceBusy = false;
export function faces(c) {
  const ms = state.faces.get(c.id);
  if (ms) return ms.map((m) => [m.user_id, m.name || userName(m.user_id)]);
  if (c.type === 'group' && (c.member_count || 0) <= 500 && !faceQueue.includes(c.id)) {
    faceQueue.push(c.id);
    nextFaces();
  }
  return null;
}
async function nextFaces() {
  if (faceBusy || !faceQueue.length) return;
  faceBusy = true;
  const id = faceQueue.shift();
  try {
    if (state.convs.has(id) && !state.faces.has(id)) await members(id);
  } catch {
    state.faces.set(id, []);
  }
  faceBusy = false;
  nextFaces();
}

// ---- timelines ----

class Timeline {
  constructor(id) {
    this.id = id;
    this.bySeq = new Map();
    this.pending = new Map(); // client id -> {msg, body, at, status, error, tries, timer}, oldest first
    this.sending = null; // the client id on its way to the server
    this.loaded = false;
    this.loading = null;
    this.older = null;
    this.hasMore = true;
    this.buffer = null; // live events that arrived while the first page loads
    this.mod = 0; // resume cursor
    this.stale = false;
  }
  get minSeq() {
    let m = Infinity;
    for (const s of this.bySeq.keys()) if (s < m) m = s;
    return m;
  }
  get maxSeq() {
    let m = 0;
    for (const s of this.bySeq.keys()) if (s > m) m = s;
    return m;
  }
  sorted() {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}


export function timeline(id) {
  let tl = state.timelines.get(id);
  if (!tl) {
    tl = new Timeline(id);
    state.timelines.set(id, tl);
  }
  return tl;
}

// put stores one message; it reports whether anything changed.
function put(tl, m, fromREST) {
  if (m.mod > tl.mod) tl.mod = m.mod;
  if (tl.loaded && !fromREST && tl.bySeq.size && m.seq < tl.minSeq && !tl.bySeq.has(m.seq)) return false;
  const old = tl.bySeq.get(m.seq);
  if (old) {
    if (m.mod < old.mod) return false;
    if (old.unread != null) m.unread = m.unread == null ? old.unread : Math.min(old.unread, m.unread);
    if (m.mod === old.mod && m.unread === old.unread) return false;
  }
  tl.bySeq.set(m.seq, m);
  if (m.client_id && m.sender_id === (state.me && state.me.id)) unpend(tl, m.client_id);
  return true;
}

// restoreTimeline shows the messages this device saved of a conversation
// (offline.js), oldest first. Their highest mod is the resume cursor, so
// the stream replays whatever changed since; the first sync reloads them.
export function restoreTimeline(id, msgs) {
  const tl = timeline(id);
  if (tl.loaded || !msgs.length) return;
  for (const m of msgs) put(tl, m, true);
  tl.loaded = true;
  tl.hasMore = msgs[0].seq > 1;
  emit('messages', id);
}

// loadLatest fetches the newest page (again, when refresh is set).
export function loadLatest(id, refresh) {
  const tl = timeline(id);
  if (tl.loading) return tl.loading;
  if (tl.loaded && !refresh && !tl.stale) return Promise.resolve(tl);
  if (!tl.loaded) tl.buffer = [];
  tl.loading = (async () => {
    try {
      const r = await get(`/conversations/${enc(id)}/messages?limit=${PAGE}`);
      const msgs = r.messages || [];
      const first = !tl.loaded;
      if (first) {
        tl.hasMore = msgs.length >= PAGE && msgs[0].seq > 1;
      } else if (msgs.length && tl.bySeq.size && msgs[0].seq > tl.maxSeq + 1) {
        // A gap between what we had and the newest page: start over.
        tl.bySeq.clear();
        tl.hasMore = msgs.length >= PAGE && msgs[0].seq > 1;
      }
      for (const m of msgs) put(tl, m, true);
      tl.loaded = true;
      tl.stale = false;
      const buf = tl.buffer || [];
      tl.buffer = null;
      for (const m of buf) put(tl, m, false);
      for (const m of msgs) wantSender(m);
      emit('messages', id);
      return tl;
    } catch (e) {
      if (!tl.loaded) tl.buffer = null;
      throw e;
    } finally {
      tl.loading = null;
    }
  })();
  return tl.loading;
}

export function loadOlder(id) {
  const tl = timeline(id);
  if (tl.older || !tl.hasMore || !tl.loaded) return tl.older || Promise.resolve(0);
  const before = tl.minSeq;
  tl.older = (async () => {
    try {
      const r = await get(`/conversations/${enc(id)}/messages?before_seq=${before}&limit=${PAGE}`);
      const msgs = r.messages || [];
      for (const m of msgs) put(tl, m, true);
      tl.hasMore = msgs.length >= PAGE && msgs[0].seq > 1;
      emit('messages', id);
      return msgs.length;
    } finally {
      tl.older = null;
    }
  })();
  return tl.older;
}

function wantSender(m) {
  if (m.sender_id) userName(m.sender_id);
  if (m.system && m.system.users) m.system.users.forEach(userName);
  if (m.quote && m.quote.sender_id) userName(m.quote.sender_id);
}

// ---- sending: the outbox ----
//
// A message is pending from the tap until the server has it. The pending
// messages of a conversation go one at a time, oldest first, each with its
// client id: the server keeps one copy of a client id however often it is
// sent, so they arrive in the order written and never twice, through
// retries, reconnects and reloads. 'outbox' events ({add: p} and {done:
// client id}) let offline.js keep them in IndexedDB until they are sent, so
// a closed tab or a start without network loses none. Statuses: sending,
// waiting (a temporary failure: tried again later, and at once when the
// stream is back), failed (the server refused it: retry or discard).

function findQuote(convID, seq) {
  const tl = state.timelines.get(convID);
  const q = tl && tl.bySeq.get(seq);
  return q ? { seq, sender_id: q.sender_id, text: q.text, recalled: q.recalled } : null;
}

export function sendMessage(convID, text, opts = {}) {
  const clientID = 'w' + randomID(10);
  const body = { client_id: clientID, text };
  if (opts.mentions && opts.mentions.length) body.mentions = opts.mentions;
  if (opts.mention_all) body.mention_all = true;
  if (opts.reply_to) body.reply_to = opts.reply_to;
  if (opts.attachments) body.attachments = opts.attachments.map((a) => a.id);
  if (opts.burn_after_s) body.burn_after_s = opts.burn_after_s;
  const msg = {
    conversation_id: convID,
    client_id: clientID,
    sender_id: state.me.id,
    kind: opts.kind || 'text',
    text,
    attachments: opts.attachments,
    reply_to: opts.reply_to || 0,
    quote: opts.reply_to ? findQuote(convID, opts.reply_to) : null,
    created_at: new Date().toISOString(),
  };
  queue({ msg, body, at: Date.now() }, true);
  return clientID;
}

// queue adds a pending message, new (fresh) or from the saved outbox
// ({msg, body, at}), and sends what can go.
export function queue(entry, fresh) {
  const convID = entry.msg.conversation_id;
  const tl = timeline(convID);
  if (tl.pending.has(entry.body.client_id)) return;
  const p = { ...entry, status: 'waiting', error: null, tries: 0, timer: 0 };
  tl.pending.set(p.body.client_id, p);
  // A saved message restored after a newer one was written goes first.
  if (!fresh) tl.pending = new Map([...tl.pending].sort((a, b) => a[1].at - b[1].at));
  if (fresh) emit('outbox', { add: p });
  emit('messages', convID);
  pump(convID);
}

function unpend(tl, clientID) {
  const p = tl.pending.get(clientID);
  if (!p) return;
  clearTimeout(p.timer);
  tl.pending.delete(clientID);
  emit('outbox', { done: clientID });
}

// pump sends a conversation's oldest pending message that has not failed,
// unless one is on its way or the oldest waits for its retry.
function pump(convID) {
  const tl = timeline(convID);
  if (tl.sending) return;
  const p = [...tl.pending.values()].find((x) => x.status !== 'failed');
  if (p && !p.timer) deliver(convID, tl, p);
}

async function deliver(convID, tl, p) {
  const id = p.body.client_id;
  tl.sending = id;
  p.status = 'sending';
  p.tries++;
  try {
    const m = await post(`/conversations/${enc(convID)}/messages`, p.body);
    gotMessage(m, false);
    unpend(tl, id);
  } catch (e) {
    if (tl.pending.has(id)) {
      p.error = e;
      if (e instanceof ApiError && e.temporary) {
        p.status = 'waiting';
        const wait = e.retryAfter ? e.retryAfter * 1000 : Math.min(10000, 500 * 2 ** Math.min(p.tries, 5));
        p.timer = setTimeout(() => {
          p.timer = 0;
          pump(convID);
        }, wait);
      } else p.status = 'failed';
    }
  } finally {
    if (tl.sending === id) tl.sending = null;
  }
  emit('messages', convID);
  pump(convID);
}

export function retryPending(convID, clientID) {
  const p = timeline(convID).pending.get(clientID);
  if (!p) return;
  clearTimeout(p.timer);
  p.timer = 0;
  p.status = 'waiting';
  emit('messages', convID);
  pump(convID);
}

export function discardPending(convID, clientID) {
  unpend(timeline(convID), clientID);
  emit('messages', convID);
}

// Send everything waiting as soon as the connection is back.
function kickPending() {
  for (const [convID, tl] of state.timelines) {
    for (const p of tl.pending.values()) {
      if (p.status === 'waiting' && p.timer) {
        clearTimeout(p.timer);
        p.timer = 0;
      }
    }
    pump(convID);
  }
}

export async function editMessage(convID, seq, text, mentions) {
  const body = { text };
  if (mentions && mentions.length) body.mentions = mentions;
  gotMessage(await patch(`/conversations/${enc(convID)}/messages/${seq}`, body), false);
}

export async function recallMessage(convID, seq) {
  gotMessage(await post(`/conversations/${enc(convID)}/messages/${seq}/recall`), false);
}

// ---- read positions and typing ----

export function markRead(convID) {
  const c = state.convs.get(convID);
  const tl = state.timelines.get(convID);
  if (!c || !tl || !tl.loaded) return;
  const seq = Math.max(tl.maxSeq, 0);
  if (seq <= (c.read_seq || 0) && !c.unread) return;
  const upto = Math.max(seq, c.read_seq || 0);
  c.read_seq = upto;
  c.unread = 0;
  emit('convs');
  if (!stream || !stream.send({ type: 'read', conversation_id: convID, seq: upto })) {
    post(`/conversations/${enc(convID)}/read`, { seq: upto }).catch(() => {});
  }
}

const lastTyping = new Map();
export function sendTyping(convID) {
  const now = Date.now();
  if (now - (lastTyping.get(convID) || 0) < 3000) return;
  lastTyping.set(convID, now);
  if (stream) stream.send({ type: 'typing', conversation_id: convID });
}

export function typingUsers(convID) {
  const m = state.typing.get(convID);
  if (!m) return [];
  const now = Date.now();
  const out = [];
  for (const [u, exp] of m) {
    if (exp > now) out.push(u);
    else m.delete(u);
  }
  return out;
}

function gotTyping(convID, userID) {
  if (state.me && userID === state.me.id) return;
  if (!state.typing.has(convID)) state.typing.set(convID, new Map());
  state.typing.get(convID).set(userID, Date.now() + 5000);
  emit('typing', convID);
  setTimeout(() => emit('typing', convID), 5100);
}

// ---- the stream ----

let stream = null;

export function startStream() {
  if (stream) return;
  stream = new Stream({
    cursors,
    onEvent,
    onState(s, info) {
      state.conn = s;
      state.connInfo = info || null;
      if (s !== 'online') state.synced = false;
      emit('conn', s);
    },
    onRevoked() {
      emit('signedout');
    },
    async onFailures(n) {
      // A socket that never opens may mean the session is gone.
      if (n === 3 || n % 10 === 0) {
        try {
          await get('/me', { quiet: true });
        } catch (e) {
          if (e.status === 401) emit('signedout');
        }
      }
    },
  });
  stream.start();
}

export function stopStream() {
  if (stream) stream.stop();
  stream = null;
}

export function reconnectNow() {
  if (stream) stream.connect();
}

function cursors() {
  const out = {};
  for (const [id, tl] of state.timelines) {
    if (tl.loaded && tl.mod > 0 && state.convs.has(id)) out[id] = tl.mod;
  }
  return out;
}

function onEvent(ev) {
  switch (ev.type) {
    case 'hello':
      state.synced = false;
      // Another account signed in from another tab: start over as it.
      if (ev.user_id && state.me && ev.user_id !== state.me.id) location.reload();
      break;
    case 'conversation':
      if (ev.conversation) upsertConv(ev.conversation);
      break;
    case 'message':
      if (ev.message) gotMessage(ev.message, state.synced);
      break;
    case 'read':
      gotRead(ev);
      break;
    case 'member':
      if (state.me && ev.user_id === state.me.id && ev.action === 'removed') dropConv(ev.conversation_id);
      else membersChanged(ev.conversation_id);
      break;
    case 'typing':
      gotTyping(ev.conversation_id, ev.user_id);
      break;
    case 'approval':
    case 'ding':
    case 'moment':
      emit(ev.type, ev);
      break;
    case 'synced':
      state.synced = true;
      state.saved = false;
      for (const tl of state.timelines.values()) if (tl.loaded) tl.stale = true;
      if (state.current && state.convs.has(state.current)) loadLatest(state.current, true).catch(() => {});
      kickPending();
      refreshExternal();
      emit('synced');
      break;
  }
}

// gotMessage applies a new, edited or recalled message from any source.
function gotMessage(m, live) {
  const convID = m.conversation_id;
  const c = state.convs.get(convID);
  if (!c) {
    loadConversation(convID).catch(() => {});
    return;
  }
  const mine = state.me && m.sender_id === state.me.id;
  const isNew = m.seq > (c.last_seq || 0);
  if (isNew) {
    c.last_seq = m.seq;
    if (mine) {
      c.read_seq = m.seq;
      c.unread = 0;
    } else c.unread = (c.unread || 0) + 1;
  }
  if (!c.last_message || m.seq >= c.last_message.seq) c.last_message = m;
  if (m.kind === 'system' && isNew && m.system && ['added', 'removed', 'left', 'owner_changed', 'admin_added', 'admin_removed'].includes(m.system.action)) membersChanged(convID);
  const typing = state.typing.get(convID);
  if (typing && typing.delete(m.sender_id)) emit('typing', convID);
  const tl = state.timelines.get(convID);
  let changed = false;
  if (tl) {
    if (tl.buffer) tl.buffer.push(m);
    else if (tl.loaded) changed = put(tl, m, false);
    else if (m.mod > tl.mod) tl.mod = m.mod;
  }
  wantSender(m);
  emit('convs');
  if (changed || (tl && tl.loaded)) emit('messages', convID);
  // A message caught up after a brief reconnect is still news: it notifies
  // if it is less than a minute old (older ones would flood after a long
  // time offline).
  const fresh = live || Date.now() - (Date.parse(m.created_at) || 0) < 60000;
  if (isNew && fresh && !mine && m.kind !== 'system') emit('incoming', m);
}

function gotRead(ev) {
  const c = state.convs.get(ev.conversation_id);
  if (!c) return;
  if (state.me && ev.user_id === state.me.id) {
    if (ev.seq > (c.read_seq || 0)) {
      c.read_seq = ev.seq;
      c.unread = ev.seq >= (c.last_seq || 0) ? 0 : Math.max(0, (c.unread || 0) - (ev.seq - (ev.prev_seq || 0)));
      emit('convs');
    }
    return;
  }
  const ms = state.members.get(ev.conversation_id);
  if (ms) for (const mm of ms) if (mm.user_id === ev.user_id && ev.seq > mm.read_seq) mm.read_seq = ev.seq;
  const tl = state.timelines.get(ev.conversation_id);
  if (!tl || !state.me) return;
  let changed = false;
  for (const m of tl.bySeq.values()) {
    if (m.sender_id === state.me.id && m.seq > (ev.prev_seq || 0) && m.seq <= ev.seq && m.unread > 0) {
      m.unread--;
      changed = true;
    }
  }
  if (changed) emit('messages', ev.conversation_id);
  emit('receipts', ev.conversation_id);
}
