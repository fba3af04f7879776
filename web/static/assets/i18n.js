// i18n.js: the chosen language, the catalogue and date/time formatting.
//
// The shell's strings are here; each feature module adds its own with
// addStrings when it loads, in both languages. A key missing in the chosen
// language, or a code (an audit action, an import problem) without a text,
// is reported on the console as "i18n: ..." (the browser tests fail on it)
// and shown as a generic sentence, never as the raw key or code.

const en = {
  app: 'Tack',
  signOut: 'Sign out',
  language: 'Language',
  conversations: 'Conversations',
  newChat: 'New chat',
  noConversations: 'No conversations yet. Start one with the + button.',
  pickConversation: 'Select a conversation to start chatting.',
  back: 'Back',
  members: '{n} members',
  member1: '1 member',
  typing1: '{a} is typing…',
  typing2: '{a} and {b} are typing…',
  typingN: 'Several people are typing…',
  messageLabel: 'Message',
  messagePlaceholder: 'Message {t}',
  send: 'Send',
  attach: 'Attach',
  att_image: '[Photo]',
  att_file: '[File]',
  att_voice: '[Voice]',
  att_voice_picture: '[Voice picture]',
  tooLong: 'This message is {n} characters long; the limit is {max}. Shorten it or split it into several messages.',
  charsLeft: '{n} left',
  charsOver: '{n} over the limit',
  loadingOlder: 'Loading earlier messages…',
  beginning: 'This is the beginning of the conversation.',
  today: 'Today',
  yesterday: 'Yesterday',
  edited: 'edited',
  recalled: 'This message was recalled',
  youRecalled: 'You recalled a message',
  recalledBy: '{a} recalled a message',
  actions: 'Message actions',
  reply: 'Reply',
  edit: 'Edit',
  recall: 'Recall',
  cancel: 'Cancel',
  save: 'Save',
  close: 'Close',
  create: 'Create',
  replyingTo: 'Replying to {a}',
  editing: 'Editing message',
  unreadN: '{n} unread',
  allRead: 'All read',
  readDirect: 'Read',
  unreadDirect: 'Unread',
  sending: 'Sending…',
  failed: 'Not sent: {e}',
  retry: 'Retry',
  discard: 'Discard',
  you: 'You',
  said: '{a}: {t}',
  unreadBadge: '{n} unread messages',
  groupInfo: 'Group info',
  chatInfo: 'Chat info',
  mutedAllNotice: 'Only the owner and admins can send messages here.',
  connecting: 'Connecting…',
  syncing: 'Catching up…',
  online: 'Connected',
  offline: 'Offline. Reconnecting in {s} s…',
  savedOffline: 'Offline — showing saved messages',
  queued: 'Will be sent when back online',
  reconnectNow: 'Reconnect now',
  notifyEnable: 'Enable desktop notifications',
  notifyNewFrom: 'New message from {a}',
  removedFromConv: 'You are no longer in this conversation.',
  sysCreated: '{a} created the group',
  sysCreatedDirect: '{a} started the chat',
  sysAdded: '{a} added {b}',
  sysRemoved: '{a} removed {b}',
  sysLeft: '{a} left',
  sysRenamed: '{a} renamed the group to “{t}”',
  sysOwner: '{a} made {b} the owner',
  sysAdminAdded: '{a} made {b} an admin',
  sysAdminRemoved: '{a} removed {b} as admin',
  sysMuted: '{a} turned on “only admins may post”',
  sysUnmuted: '{a} turned off “only admins may post”',
  sysOther: '{a} changed the conversation',
  sysShot: '{a} took a screenshot',
  secretMsg: '[Secret message]',
  someone: 'Someone',
  mentionList: 'Mention someone',
  err_network: 'Cannot reach the server.',
  err_unauthorized: 'Wrong login or password.',
  err_conflict: 'That already exists.',
  err_rate_limited: 'Too many attempts. Try again shortly.',
  err_rate_limited_s: 'Too many attempts. Try again in {s} s.',
  err_too_large: 'Too large.',
  err_forbidden: 'You are not allowed to do that.',
  err_module_off: 'Your organisation switched this off.',
  robot: 'Robot',
  err_not_found: 'Not found.',
  err_expired: 'Too late to do that now.',
  err_unavailable: 'The server is busy. Try again shortly.',
  err_invalid: 'Please check what you entered.',
  err_invalid_field: 'Please check: {f}.',
  err_generic: 'Something went wrong.',
  loadFailed: 'This part of Tack could not be loaded. Check the connection, or reload the page for the newest version.',
  f_name: 'name',
  f_title: 'title',
  f_text: 'message',
  f_login: 'email or phone',
  f_password: 'password',
  f_members: 'members',
  f_email: 'email',
  f_phone: 'phone',
  f_q: 'search text',
  jumpLatest: 'Jump to latest',
  newMessages: 'New messages',
  external: 'External',
  org: 'Organisation',
  createOrg: 'Create organisation',
  orgName: 'Organisation name',
  contacts: 'Contacts',
  manage: 'Admin',
  search: 'Search chats and people',
  searchMsgs: 'Search messages',
  chatsHeading: 'Chats',
  peopleHeading: 'People',
  noneFound: 'Nothing found.',
  tabChats: 'Chats',
  tabContacts: 'Contacts',
  tabWork: 'Workbench',
  tabMoments: 'Moments',
  tabMe: 'Me',
  tabs: 'Sections',
  st_active: 'Active',
  st_suspended: 'Suspended',
  st_left: 'Left',
  st_invited: 'Invited',
  st_pending: 'Pending',
};

