// stream.js: the WebSocket at /api/v1/stream, with resume and reconnect.
//
// Each (re)connection starts with a hello carrying the cursors the caller
// supplies (conversation id -> highest mod seen), so the server replays
// exactly what was missed. Reconnects back off exponentially with jitter.
// An application-level ping every 25 s detects dead connections that the
// browser would otherwise keep for minutes.

const PING_EVERY = 25000;
const PONG_WITHIN = 10000;

export class Stream {
  // opts: cursors() -> object, onEvent(ev), onState(state, info),
  //       onRevoked(), onFailures(n)
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.state = 'idle'; // idle | connecting | syncing | online | waiting
    this.failures = 0;
    this.timer = 0;
    this.pingTimer = 0;
    this.pongTimer = 0;
    this.stopped = true;
    this.retryAt = 0;
    this.wake = () => {
      if (!this.stopped && this.state === 'waiting') this.connect();
    };
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.wake();
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.timer);
    this.stopPing();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      ws.close(1000);
    }
    this.setState('idle');
  }

  get online() {
    return this.state === 'online';
  }

  setState(s, info) {
    this.state = s;
    this.opts.onState && this.opts.onState(s, info);
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    if (this.ws) {
      this.ws.onclose = this.ws.onmessage = this.ws.onerror = this.ws.onopen = null;
      try {
        this.ws.close();
      } catch {}
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      // hello=1: the server waits for our hello and catches up from its cursors first.
      ws = new WebSocket(`${proto}//${location.host}/api/v1/stream?hello=1`);
    } catch {
      this.ws = null;
      this.retry(1006);
      return;
    }
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      this.setState('syncing');
      ws.send(JSON.stringify({ type: 'hello', cursors: this.opts.cursors() }));
      this.startPing();
    };
    ws.onmessage = (e) => {
      this.gotSomething();
      for (const line of String(e.data).split('\n')) {
        if (!line.trim()) continue;
        let ev;
        try {
          ev = JSON.parse(line);
        } catch {
          continue;
        }
        if (ev.type === 'pong') continue;
        if (ev.type === 'synced') {
          this.failures = 0;
          this.setState('online');
        }
        if (ev.type === 'session_revoked') {
          this.stop();
          this.opts.onRevoked && this.opts.onRevoked();
          return;
        }
        this.opts.onEvent(ev);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPing();
      if (this.stopped) return;
      if (e.code === 4001) {
        this.stop();
        this.opts.onRevoked && this.opts.onRevoked();
        return;
      }
      this.retry(e.code);
    };
    ws.onerror = () => {};
  }

  retry(code) {
    this.failures++;
    // 4000 (resync) and 1001 (server going away) deserve a quick retry.
    const base = code === 4000 || (code === 1001 && this.failures === 1) ? 100 : 500;
    const delay = Math.min(15000, base * 2 ** Math.min(this.failures - 1, 5));
    const wait = Math.round(delay / 2 + Math.random() * delay / 2);
    this.retryAt = Date.now() + wait;
    this.setState('waiting', { wait, at: this.retryAt, failures: this.failures });
    this.opts.onFailures && this.opts.onFailures(this.failures);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  // send writes one object if the socket is open; it reports whether it did.
  send(obj) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.state !== 'online') return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send('{"type":"ping"}');
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => {
        // Nothing came back: the connection is dead.
        if (this.ws) {
          const ws = this.ws;
          ws.onclose = null;
          this.ws = null;
          try {
            ws.close();
          } catch {}
          this.stopPing();
          this.retry(1006);
        }
      }, PONG_WITHIN);
    }, PING_EVERY);
  }

  gotSomething() {
    clearTimeout(this.pongTimer);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
