import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentIdentity, getConfig, signOut } from './auth';
import { Link, useLocation } from './router';
import { Icon, type IconName } from './ui/icons';
import { cx, Toasts } from './ui/ui';

export function Brand() {
  return (
    <div class="brand">
      <svg class="brand-mark" width="28" height="28" viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="#1f2a44" />
        <path d="M6 10h20M8 14h16M11 14v11M21 14v11" stroke="#f25c3b" stroke-width="2.6" stroke-linecap="round" fill="none" />
      </svg>
      <span class="brand-name">
        Monban <span class="brand-sub">Console</span>
      </span>
    </div>
  );
}

const nav: { group?: string; items: { href: string; label: string; icon: IconName }[] }[] = [
  {
    items: [
      { href: '/applications', label: 'Applications', icon: 'apps' },
      { href: '/api-resources', label: 'API resources', icon: 'resource' },
    ],
  },
  {
    group: 'Authorization',
    items: [{ href: '/roles', label: 'Roles', icon: 'role' }],
  },
  {
    group: 'User management',
    items: [
      { href: '/users', label: 'Users', icon: 'users' },
      { href: '/organizations', label: 'Organizations', icon: 'users' },
      { href: '/sign-in-experience', label: 'Sign-in experience', icon: 'lock' },
      { href: '/connectors', label: 'Connectors', icon: 'globe' },
    ],
  },
  {
    group: 'Development',
    items: [
      { href: '/custom-jwt', label: 'Custom JWT', icon: 'code' },
      { href: '/signing-keys', label: 'Signing keys', icon: 'key' },
      { href: '/webhooks', label: 'Webhooks', icon: 'globe' },
      { href: '/audit-logs', label: 'Audit logs', icon: 'logs' },
    ],
  },
];

function initials(s: string): string {
  const parts = s.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

function UserMenu() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const who = currentIdentity();
  const label = who?.name || who?.username || who?.email || 'Administrator';
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDoc);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDoc);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div class="user-menu" ref={ref}>
      <button type="button" class="user-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span class="avatar" aria-hidden="true">
          {initials(label)}
        </span>
        <span class="user-name">{label}</span>
        <Icon name="chevronDown" size={16} />
      </button>
      {open && (
        <div class="menu" role="menu">
          <div class="menu-head">
            <strong>{label}</strong>
            {who?.email && who.email !== label && <span>{who.email}</span>}
            <span class="menu-endpoint">{getConfig().endpoint}</span>
          </div>
          <button type="button" role="menuitem" class="menu-item" autoFocus onClick={() => void signOut()}>
            <Icon name="signOut" size={16} />
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

export function Shell({ children }: { children: ComponentChildren }) {
  const { path } = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => setNavOpen(false), [path]);
  return (
    <div class={cx('shell', navOpen && 'nav-open')}>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <aside class="sidebar" aria-label="Main navigation">
        <div class="sidebar-top">
          <Brand />
        </div>
        <nav class="nav">
          {nav.map((g, i) => (
            <div class="nav-group" key={i}>
              {g.group && <div class="nav-group-title">{g.group}</div>}
              <ul>
                {g.items.map((it) => {
                  const active = path === it.href || path.startsWith(`${it.href}/`);
                  return (
                    <li key={it.href}>
                      <Link href={it.href} class={cx('nav-item', active && 'is-active')} aria-current={active ? 'page' : undefined}>
                        <Icon name={it.icon} size={18} />
                        {it.label}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
        </nav>
        <div class="sidebar-foot">
          <a class="nav-item nav-item-quiet" href="/api/swagger.json" target="_blank" rel="noopener">
            <Icon name="globe" size={18} />
            Management API (OpenAPI)
          </a>
        </div>
      </aside>
      <div class="scrim" onClick={() => setNavOpen(false)} aria-hidden="true" />
      <div class="main">
        <header class="topbar">
          <button type="button" class="icon-btn nav-toggle" aria-label="Open navigation" aria-expanded={navOpen} onClick={() => setNavOpen(!navOpen)}>
            <Icon name="menu" size={20} />
          </button>
          <div class="topbar-brand">
            <Brand />
          </div>
          <div class="topbar-spacer" />
          <UserMenu />
        </header>
        <main id="content" class="content" tabIndex={-1}>
          {children}
        </main>
      </div>
      <Toasts />
    </div>
  );
}