const zh = {
  app: 'Tack',
  signOut: '退出登录',
  language: '语言',
  conversations: '会话',
  newChat: '发起聊天',
  noConversations: '还没有会话。点 + 开始聊天。',
  pickConversation: '选择一个会话开始聊天。',
  back: '返回',
  members: '{n} 位成员',
  member1: '1 位成员',
  typing1: '{a} 正在输入…',
  typing2: '{a} 和 {b} 正在输入…',
  typingN: '多人正在输入…',
  messageLabel: '消息',
  messagePlaceholder: '发消息给 {t}',
  send: '发送',
  attach: '添加附件',
  att_image: '[图片]',
  att_file: '[文件]',
  att_voice: '[语音]',
  att_voice_picture: '[有声图片]',
  tooLong: '这条消息有 {n} 个字，上限是 {max} 个字。请删减，或分成几条发送。',
  charsLeft: '还可输入 {n} 字',
  charsOver: '超出 {n} 字',
  loadingOlder: '正在加载更早的消息…',
  beginning: '这是会话的开始。',
  today: '今天',
  yesterday: '昨天',
  edited: '已编辑',
  recalled: '此消息已撤回',
  youRecalled: '你撤回了一条消息',
  recalledBy: '{a} 撤回了一条消息',
  actions: '消息操作',
  reply: '回复',
  edit: '编辑',
  recall: '撤回',
  cancel: '取消',
  save: '保存',
  close: '关闭',
  create: '创建',
  replyingTo: '回复 {a}',
  editing: '编辑消息',
  unreadN: '{n} 人未读',
  allRead: '全部已读',
  readDirect: '已读',
  unreadDirect: '未读',
  sending: '发送中…',
  failed: '发送失败：{e}',
  retry: '重试',
  discard: '删除',
  you: '你',
  said: '{a}：{t}',
  unreadBadge: '{n} 条未读消息',
  groupInfo: '群信息',
  chatInfo: '聊天信息',
  mutedAllNotice: '仅群主和管理员可在此发言。',
  connecting: '正在连接…',
  syncing: '正在同步…',
  online: '已连接',
  offline: '连接已断开，{s} 秒后重连…',
  savedOffline: '离线 — 显示已保存的消息',
  queued: '联网后自动发送',
  reconnectNow: '立即重连',
  notifyEnable: '开启桌面通知',
  notifyNewFrom: '{a} 发来新消息',
  removedFromConv: '你已不在此会话中。',
  sysCreated: '{a} 创建了群聊',
  sysCreatedDirect: '{a} 发起了聊天',
  sysAdded: '{a} 邀请 {b} 加入了群聊',
  sysRemoved: '{a} 将 {b} 移出了群聊',
  sysLeft: '{a} 退出了群聊',
  sysRenamed: '{a} 将群名称改为“{t}”',
  sysOwner: '{a} 将群主转让给 {b}',
  sysAdminAdded: '{a} 将 {b} 设为管理员',
  sysAdminRemoved: '{a} 取消了 {b} 的管理员身份',
  sysMuted: '{a} 开启了“仅群主和管理员可发言”',
  sysUnmuted: '{a} 关闭了“仅群主和管理员可发言”',
  sysOther: '{a} 修改了会话',
  sysShot: '{a} 截屏了',
  secretMsg: '[密聊消息]',
  someone: '某人',
  mentionList: '提及成员',
  err_network: '无法连接服务器。',
  err_unauthorized: '账号或密码错误。',
  err_conflict: '已存在。',
  err_rate_limited: '尝试次数过多，请稍后再试。',
  err_rate_limited_s: '尝试次数过多，请 {s} 秒后再试。',
  err_too_large: '内容过大。',
  err_forbidden: '你没有权限这样做。',
  err_module_off: '组织已关闭此功能。',
  robot: '机器人',
  err_not_found: '未找到。',
  err_expired: '已超过可操作的时间。',
  err_unavailable: '服务器繁忙，请稍后再试。',
  err_invalid: '请检查填写的内容。',
  err_invalid_field: '请检查：{f}。',
  err_generic: '出错了。',
  loadFailed: '这部分功能没能加载。请检查网络，或刷新页面获取最新版本。',
  f_name: '名称',
  f_title: '标题',
  f_text: '消息',
  f_login: '邮箱或手机号',
  f_password: '密码',
  f_members: '成员',
  f_email: '邮箱',
  f_phone: '手机',
  f_q: '搜索内容',
  jumpLatest: '回到最新',
  newMessages: '新消息',
  external: '外部',
  org: '组织',
  createOrg: '创建组织',
  orgName: '组织名称',
  contacts: '通讯录',
  manage: '管理后台',
  search: '搜索会话和联系人',
  searchMsgs: '搜索聊天记录',
  chatsHeading: '会话',
  peopleHeading: '联系人',
  noneFound: '没有找到。',
  tabChats: '消息',
  tabContacts: '通讯录',
  tabWork: '工作台',
  tabMoments: '动态',
  tabMe: '我',
  tabs: '导航',
  st_active: '在职',
  st_suspended: '已停用',
  st_left: '已离职',
  st_invited: '已邀请',
  st_pending: '待审批',
};

