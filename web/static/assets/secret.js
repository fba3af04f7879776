// secret.js: secret chats (密聊, feature). A secret message shows to its
// recipient as a sealed bubble until they tap it; the server then returns its
// text, its files (photos, voice, a file: drawn by media.js, with no download
// link for images) and when it burns, and a ring counts down to the burn. The
// text lives only in this module's memory (never in the store or the offline
// cache); the view carries a watermark of the viewer's name, takes no
// selection and has no message menu. The sender sees their own text while it
// lasts. A screenshot key (PrintScreen, ⌘⇧3/4/5, Win+Shift+S) pressed while a
// secret chat is open is reported: both sides see a notice (what a browser
// cannot see, such as a phone's screenshot buttons, goes unreported).

import { h, clear, avatar, css } from './dom.js';
import { t, addStrings, errorText, formatTime } from './i18n.js';
import { post, enc } from './api.js';
import * as S from './store.js';
import { toast } from './ui-base.js';

addStrings({
  en: {
    secretTap: 'Secret message · tap to read', secretBurned: 'Burned', secretBurning: 'Burning…', secretSent: 'Sent · burns {s} s after it is read',
    secretSeen: 'Read · burns in {s} s', secretLeft: '{s} s', secretBurnAfter: 'Burn after', secretBanner: 'Secret chat · messages burn after reading · no copies',
    secretStart: 'Start a secret chat', secretOwn: 'Your secret message', secretTapImage: 'Secret photo · tap to view',
    secretTapVoice: 'Secret voice message · tap to listen', secretTapFile: 'Secret file · tap to open', secretShotSent: 'The other side was told of your screenshot',
  },
  zh: {
    secretTap: '密聊消息 · 点击查看', secretBurned: '已焚毁', secretBurning: '正在焚毁…', secretSent: '已发送 · 对方查看 {s} 秒后焚毁',
    secretSeen: '对方已查看 · {s} 秒后焚毁', secretLeft: '{s} 秒', secretBurnAfter: '阅后焚毁', secretBanner: '密聊 · 阅后即焚 · 不可转发复制',
    secretStart: '发起密聊', secretOwn: '你的密聊消息', secretTapImage: '密聊图片 · 点击查看',
    secretTapVoice: '密聊语音 · 点击收听', secretTapFile: '密聊文件 · 点击查看', secretShotSent: '已通知对方你截屏了',
  },
});
await css(new URL('./secret.css', import.meta.url));

const revealed = new Map(); // "conv/seq" -> {text, burns, attachments}
const mine = new Map(); // client_id -> {text, attachments} (own messages, this session)
const RING = 2 * Math.PI * 9;
const TAP = { image: 'secretTapImage', voice_picture: 'secretTapImage', voice: 'secretTapVoice', file: 'secretTapFile' };

// send sends the composer's draft (text, or files from media.js) in the
// secret chat of view, and remembers its content: stream events about it
// carry neither text nor files.
export function send(view, d) {
  const cid = S.sendMessage(view.id, d.text, { burn_after_s: view.burn || 30, attachments: d.attachments, kind: d.kind });
  mine.set(cid, { text: d.text, attachments: d.attachments });
}

// Screenshots: report the keys that take one while a secret chat is open.
let current = null;
const SHOT = (e) => e.key === 'PrintScreen' || (e.shiftKey && e.metaKey && /^(Digit[345]|KeyS)$/.test(e.code));
const onKey = async (e) => {
  const v = current;
  if (!SHOT(e) || !v || !v.pane.isConnected || !v.pane.classList.contains('secret') || !v.id) return;
  try {
    await post('/conversations/' + enc(v.id) + '/screenshot');
    toast(t('secretShotSent'));
  } catch (err) {
    toast(errorText(err));
  }
};
// PrintScreen often reaches a page only as keyup.
document.addEventListener('keyup', (e) => e.key === 'PrintScreen' && onKey(e));
document.addEventListener('keydown', (e) => e.key !== 'PrintScreen' && onKey(e));

// head adds the burn-time choice and the banner to a secret chat's view.
export function head(view) {
  current = view;
  if (view.secretBar) return;
  const sel = h('select', { id: 'burn-after', 'aria-label': t('secretBurnAfter') }, [5, 10, 30, 60, 300].map((s) => h('option', { value: s, selected: s === 30 }, t('secretLeft', { s }))));
  view.burn = 30;
  sel.addEventListener('change', () => (view.burn = +sel.value));
  view.secretBar = h('p', { class: 'secret-bar', role: 'note' }, h('span', null, t('secretBanner')), h('label', null, t('secretBurnAfter'), ' ', sel));
  view.head.after(view.secretBar);
}

