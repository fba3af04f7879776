// media.js: files in chat (feature, loaded when a message with files first
// shows, or from the composer's + button, paste or drop): images (a grid of
// up to 9, a viewer), files (name, size, icon), voice clips (recorded with
// MediaRecorder: hold to talk on phones, tap on desktops; played inline with
// a progress bar and the red dot until played) and voice pictures (有声图片:
// a photo that speaks when tapped). Uploads show their progress; the bytes
// are checked again by the server, which decides their type.

import { h, clear, css } from './dom.js';
import { t, addStrings, errorText } from './i18n.js';
import { api, csrfToken, ApiError } from './api.js';
import * as S from './store.js';
import { toast, dialog } from './ui-base.js';

await css(new URL('./media.css', import.meta.url));

addStrings({
  en: {
    pickFiles: 'Photo or file',
    recordVoice: 'Voice message',
    voicePicture: 'Voice picture',
    playVoice: 'Play voice message, {s} seconds',
    unplayed: 'Not played yet',
    openImage: 'Open image',
    holdToTalk: 'Hold to talk',
    releaseToSend: 'Release to send, slide away to cancel',
    releaseToCancel: 'Release to cancel',
    tapToRecord: 'Record',
    stopAndSend: 'Send',
    cancelRec: 'Cancel',
    recording: 'Recording… {s}s',
    tooShort: 'Too short: hold for at least a second.',
    micDenied: 'The microphone is not available: {e}',
    uploading: 'Uploading {n}',
    pickPhotoFirst: 'Record a voice clip for this photo',
    download: 'Download {n}',
  },
  zh: {
    pickFiles: '图片或文件',
    recordVoice: '语音消息',
    voicePicture: '有声图片',
    playVoice: '播放语音，{s} 秒',
    unplayed: '未播放',
    openImage: '查看图片',
    holdToTalk: '按住 说话',
    releaseToSend: '松开 发送，上滑取消',
    releaseToCancel: '松开手指，取消发送',
    tapToRecord: '录音',
    stopAndSend: '发送',
    cancelRec: '取消',
    recording: '录音中… {s} 秒',
    tooShort: '说话时间太短',
    micDenied: '无法使用麦克风：{e}',
    uploading: '正在上传 {n}',
    pickPhotoFirst: '为这张照片录一段语音',
    download: '下载 {n}',
  },
});

const url = (id, thumb) => '/api/v1/files/' + id + (thumb ? '?thumb=1' : '');
const MAX_MS = 60000;

// ---- showing ----

// render draws message m's files into el.
// In a secret chat (secret set) images open without a download link and
// cannot be dragged out; the chat blocks the context menu.
let noSave = false;
export function render(el, m, secret) {
  clear(el);
  noSave = !!secret;
  const as = m.attachments || [];
  const imgs = as.filter((a) => a.kind === 'image');
  const voice = as.find((a) => a.kind === 'voice');
  if (voice && imgs.length === 1) el.append(voicePicture(imgs[0], voice, m));
  else if (imgs.length) el.append(grid(imgs));
  else if (voice) el.append(voiceEl(voice, m));
  else for (const a of as) el.append(fileEl(a));
  noSave = false;
}

// sized gives an element the shape of an image at most max pixels wide, so
// the timeline does not jump when it loads.
function sized(el, a, max) {
  const w = a.width || 1;
  const hh = a.height || 1;
  el.style.aspectRatio = w + ' / ' + hh;
  el.style.width = Math.min(max, Math.round((max * w) / Math.max(w, hh)), w) + 'px';
  return el;
}

function img(a) {
  return h('img', { src: url(a.id, true), alt: a.name, loading: 'lazy', decoding: 'async', draggable: noSave ? 'false' : null });
}

function grid(imgs) {
  const ns = noSave;
  if (imgs.length === 1) {
    const a = imgs[0];
    return sized(h('button', { type: 'button', class: 'att-img one', 'aria-label': t('openImage'), onclick: () => viewer(a, ns) }, img(a)), a, 240);
  }
  return h('div', { class: ['att-grid', imgs.length === 2 || imgs.length === 4 ? 'two' : ''] },
    imgs.map((a) => h('button', { type: 'button', class: 'att-img', 'aria-label': t('openImage'), onclick: () => viewer(a, ns) }, img(a))));
}

function viewer(a, ns) {
  const d = dialog(a.name, h('div', { class: 'viewer' }, h('img', { src: url(a.id), alt: a.name, draggable: ns ? 'false' : null })),
    ns ? null : h('a', { class: 'link', href: url(a.id), download: a.name }, t('download', { n: a.name })));
  d.classList.add('viewer-dlg');
  if (ns) d.oncontextmenu = (e) => e.preventDefault();
}

