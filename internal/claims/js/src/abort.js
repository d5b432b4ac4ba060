// AbortController and AbortSignal.

import { define } from './prelude.js';
import { DOMException, Event, EventTarget } from './events.js';
import { startTimer } from './timers.js';

const SIGNAL_KEY = {};
let signalAbort;

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  onabort = null;
  constructor(key) {
    if (key !== SIGNAL_KEY) throw new TypeError('Illegal constructor');
    super();
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }
  static abort(reason) {
    const s = new AbortSignal(SIGNAL_KEY);
    signalAbort(s, reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
    return s;
  }
  static timeout(ms) {
    const s = new AbortSignal(SIGNAL_KEY);
    startTimer(() => signalAbort(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms, [], false);
    return s;
  }
  static any(signals) {
    const s = new AbortSignal(SIGNAL_KEY);
    const list = [...signals];
    for (const x of list) {
      if (!(x instanceof AbortSignal)) throw new TypeError('AbortSignal.any requires AbortSignal objects');
      if (x.aborted) {
        signalAbort(s, x.reason);
        return s;
      }
    }
    for (const x of list) x.addEventListener('abort', () => signalAbort(s, x.reason), { once: true });
    return s;
  }
  static {
    signalAbort = (s, reason) => {
      if (s.#aborted) return;
      s.#aborted = true;
      s.#reason = reason;
      s.dispatchEvent(new Event('abort'));
    };
  }
}
define('AbortSignal', AbortSignal);

class AbortController {
  #signal = new AbortSignal(SIGNAL_KEY);
  get signal() { return this.#signal; }
  abort(reason) {
    signalAbort(this.#signal, reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
  }
}
define('AbortController', AbortController);