// fill renders one secret message into li.
export function fill(li, m, own) {
  clear(li);
  const key = m.conversation_id + '/' + m.seq;
  li.oncontextmenu = (e) => e.preventDefault();
  const name = S.userName(m.sender_id);
  if (!own) li.append(avatar(m.sender_id, name));
  const bubble = h('div', { class: 'bubble' });
  const foot = h('div', { class: 'foot' });
  const r = revealed.get(key);
  const own0 = own && mine.get(m.client_id);
  const shown = m.revealed_at && (m.text || m.attachments) ? { text: m.text, attachments: m.attachments } : null;
  const x0 = own ? { text: m.text || (own0 && own0.text), attachments: m.attachments || (own0 && own0.attachments) } : r || shown;
  const burns = (r && r.burns) || (m.revealed_at && m.burns_at);
  if (m.burned) {
    bubble.append(h('p', { class: 'text burnt' }, t('secretBurned')));
    revealed.delete(key);
  } else if (!x0) {
    const open = h('button', { type: 'button', class: 'reveal', id: 'reveal-' + m.seq }, t(TAP[m.kind] || 'secretTap'));
    open.onclick = async () => {
      open.disabled = true;
      try {
        const x = await post('/conversations/' + enc(m.conversation_id) + '/messages/' + m.seq + '/reveal');
        revealed.set(key, { text: x.text, burns: x.burns_at, attachments: x.attachments });
        // The log may have been rebuilt meanwhile (the reveal's own event):
        // fill the element shown now.
        const now = (li.isConnected ? li : document.getElementById('m-' + m.seq)) || li;
        fill(now, { ...m, revealed_at: x.revealed_at, burns_at: x.burns_at }, own);
      } catch (e) {
        open.disabled = false;
        toast(errorText(e));
      }
    };
    bubble.append(open);
  } else {
    const atts = x0.attachments && x0.attachments.length ? x0.attachments : null;
    if (atts) {
      const d = h('div', { class: 'att' });
      import('./media.js').then((x) => x.render(d, { ...m, attachments: atts }, true), () => {});
      bubble.append(d);
    }
    if (x0.text || !atts) bubble.append(h('p', { class: 'text' }, x0.text || t('secretOwn')));
    bubble.append(h('span', { class: 'wm', 'aria-hidden': 'true' }, (S.userName(S.state.me.id) + '  ').repeat(atts ? 90 : 12)));
    if (burns) foot.append(ring(burns, m.burn_after_s));
    else if (own) foot.append(h('span', null, t('secretSent', { s: m.burn_after_s })));
  }
  li.append(h('div', { class: 'body' }, h('div', { class: 'meta' }, own ? null : h('span', { class: 'sender' }, name), h('time', { datetime: m.created_at }, formatTime(new Date(m.created_at)))), bubble, foot));
}

// ring is the countdown to a burn.
function ring(burns, total) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 22 22');
  svg.setAttribute('class', 'ring');
  svg.setAttribute('aria-hidden', 'true');
  for (const cls of ['track', 'left']) {
    const circle = document.createElementNS(ns, 'circle');
    circle.setAttribute('cx', '11');
    circle.setAttribute('cy', '11');
    circle.setAttribute('r', '9');
    circle.setAttribute('class', cls);
    circle.setAttribute('stroke-dasharray', String(RING));
    svg.append(circle);
  }
  const label = h('span', { class: 'left-s', role: 'timer' });
  const el = h('span', { class: 'countdown', dataset: { burns, total } }, svg, label);
  tick(el);
  return el;
}

function tick(el) {
  const left = Math.max(0, (Date.parse(el.dataset.burns) - Date.now()) / 1000);
  el.querySelector('.left').setAttribute('stroke-dashoffset', String(RING * (1 - left / (+el.dataset.total || 30))));
  el.lastChild.textContent = left > 0 ? t('secretLeft', { s: Math.ceil(left) }) : t('secretBurning');
}

setInterval(() => document.querySelectorAll('.countdown').forEach(tick), 1000);

// start opens (or finds) the secret chat with peer.
export async function start(peer, nav) {
  try {
    const c = await S.createConversation('secret', [peer], '');
    nav('/c/' + c.id);
  } catch (e) {
    toast(errorText(e));
  }
}