function size(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MB';
  if (n >= 1024) return Math.round(n / 1024) + ' KB';
  return n + ' B';
}

function fileEl(a) {
  const ext = (a.name.includes('.') ? a.name.split('.').pop() : '').slice(0, 4).toLowerCase();
  return h('a', { class: 'filecard', href: url(a.id), download: a.name, 'aria-label': t('download', { n: a.name }) },
    h('span', { class: 'ficon', dataset: { ext } }, ext.toUpperCase() || 'FILE'),
    h('span', { class: 'fmeta' }, h('span', { class: 'fname' }, a.name), h('span', { class: 'fsize' }, size(a.size))));
}

// Played voice messages, per conversation (the red dot).
const played = new Map();
function playedSet(conv) {
  if (!played.has(conv)) {
    played.set(conv, api('GET', `/conversations/${conv}/played`).then((r) => new Set(r.seqs), () => new Set()));
  }
  return played.get(conv);
}

function redDot(m) {
  if (!m.seq || m.sender_id === S.state.me.id) return null;
  const dot = h('span', { class: 'dot', title: t('unplayed'), hidden: true });
  playedSet(m.conversation_id).then((s) => (dot.hidden = s.has(m.seq)));
  return dot;
}

function voiceEl(a, m) {
  const s = Math.max(1, Math.round((a.duration_ms || 0) / 1000));
  const prog = h('span', { class: 'prog' });
  const bars = (a.waveform || []).map((v) => {
    const b = h('i');
    b.style.height = Math.max(12, v) + '%';
    return b;
  });
  const dot = redDot(m);
  const btn = h('button', { type: 'button', class: 'voice', 'aria-label': t('playVoice', { s }) },
    h('span', { class: 'play' }), h('span', { class: 'wave' }, bars), h('span', { class: 'secs' }, s + '″'), prog);
  btn.style.width = 110 + Math.min(60, s) * 2 + 'px';
  btn.addEventListener('click', () => play(a, m, btn, prog, dot));
  return h('div', { class: 'voice-row' }, btn, dot);
}

function voicePicture(pic, voice, m) {
  const s = Math.max(1, Math.round((voice.duration_ms || 0) / 1000));
  const prog = h('span', { class: 'prog' });
  const dot = redDot(m);
  const fig = sized(h('button', { type: 'button', class: 'vpic', 'aria-label': t('playVoice', { s }) },
    img(pic), h('span', { class: 'badge' }, h('span', { class: 'play' }), s + '″'), prog, dot), pic, 260);
  fig.addEventListener('click', () => play(voice, m, fig, prog, dot));
  const ns = noSave;
  fig.addEventListener('dblclick', () => viewer(pic, ns));
  return fig;
}

// One clip plays at a time.
let cur = null;
function stop() {
  if (!cur) return;
  cur.audio.pause();
  cur.el.classList.remove('playing');
  cur.prog.style.width = '0';
  cur = null;
}

function play(a, m, el, prog, dot) {
  const again = cur && cur.el === el;
  stop();
  if (again) return;
  const audio = new Audio(url(a.id));
  cur = { audio, el, prog };
  el.classList.add('playing');
  const total = (a.duration_ms || 1000) / 1000;
  audio.addEventListener('timeupdate', () => {
    prog.style.width = Math.min(100, (100 * audio.currentTime) / total) + '%';
    if (audio.currentTime > 0) el.dataset.played = '1';
  });
  audio.addEventListener('ended', () => {
    el.dataset.played = '1';
    if (cur && cur.audio === audio) stop();
  });
  audio.addEventListener('error', () => cur && cur.audio === audio && stop());
  audio.play().catch(() => cur && cur.audio === audio && stop());
  if (dot && !dot.hidden) {
    dot.hidden = true;
    playedSet(m.conversation_id).then((s) => s.add(m.seq));
    api('POST', `/conversations/${m.conversation_id}/messages/${m.seq}/played`).catch(() => {});
  }
}

// ---- composing ----