const dicts = { en, zh };
export const languages = [
  ['en', 'English'],
  ['zh', '中文'],
];

// addStrings adds a feature's strings: { en: {...}, zh: {...} }.
export function addStrings(table) {
  for (const l in dicts) Object.assign(dicts[l], table[l]);
}

// catalogue reports the keys one language has and another lacks, and which
// of keys either lacks (the browser tests check that all are complete).
export function catalogue(keys = []) {
  const miss = (a, b) => Object.keys(dicts[a]).filter((k) => !(k in dicts[b]));
  return { missingZh: miss('en', 'zh'), missingEn: miss('zh', 'en'), unknown: keys.filter((k) => !(k in en && k in zh)) };
}

function detect() {
  let saved = '';
  try {
    saved = localStorage.getItem('tack.lang') || '';
  } catch {}
  if (dicts[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const p = String(l).toLowerCase().slice(0, 2);
    if (dicts[p]) return p;
  }
  return 'en';
}

export let lang = detect();
const listeners = new Set();

export function setLang(l) {
  if (!dicts[l] || l === lang) return;
  lang = l;
  try {
    localStorage.setItem('tack.lang', l);
  } catch {}
  document.documentElement.lang = locale();
  makeFormats();
  listeners.forEach((fn) => fn(l));
}

export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const warned = new Set();
function warn(what) {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn('i18n: ' + what);
}

export const has = (key) => key in dicts[lang];

// t looks up a string and fills {placeholders} from vars.
export function t(key, vars) {
  let s = dicts[lang][key];
  if (s == null) {
    warn(`no ${lang} text for "${key}"`);
    s = en[key] ?? t('err_generic');
  }
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// codeText translates a code the server sends (an audit action such as
// "member.join", an import problem such as "row_missing_name"): the key is
// prefix + the code with every non-word character as "_". Unknown codes get
// the generic text of the prefix (prefix + "_other"), never the code itself.
export function codeText(prefix, code, vars) {
  const key = prefix + String(code || '').replace(/\W/g, '_');
  if (has(key)) return t(key, vars);
  warn(`no text for ${prefix} code "${code}"`);
  return t(prefix + 'other', vars);
}

export const memberCount = (n) => (n === 1 ? t('member1') : t('members', { n }));

// errorText turns an ApiError into a sentence for people. The server's own
// message is English; other languages get the catalogue's text.
export function errorText(e) {
  const code = (e && e.code) || 'generic';
  if (code === 'invalid') {
    if (lang === 'en' && e.message) return e.message;
    const f = e.field && 'f_' + e.field;
    return f && has(f) ? t('err_invalid_field', { f: t(f) }) : t('err_invalid');
  }
  if (code === 'rate_limited' && e.retryAfter > 1) return t('err_rate_limited_s', { s: e.retryAfter });
  return has('err_' + code) ? t('err_' + code) : t('err_generic');
}

// locale: the browser's own locale when it speaks the chosen language (so
// en-GB people get day-month dates), else a default for that language.
export function locale() {
  for (const l of navigator.languages || [navigator.language]) {
    if (l && l.toLowerCase().startsWith(lang)) return l;
  }
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

// The date formats, each made on first use: making one costs a phone's CPU
// tens of milliseconds, and the first screen needs one or two.
const FORMATS = {
  time: { hour: 'numeric', minute: '2-digit' },
  day: { month: 'short', day: 'numeric' },
  date: { year: 'numeric', month: 'short', day: 'numeric' },
  weekday: { weekday: 'long', month: 'long', day: 'numeric' },
  full: { dateStyle: 'full', timeStyle: 'short' },
};
let formats = {};
const makeFormats = () => (formats = {});
const fmt = (k, d) => (formats[k] ||= new Intl.DateTimeFormat(locale(), FORMATS[k])).format(d);
document.documentElement.lang = locale();

export function dayKey(d) {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

function daysAgo(d) {
  const a = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const n = new Date();
  const b = new Date(n.getFullYear(), n.getMonth(), n.getDate());
  return Math.round((b - a) / 86400000);
}

export const formatTime = (d) => fmt('time', d);
export const formatFull = (d) => fmt('full', d);

// formatDay: the text of a day separator.
export function formatDay(d) {
  const ago = daysAgo(d);
  if (ago === 0) return t('today');
  if (ago === 1) return t('yesterday');
  if (d.getFullYear() === new Date().getFullYear()) return fmt('weekday', d);
  return fmt('date', d);
}

// formatShort: the time shown in the conversation list.
export function formatShort(d) {
  const ago = daysAgo(d);
  if (ago === 0) return fmt('time', d);
  if (ago === 1) return t('yesterday');
  if (d.getFullYear() === new Date().getFullYear()) return fmt('day', d);
  return fmt('date', d);
}
