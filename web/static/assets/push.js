// push.js: Web Push on this device (a feature). The notifications switch
// of 我 calls enable() from the tap (browsers ask for permission only from
// a gesture): it subscribes with the server's VAPID key and sends the
// subscription to the server (docs/api.md, "Web Push"). Every signed-in
// start renews it (app.js), so the server has it after a sign-in, a
// restart of the push service or a new key. sw.js shows the pushes.
//
// Whether this person turned pushes on here is kept per person
// (localStorage 'tack.push.<user id>'): someone else signing in on the
// same browser does not inherit them.

import { api, get, post, put } from './api.js';
import * as S from './store.js';

const flag = () => 'tack.push.' + (S.state.me ? S.state.me.id : '');

export const supported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

export function enabled() {
  try {
    return supported() && Notification.permission === 'granted' && localStorage.getItem(flag()) === '1';
  } catch {
    return false;
  }
}

// key decodes the server's key (base64url) for applicationServerKey.
function key(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '='));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

const same = (a, b) => !!a && a.byteLength === b.byteLength && new Uint8Array(a).every((x, i) => x === b[i]);

// subscribe makes sure this browser has a subscription for the server's
// current key, and sends it to the server.
async function subscribe() {
  const reg = await navigator.serviceWorker.ready;
  const k = key((await get('/push/key')).key);
  let sub = await reg.pushManager.getSubscription();
  if (sub && sub.options && sub.options.applicationServerKey && !same(sub.options.applicationServerKey, k)) {
    await sub.unsubscribe().catch(() => {});
    sub = null;
  }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: k });
  await post('/push/subscriptions', sub.toJSON());
}

// enable turns pushes on here; it resolves to the permission
// ('granted', 'denied' or 'default').
export async function enable() {
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') return perm;
  await subscribe();
  localStorage.setItem(flag(), '1');
  return perm;
}

// disable turns them off here: the server forgets the subscription and the
// browser drops it.
export async function disable() {
  try {
    localStorage.removeItem(flag());
  } catch {}
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return;
  await api('DELETE', '/push/subscriptions', { endpoint: sub.endpoint }).catch(() => {});
  await sub.unsubscribe().catch(() => {});
}

// renew sends the subscription again on a signed-in start.
export async function renew() {
  if (enabled()) await subscribe();
}

// previews: whether pushes carry the message text (a setting of the
// person, on every device).
export const previews = async () => (await get('/me/push')).previews;
export const setPreviews = async (on) => (await put('/me/push', { previews: on })).previews;
