// A small history router for paths below /console.
import { h, type ComponentChildren, type HTMLAttributes, type TargetedMouseEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

type Listener = () => void;
const listeners = new Set<Listener>();

/** The path inside the console, e.g. "/applications/abc", with the query. */
export function consolePath(): string {
  const p = window.location.pathname;
  const rel = p.startsWith(BASE) ? p.slice(BASE.length) || '/' : '/';
  return rel + window.location.search;
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const url = BASE + (to.startsWith('/') ? to : `/${to}`);
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
  if (!opts.replace) window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export interface Location {
  path: string;
  query: URLSearchParams;
}

function read(): Location {
  const p = window.location.pathname;
  const rel = p.startsWith(BASE) ? p.slice(BASE.length) || '/' : '/';
  return { path: rel.replace(/\/+$/, '') || '/', query: new URLSearchParams(window.location.search) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const l = () => setLoc(read());
    listeners.add(l);
    // A child may have navigated before this effect subscribed.
    l();
    return () => void listeners.delete(l);
  }, []);
  return loc;
}

/** Matches "/applications/:id" against a path; the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
    else if (ps[i] !== xs[i]) return null;
  }
  return out;
}

type LinkProps = Omit<HTMLAttributes<HTMLAnchorElement>, 'href'> & { href: string; children?: ComponentChildren };

/** An anchor that navigates inside the app (and still opens in a new tab). */
export function Link({ href, onClick, ...rest }: LinkProps) {
  return h('a', {
    ...rest,
    href: BASE + href,
    onClick: (e: TargetedMouseEvent<HTMLAnchorElement>) => {
      if (onClick) (onClick as (e: TargetedMouseEvent<HTMLAnchorElement>) => void)(e);
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(href);
    },
  });
}
