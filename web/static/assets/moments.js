// moments.js: 动态, friends' moments and colleague circles (feature). The
// timeline (newest first, more on demand), a composer with an audience
// picker (all friends, chosen friends or friend tags, all but some, only
// me, a colleague circle) and images or a voice picture, likes and comments as the server filters them for
// this viewer, someone's moments (?user=ID), and live hints: a moment
// posted to me appears while the page is open.

import { h, clear, avatar, css } from './dom.js';
import { t, errorText, formatFull } from './i18n.js';
import './circle-strings.js';
import { get, post, put, del, api, enc } from './api.js';
import * as S from './store.js';
import * as O from './org.js';
import { page, toast, link, confirmDialog } from './ui-base.js';

await css(new URL('./moments.css', import.meta.url));

let shown = null; // {list, views: Map id -> view, order: [ids], user}

S.on('moment', async (ev) => {
  if (!shown || !shown.list.isConnected) return;
  const id = ev.moment_id;
  if (ev.action === 'deleted') {
    shown.views.delete(id);
    shown.order = shown.order.filter((x) => x !== id);
    return render();
  }
  if (shown.user && ev.author_id !== shown.user) return;
  if (ev.action === 'new' && shown.views.has(id)) return;
  if (ev.action !== 'new' && !shown.views.has(id)) return;
  try {
    const m = await get('/moments/' + enc(id));
    if (!shown.views.has(id)) {
      shown.order.unshift(id);
      if (m.author_id !== S.state.me.id) toast(t('mmNewOne'));
    }
    shown.views.set(id, m);
    render();
  } catch (e) { /* gone or no longer visible */ }
});
S.on('users', () => shown && shown.list.isConnected && render());

function render() {
  const { list, views, order } = shown;
  clear(list);
  if (!order.length) list.append(h('li', { class: 'empty' }, t('mmNone')));
  for (const id of order) if (views.has(id)) list.append(card(views.get(id)));
}

// tags are the viewer's friend tags (GET /friend-tags), once loaded.
let tags = null;
async function loadTags() {
  if (!tags) tags = (await get('/friend-tags').catch(() => ({ tags: [] }))).tags || [];
  return tags;
}

function audName(a) {
  if (a.type === 'colleagues') return t('mmColleagues', { o: (O.orgs.list.find((o) => o.id === a.org_id) || {}).name || '' });
  const name = t({ friends: 'mmFriends', only: 'mmOnly', except: 'mmExcept', private: 'mmPrivate' }[a.type]);
  const named = (a.tag_ids || []).map((id) => (tags || []).find((x) => x.id === id)).filter(Boolean).map((x) => x.name);
  return named.length ? name + ' · ' + named.join('、') : name;
}

function replace(m) {
  shown.views.set(m.id, m);
  render();
}

function card(m) {
  const me = S.state.me.id;
  const name = S.userName(m.author_id);
  const imgs = m.files.filter((f) => f.kind === 'image');
  const voice = m.files.find((f) => f.kind === 'voice');
  let audio = null;
  const play = () => {
    if (!audio) audio = new Audio(voice.url);
    audio.paused ? audio.play().catch((e) => toast(e.message)) : audio.pause();
  };
  const likes = h('p', { class: 'mm-likes' }, m.likes.length ? '♥ ' + m.likes.map((l) => S.userName(l.user_id)).join(', ') : '');
  const comments = h('ul', { class: 'mm-comments' }, m.comments.map((c) => h('li', { 'data-id': c.id },
    h('b', null, S.userName(c.author_id)), c.reply_to ? ' ' + t('mmReply', { n: S.userName(c.reply_to) }) : '', ': ', h('span', { class: 'mm-ctext' }, c.text))));
  const input = h('input', { type: 'text', class: 'mm-cinput', maxlength: '500', 'aria-label': t('mmComment'), placeholder: t('mmComment') });
  const send = async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    try {
      await post('/moments/' + enc(m.id) + '/comments', { text });
      input.value = '';
      replace(await get('/moments/' + enc(m.id)));
    } catch (err) { toast(errorText(err)); }
  };
  const like = async () => {
    try { replace(await (m.liked ? del : put)('/moments/' + enc(m.id) + '/like')); } catch (err) { toast(errorText(err)); }
  };
  const remove = async () => {
    if (!(await confirmDialog(t('mmDeleteQ'), t('mmDelete')))) return;
    try {
      await del('/moments/' + enc(m.id));
      shown.views.delete(m.id);
      shown.order = shown.order.filter((x) => x !== m.id);
      render();
    } catch (err) { toast(errorText(err)); }
  };
  return h('li', { class: 'mm-card', 'data-id': m.id },
    avatar(m.author_id, name),
    h('div', { class: 'mm-main' },
      h('a', { href: '/workbench/moments', class: 'mm-name', onclick: (e) => { e.preventDefault(); shown.go(m.author_id); } }, name),
      m.text && h('p', { class: 'mm-text' }, m.text),
      imgs.length > 0 && h('div', { class: ['mm-imgs', 'n' + Math.min(imgs.length, 3)] }, imgs.map((f) => h('a', { href: f.url, target: '_blank', rel: 'noopener' }, h('img', { src: f.thumb_url || f.url, alt: f.name, loading: 'lazy' })))),
      voice && h('button', { type: 'button', class: 'btn small mm-voice', 'aria-label': t('mmPlay'), onclick: play }, '▶ ' + t('mmVoice', { s: Math.max(1, Math.round((voice.duration_ms || 0) / 1000)) })),
      h('div', { class: 'mm-meta' },
        h('time', { datetime: m.created_at }, formatFull(new Date(m.created_at))),
        m.edited_at && h('span', null, t('mmEdited')),
        m.audience && h('span', { class: 'mm-aud' }, t('mmAud', { a: audName(m.audience) })),
        m.author_id === me && h('button', { type: 'button', class: 'link-btn mm-del', onclick: remove }, t('mmDelete')),
        h('button', { type: 'button', class: ['btn', 'small', 'mm-like', m.liked && 'primary'], 'aria-pressed': String(!!m.liked), onclick: like }, m.liked ? t('mmUnlike') : t('mmLike'))),
      likes, comments,
      h('form', { class: 'mm-cform', onsubmit: send }, input, h('button', { type: 'submit', class: 'btn small' }, t('mmSend')))));
}

