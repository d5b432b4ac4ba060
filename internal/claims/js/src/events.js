// DOMException, Event and EventTarget.

import { apply, define, defineProperty } from './prelude.js';
import { uncaught } from './settle.js';

let setEventTarget;

const DOM_CODES = {
  IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
  InvalidCharacterError: 5, NetworkError: 19, AbortError: 20, QuotaExceededError: 22, TimeoutError: 23,
  TypeMismatchError: 17, DataCloneError: 25,
};

export class DOMException extends Error {
  constructor(message = '', name = 'Error') {
    super(String(message));
    defineProperty(this, 'name', { value: String(name), writable: true, configurable: true });
    defineProperty(this, 'code', { value: DOM_CODES[String(name)] || 0, configurable: true });
  }
}
define('DOMException', DOMException);

export class Event {
  #type;
  #target = null;
  #defaultPrevented = false;
  constructor(type) {
    if (arguments.length === 0) throw new TypeError("Event constructor requires 'type'");
    this.#type = String(type);
  }
  get type() { return this.#type; }
  get target() { return this.#target; }
  get currentTarget() { return this.#target; }
  get defaultPrevented() { return this.#defaultPrevented; }
  preventDefault() { this.#defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() {}
  static {
    setEventTarget = (ev, t) => { ev.#target = t; };
  }
}
define('Event', Event);

export class EventTarget {
  #listeners = new Map();
  addEventListener(type, listener, options) {
    if (listener === null || listener === undefined) return;
    type = String(type);
    let list = this.#listeners.get(type);
    if (!list) this.#listeners.set(type, (list = []));
    for (const l of list) if (l.listener === listener) return;
    const once = options !== null && typeof options === 'object' && !!options.once;
    list.push({ listener, once });
  }
  removeEventListener(type, listener) {
    const list = this.#listeners.get(String(type));
    if (!list) return;
    const i = list.findIndex((l) => l.listener === listener);
    if (i >= 0) list.splice(i, 1);
  }
  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError('dispatchEvent requires an Event');
    setEventTarget(event, this);
    const handler = this['on' + event.type];
    const list = (this.#listeners.get(event.type) || []).slice();
    const call = (f) => {
      try {
        if (typeof f === 'function') apply(f, this, [event]);
        else if (f && typeof f.handleEvent === 'function') f.handleEvent(event);
      } catch (e) {
        uncaught(e);
      }
    };
    if (typeof handler === 'function') call(handler);
    for (const l of list) {
      if (l.once) this.removeEventListener(event.type, l.listener);
      call(l.listener);
    }
    return !event.defaultPrevented;
  }
}
define('EventTarget', EventTarget);