// menu opens the + menu of the composer.
export function menu(comp) {
  let m = comp.querySelector('.att-menu');
  if (m) return close();
  function close() {
    m.remove();
    document.removeEventListener('pointerdown', outside, true);
  }
  const outside = (e) => !m.contains(e.target) && e.target !== comp.attachBtn && close();
  const item = (cls, label, fn) => h('li', { role: 'none' }, h('button', { type: 'button', role: 'menuitem', class: cls, onclick: () => (close(), fn()) }, label));
  m = h('ul', { class: 'att-menu', role: 'menu', 'aria-label': t('attach') },
    item('m-files', t('pickFiles'), () => pick(comp, '', true, (fs) => files(comp, fs))),
    item('m-voice', t('recordVoice'), () => recorder(comp, null)),
    item('m-vpic', t('voicePicture'), () => pick(comp, 'image/*', false, (fs) => recorder(comp, fs[0]))));
  m.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      close();
      comp.attachBtn.focus();
    }
  });
  comp.append(m);
  document.addEventListener('pointerdown', outside, true);
  m.querySelector('button').focus();
}

function pick(comp, accept, multiple, fn) {
  for (const old of comp.querySelectorAll('input.att-pick')) old.remove();
  const inp = h('input', { type: 'file', class: 'att-pick', accept, multiple, hidden: true });
  inp.addEventListener('change', () => {
    if (inp.files.length) fn([...inp.files]);
    inp.remove();
  });
  comp.append(inp);
  inp.click();
}

function tray(comp) {
  let el = comp.querySelector('.att-tray');
  if (!el) {
    el = h('ul', { class: 'att-tray', 'aria-live': 'polite' });
    comp.prepend(el);
  }
  return el;
}

// upload sends one file, showing its progress, and resolves with the
// server's description of it.
function upload(comp, file, q = {}) {
  const name = file.name || 'voice';
  const bar = h('progress', { max: '100', value: '0' });
  const row = h('li', null, h('span', null, t('uploading', { n: name })), bar);
  tray(comp).append(row);
  const qs = new URLSearchParams({ name, ...q });
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/api/v1/files?' + qs);
    x.setRequestHeader('X-CSRF-Token', csrfToken());
    x.upload.onprogress = (e) => e.lengthComputable && (bar.value = Math.round((100 * e.loaded) / e.total));
    x.onload = () => {
      let body = null;
      try {
        body = JSON.parse(x.responseText);
      } catch {
        /* not JSON */
      }
      if (x.status === 201) return resolve(body);
      const e = (body && body.error) || {};
      reject(new ApiError(x.status, e.code, e.message, e.field));
    };
    x.onerror = () => reject(new ApiError(0, 'network'));
    x.send(file);
  }).then(
    (f) => (row.remove(), f),
    (e) => {
      row.remove();
      toast(name + ': ' + errorText(e));
      throw e;
    },
  );
}

const described = (f) => ({ id: f.id, kind: f.kind, name: f.name, size: f.size, mime: f.mime, width: f.width, height: f.height, duration_ms: f.duration_ms, waveform: f.waveform });

// send sends a message of files: through the composer (which scrolls the
// chat to it) while its conversation is still the one open.
function send(comp, conv, fs, kind) {
  const d = { text: '', attachments: fs.map(described), kind };
  if (comp.conv === conv) comp.dispatchEvent(new CustomEvent('send', { detail: d }));
  else S.sendMessage(conv, '', d);
}

// files uploads pasted, dropped or picked files: images go together (up to
// 9 a message), every other file as a message of its own.
export async function files(comp, list) {
  const conv = comp.conv;
  const res = await Promise.allSettled(list.map((f) => upload(comp, f)));
  const done = res.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const imgs = done.filter((f) => f.kind === 'image');
  for (let i = 0; i < imgs.length; i += 9) send(comp, conv, imgs.slice(i, i + 9), 'image');
  for (const f of done) if (f.kind !== 'image') send(comp, conv, [f], f.kind === 'voice' ? 'voice' : 'file');
}

// recordVoicePicture shows the recorder in el (a moment's composer) for a
// photo, and calls done with the uploaded [photo, voice clip] once recorded.
export const recordVoicePicture = (el, photo, done) => recorder(el, photo, done);