// composer: text, images, audience.
function composer(nav, done) {
  const text = h('textarea', { id: 'mm-text', rows: '3', maxlength: '2000', placeholder: t('mmText'), 'aria-label': t('mmText') });
  const files = h('input', { type: 'file', id: 'mm-files', accept: 'image/*', multiple: true, 'aria-label': t('mmImages') });
  const opts = [['friends', t('mmFriends')], ['only', t('mmOnly')], ['except', t('mmExcept')], ['private', t('mmPrivate')]];
  for (const o of O.orgs.list.filter((x) => !x.me || x.me.status === 'active')) opts.push(['colleagues:' + o.id, t('mmColleagues', { o: o.name })]);
  const who = h('select', { id: 'mm-audience', 'aria-label': t('mmWho') }, opts.map(([v, l]) => h('option', { value: v }, l)));
  const pick = h('fieldset', { class: 'mm-pick', id: 'mm-pick', hidden: true }, h('legend', null, t('mmPick')));
  const tagBox = h('div', { class: 'mm-tags', id: 'mm-tags' });
  const friendBox = h('div', { class: 'mm-friends' });
  const tagName = h('input', { type: 'text', id: 'mm-tagname', maxlength: '32', placeholder: t('mmTagName'), 'aria-label': t('mmTagName') });
  const saveTag = h('button', { type: 'button', class: 'btn small', id: 'mm-savetag' }, t('mmSaveTag'));
  const tagRow = (tg, on) => h('label', { class: 'mm-friend mm-tag' }, h('input', { type: 'checkbox', checked: !!on, 'data-tag': tg.id }), ' ', tg.name, ' ',
    h('span', { class: 'hint' }, t('mmTagCount', { n: tg.user_ids.length })));
  saveTag.onclick = async () => {
    const chosen = [...friendBox.querySelectorAll('input:checked')].map((i) => i.value);
    if (!tagName.value.trim()) return toast(t('mmTagNameNeeded'));
    if (!chosen.length) return toast(t('mmPickOne'));
    try {
      const tg = await post('/friend-tags', { name: tagName.value, user_ids: chosen });
      tags.push(tg);
      tagBox.querySelector('.hint.none')?.remove();
      tagBox.append(tagRow(tg, true));
      for (const i of friendBox.querySelectorAll('input:checked')) i.checked = false;
      tagName.value = '';
    } catch (err) { toast(errorText(err)); }
  };
  pick.append(h('p', { class: 'mm-sub' }, t('mmTags')), tagBox, h('p', { class: 'mm-sub' }, t('mmFriendsOne')), friendBox,
    h('div', { class: 'mm-newtag row' }, tagName, saveTag));
  let friends = null;
  who.addEventListener('change', async () => {
    const need = who.value === 'only' || who.value === 'except';
    pick.hidden = !need;
    if (!need || friends) return;
    const [fr, tg] = await Promise.all([get('/friends').catch(() => ({ friends: [] })), loadTags()]);
    friends = (fr.friends || []).filter((f) => f.state === 'friend');
    if (!tg.length) tagBox.append(h('p', { class: 'hint none' }, t('mmNoTags')));
    for (const x of tg) tagBox.append(tagRow(x));
    if (!friends.length) friendBox.append(h('p', { class: 'hint' }, t('mmNoFriends')));
    for (const f of friends) friendBox.append(h('label', { class: 'mm-friend' }, h('input', { type: 'checkbox', value: f.user_id, 'data-id': f.user_id }), ' ', f.name));
  });
  const btn = h('button', { type: 'submit', class: 'btn primary', id: 'mm-post' }, t('mmPost'));
  // audience returns the chosen audience, or null (and says why).
  const audience = () => {
    const chosen = [...friendBox.querySelectorAll('input:checked')].map((i) => i.value);
    const chosenTags = [...tagBox.querySelectorAll('input:checked')].map((i) => i.dataset.tag);
    const [type, org] = who.value.split(':');
    if (type === 'only' && !chosen.length && !chosenTags.length) return toast(t('mmPickOne')), null;
    const a = { type };
    if (org) a.org_id = org;
    if (type === 'only' || type === 'except') {
      a.user_ids = chosen;
      if (chosenTags.length) a.tag_ids = chosenTags;
    }
    return a;
  };
  const publish = async (aud, ids) => {
    btn.disabled = true;
    btn.textContent = t('mmPosting');
    try {
      done(await post('/moments', { text: text.value, audience: aud, file_ids: ids }));
    } catch (err) {
      toast(errorText(err));
    } finally {
      btn.disabled = false;
      btn.textContent = t('mmPost');
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    if (!text.value.trim() && !files.files.length) return toast(t('mmEmpty'));
    const aud = audience();
    if (!aud) return;
    const ids = [];
    try {
      for (const f of [...files.files].slice(0, 9)) ids.push((await api('POST', '/files?kind=image&name=' + enc(f.name), f)).id);
    } catch (err) { return toast(errorText(err)); }
    publish(aud, ids);
  };
  // A voice picture (有声图片): a photo, then a voice clip recorded for it.
  const vpicFile = h('input', { type: 'file', id: 'mm-vpic-file', accept: 'image/*', hidden: true });
  vpicFile.addEventListener('change', async () => {
    const photo = vpicFile.files[0];
    const aud = photo && audience();
    if (!aud) return;
    try {
      const md = await import('./media.js');
      md.recordVoicePicture(form, photo, (fs) => publish(aud, fs.map((f) => f.id)));
    } catch (err) { toast(errorText(err)); }
  });
  const vpic = h('button', { type: 'button', class: 'btn', id: 'mm-vpic', onclick: () => vpicFile.click() }, t('mmVoicePic'));
  const form = h('form', { class: 'mm-form stack', id: 'mm-form', onsubmit: submit }, text, h('div', { class: 'mm-newtag' }, files, vpic, vpicFile),
    h('label', null, t('mmWho'), ' ', who), pick, btn);
  return form;
}

// momentsPage is /workbench/moments: the timeline, or (drawn in place,
// the path stays) someone's moments.
export function momentsPage(root, nav, user = '') {
  clear(root);
  document.querySelector('#tab-ring.new')?.classList.remove('new'); // seen (hints.js)
  const go = (u) => momentsPage(root, nav, u);
  const body = page(root, user ? t('mmOf', { n: S.userName(user) }) : t('mmTitle'), user ? () => go('') : nav, { back: '/workbench' });
  const list = h('ul', { class: 'mm-list', id: 'mm-list', 'aria-live': 'polite' });
  shown = { list, views: new Map(), order: [], user, go };
  const mine = shown;
  if (!user || user === S.state.me.id) {
    const slot = h('div', { class: 'mm-compose' });
    const open = h('button', { type: 'button', class: 'btn primary', id: 'mm-new' }, t('mmNew'));
    open.onclick = () => {
      open.hidden = true;
      slot.append(composer(nav, (m) => {
        clear(slot);
        open.hidden = false;
        if (!mine.views.has(m.id)) mine.order.unshift(m.id);
        mine.views.set(m.id, m);
        render();
      }));
    };
    body.append(open, slot);
  }
  const more = h('button', { type: 'button', class: 'btn mm-more', id: 'mm-more', hidden: true }, t('mmMore'));
  body.append(list, more);
  const load = async (cursor) => {
    const path = (user ? '/users/' + enc(user) + '/moments' : '/moments') + (cursor ? '?cursor=' + enc(cursor) : '');
    try {
      const r = await get(path);
      for (const m of r.moments) {
        if (!mine.views.has(m.id)) mine.order.push(m.id);
        mine.views.set(m.id, m);
      }
      more.hidden = !r.next_cursor;
      more.onclick = () => load(r.next_cursor);
      if (shown === mine) render();
    } catch (err) { toast(errorText(err)); }
  };
  load('');
  loadTags().then(() => shown === mine && render());
}
