// A browser for Monban's hosted sign-in page, shared by the code-flow
// scripts: a cookie jar and requests that follow no redirect by
// themselves, redirects followed by hand while they stay on the server
// (root), and the sign-in form filled and posted as a user would.
import { check } from './steps.mjs';

export function browser(root, username, password) {
  const jar = new Map();
  async function browse(url, init = {}) {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  // follow follows redirects from url until one leaves for the app (its
  // Location is returned) or a page answers (returned as {status, html}).
  async function follow(url, init) {
    let res = await browse(url, init);
    for (let hops = 0; hops < 10; hops++) {
      const loc = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || !loc) {
        return { status: res.status, html: await res.text() };
      }
      const next = new URL(loc, url).href;
      if (!next.startsWith(root)) return { location: next, status: res.status };
      url = next;
      res = await browse(url);
    }
    throw new Error('too many redirects');
  }

  // signIn fills and posts the sign-in form of a page as a browser would.
  async function signIn(page) {
    const form = page.html.match(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/);
    check(page.status === 200 && form, 'a sign-in page', page.html?.slice(0, 300));
    const fields = new URLSearchParams();
    for (const [, name, value] of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields.set(name, unescape(value));
    }
    check(fields.get('csrf'), 'the CSRF field', form[2]);
    fields.set('identifier', username);
    fields.set('password', password);
    const action = new URL(unescape(form[1]), root).href;
    return follow(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() });
  }

  return { browse, follow, signIn };
}

const unescape = (s) => s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e) => {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e.toLowerCase()];
  if (named) return named;
  return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
});