// recorder shows the voice recorder in the composer; with a photo, it makes
// a voice picture. With done, the uploaded files go to it instead of the
// conversation.
function recorder(comp, photo, done) {
  const conv = comp.conv;
  for (const old of comp.querySelectorAll('.recorder')) old.remove();
  const coarse = matchMedia('(pointer: coarse)').matches;
  const status = h('p', { class: 'rec-status', role: 'status' }, photo ? t('pickPhotoFirst') : '');
  const fill = h('i');
  const level = h('span', { class: 'rec-level' }, fill);
  const main = h('button', { type: 'button', class: 'rec-main' }, coarse ? t('holdToTalk') : t('tapToRecord'));
  const cancel = h('button', { type: 'button', class: 'link rec-cancel' }, t('cancelRec'));
  const panel = h('div', { class: 'recorder' });
  let pic = null;
  let picUp = null;
  if (photo) {
    pic = h('img', { class: 'rec-photo', alt: photo.name });
    const fr = new FileReader();
    fr.onload = () => (pic.src = fr.result);
    fr.readAsDataURL(photo);
    picUp = upload(comp, photo, { kind: 'image' });
    picUp.catch(() => panel.remove());
  }
  panel.append(...[pic, status, h('div', { class: 'rec-row' }, cancel, level, main)].filter(Boolean));
  comp.prepend(panel);

  let rec = null;
  let stream = null;
  let ac = null;
  let tick = 0;
  let t0 = 0;
  let levels = [];
  let keep = true;
  let starting = false;
  let early = null; // an end asked for while the microphone was opening
  const cleanup = () => {
    clearInterval(tick);
    if (stream) for (const tr of stream.getTracks()) tr.stop();
    if (ac) ac.close().catch(() => {});
    rec = stream = ac = null;
  };
  const start = async () => {
    if (rec || starting) return;
    starting = true;
    early = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      toast(t('micDenied', { e: e.message || e.name }));
      return;
    } finally {
      starting = false;
    }
    const type = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm'].find((x) => MediaRecorder.isTypeSupported(x));
    rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    rec.onstop = () => finish(new Blob(chunks, { type: rec ? rec.mimeType : type }));
    ac = new AudioContext();
    const an = ac.createAnalyser();
    an.fftSize = 512;
    ac.createMediaStreamSource(stream).connect(an);
    const buf = new Uint8Array(an.fftSize);
    levels = [];
    t0 = Date.now();
    tick = setInterval(() => {
      an.getByteTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += (v - 128) ** 2;
      const rms = Math.sqrt(sum / buf.length) / 128;
      levels.push(rms);
      fill.style.width = Math.min(100, rms * 300) + '%';
      const ms = Date.now() - t0;
      status.textContent = t('recording', { s: Math.floor(ms / 1000) });
      if (ms >= MAX_MS) end(true);
    }, 100);
    rec.start(250);
    panel.classList.add('on');
    main.textContent = coarse ? t('releaseToSend') : t('stopAndSend');
    if (early !== null) end(early);
  };
  const end = (send) => {
    if (starting) return void (early = send);
    keep = send;
    panel.classList.remove('on');
    if (rec && rec.state !== 'inactive') rec.stop();
    else if (!send) panel.remove();
  };
  const finish = async (blob) => {
    const ms = Math.min(MAX_MS, Date.now() - t0);
    const mime = blob.type;
    cleanup();
    if (!keep) return panel.remove();
    if (ms < 1000) {
      status.textContent = t('tooShort');
      main.textContent = coarse ? t('holdToTalk') : t('tapToRecord');
      return;
    }
    panel.remove();
    const file = new File([blob], 'voice' + (mime.includes('ogg') ? '.ogg' : '.webm'), { type: mime });
    const peak = Math.max(...levels, 0.01);
    const step = Math.max(1, Math.ceil(levels.length / 40));
    const wave = [];
    for (let i = 0; i < levels.length; i += step) wave.push(Math.round((100 * Math.max(...levels.slice(i, i + step))) / peak));
    try {
      const v = await upload(comp, file, { kind: 'voice', duration_ms: String(ms), waveform: wave.join(',') });
      if (done) done(picUp ? [await picUp, v] : [v]);
      else if (picUp) send(comp, conv, [await picUp, v], 'voice_picture');
      else send(comp, conv, [v], 'voice');
    } catch {
      /* told by upload */
    }
  };
  cancel.addEventListener('click', () => end(false));
  if (coarse) {
    // Hold to talk; slide away to cancel.
    let away = false;
    main.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      away = false;
      try {
        main.setPointerCapture(e.pointerId);
      } catch {
        /* a synthetic pointer */
      }
      start();
    });
    main.addEventListener('pointermove', (e) => {
      const r = main.getBoundingClientRect();
      away = e.clientY < r.top - 40;
      main.classList.toggle('away', away);
      if (rec) main.textContent = away ? t('releaseToCancel') : t('releaseToSend');
    });
    main.addEventListener('pointerup', () => end(!away));
    main.addEventListener('pointercancel', () => end(false));
    // A tap (click without a hold) works too, for keyboards and tests.
    main.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), rec ? end(true) : start()));
  } else main.addEventListener('click', () => (rec ? end(true) : start()));
  main.focus();
}
