// The console's building blocks: buttons, fields, cards, tables, dialogs,
// tabs, toasts.
import type { ButtonHTMLAttributes, ComponentChildren, RefObject } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api';
import { useAction } from '../hooks';
import { Link, useLocation } from '../router';
import { Icon, type IconName } from './icons';

function cx(...xs: (string | false | null | undefined)[]): string {
  return xs.filter(Boolean).join(' ');
}

// ---------------------------------------------------------------- buttons

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'icon' | 'size' | 'type' | 'disabled'> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'danger-soft' | 'ghost' | 'link';
  size?: 'sm' | 'md';
  icon?: IconName;
  loading?: boolean;
  type?: 'button' | 'submit';
  disabled?: boolean;
  children?: ComponentChildren;
};

export function Button({ variant = 'secondary', size = 'md', icon, loading, disabled, type = 'button', children, class: cls, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={cx('btn', `btn-${variant}`, size === 'sm' && 'btn-sm', loading && 'is-loading', cls as string)}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
    >
      {loading ? <span class="spinner" aria-hidden="true" /> : icon ? <Icon name={icon} size={size === 'sm' ? 16 : 18} /> : null}
      {children && <span>{children}</span>}
    </button>
  );
}

export function IconButton({ icon, label, onClick, variant = 'ghost', disabled }: { icon: IconName; label: string; onClick: () => void; variant?: 'ghost' | 'danger'; disabled?: boolean }) {
  return (
    <button type="button" class={cx('icon-btn', variant === 'danger' && 'icon-btn-danger')} aria-label={label} title={label} onClick={onClick} disabled={disabled}>
      <Icon name={icon} size={18} />
    </button>
  );
}

// ----------------------------------------------------------------- fields

interface FieldBase {
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  required?: boolean;
}

// messageId is the id of the FieldMessage of the field id, if it shows one.
function messageId(id: string, error?: string | null, hint?: ComponentChildren): string | undefined {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}

// FieldMessage is what is shown under a field: its error if it has one,
// else its hint.
function FieldMessage({ id, error, hint }: { id: string; error?: string | null; hint?: ComponentChildren }) {
  return error ? (
    <p class="field-error" id={`${id}-error`} role="alert">
      {error}
    </p>
  ) : hint ? (
    <p class="field-hint" id={`${id}-hint`}>
      {hint}
    </p>
  ) : null;
}

function FieldShell({ id, label, hint, error, required, children }: FieldBase & { id: string; children: ComponentChildren }) {
  return (
    <div class={cx('field', error && 'has-error')}>
      <label class="field-label" for={id}>
        {label}
        {required && (
          <span class="req" aria-hidden="true">
            *
          </span>
        )}
      </label>
      {children}
      <FieldMessage id={id} error={error} hint={hint} />
    </div>
  );
}

type InputProps = FieldBase & {
  value: string;
  onInput: (v: string) => void;
  type?: string;
  placeholder?: string;
  autoFocus?: boolean;
  disabled?: boolean;
  readOnly?: boolean;
  name?: string;
  autoComplete?: string;
  min?: number;
  max?: number;
  mono?: boolean;
  inputRef?: RefObject<HTMLInputElement>;
};

export function TextField({ label, hint, error, required, value, onInput, type = 'text', placeholder, autoFocus, disabled, readOnly, name, autoComplete, min, max, mono, inputRef }: InputProps) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required}>
      <input
        id={id}
        ref={inputRef}
        class={cx('input', mono && 'mono')}
        type={type as 'text'}
        name={name}
        value={value}
        placeholder={placeholder}
        autoFocus={autoFocus}
        disabled={disabled}
        readOnly={readOnly}
        autoComplete={autoComplete ?? 'off'}
        min={min}
        max={max}
        required={required}
        aria-invalid={error ? true : undefined}
        aria-describedby={messageId(id, error, hint)}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </FieldShell>
  );
}

export function TextArea({ label, hint, error, required, value, onInput, rows = 3, placeholder, mono }: FieldBase & { value: string; onInput: (v: string) => void; rows?: number; placeholder?: string; mono?: boolean }) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required}>
      <textarea
        id={id}
        class={cx('input', 'textarea', mono && 'mono')}
        rows={rows}
        value={value}
        placeholder={placeholder}
        aria-invalid={error ? true : undefined}
        aria-describedby={messageId(id, error, hint)}
        onInput={(e) => onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </FieldShell>
  );
}

export function SelectField({ label, hint, error, required, value, onChange, options }: FieldBase & { value: string; onChange: (v: string) => void; options: { value: string; label: string }[] }) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required}>
      <div class="select-wrap">
        <select id={id} class="input select" value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <Icon name="chevronDown" size={16} class="select-caret" />
      </div>
    </FieldShell>
  );
}

/** A list of strings (redirect URIs, origins), one input each. */
export function ListField({ label, hint, error, values, onChange, placeholder, addLabel }: FieldBase & { values: string[]; onChange: (v: string[]) => void; placeholder?: string; addLabel: string }) {
  const id = useId();
  const rows = values.length ? values : [''];
  return (
    <fieldset class={cx('field', 'list-field', error && 'has-error')} aria-describedby={messageId(id, error, hint)}>
      <legend class="field-label">{label}</legend>
      {rows.map((v, i) => (
        <div class="list-row" key={i}>
          <input
            class="input mono"
            value={v}
            placeholder={placeholder}
            aria-label={`${label} ${i + 1}`}
            onInput={(e) => {
              const next = [...rows];
              next[i] = (e.currentTarget as HTMLInputElement).value;
              onChange(next);
            }}
          />
          <IconButton
            icon="trash"
            label={`Remove ${label.toLowerCase()} ${i + 1}`}
            disabled={rows.length === 1 && !v}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          />
        </div>
      ))}
      <Button size="sm" variant="link" icon="plus" onClick={() => onChange([...rows, ''])}>
        {addLabel}
      </Button>
      <FieldMessage id={id} error={error} hint={hint} />
    </fieldset>
  );
}

export function Switch({ checked, onChange, label, description, disabled }: { checked: boolean; onChange: (v: boolean) => void; label: string; description?: ComponentChildren; disabled?: boolean }) {
  const id = useId();
  return (
    <div class="switch-row">
      <div class="switch-text">
        <span class="switch-label" id={`${id}-l`}>
          {label}
        </span>
        {description && (
          <span class="switch-desc" id={`${id}-d`}>
            {description}
          </span>
        )}
      </div>
      <button
        type="button"
        role="switch"
        class={cx('switch', checked && 'is-on')}
        aria-checked={checked}
        aria-labelledby={`${id}-l`}
        aria-describedby={description ? `${id}-d` : undefined}
        disabled={disabled}
        onClick={() => onChange(!checked)}
      >
        <span class="switch-knob" />
      </button>
    </div>
  );
}

export function Checkbox({ checked, onChange, children, disabled }: { checked: boolean; onChange: (v: boolean) => void; children: ComponentChildren; disabled?: boolean }) {
  return (
    <label class={cx('check', disabled && 'is-disabled')}>
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      <span class="check-box" aria-hidden="true">
        <Icon name="check" size={14} />
      </span>
      <span class="check-label">{children}</span>
    </label>
  );
}

export function SearchBox({ value, onInput, placeholder, label }: { value: string; onInput: (v: string) => void; placeholder: string; label: string }) {
  return (
    <div class="search">
      <Icon name="search" size={16} />
      <input class="input" type="search" value={value} placeholder={placeholder} aria-label={label} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} />
    </div>
  );
}

// ------------------------------------------------------------- structure

// PageHeader heads a page: a link back to the list a detail page belongs
// to, the page's icon, its title, a subtitle that describes the page or
// meta (badges and facts in a row, on a detail page), and its actions.
export function PageHeader({
  title,
  subtitle,
  meta,
  actions,
  back,
  icon,
}: {
  title: ComponentChildren;
  subtitle?: ComponentChildren;
  meta?: ComponentChildren;
  actions?: ComponentChildren;
  back?: { href: string; label: string };
  icon?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      {back && (
        <Link class="back-link" href={back.href}>
          ← {back.label}
        </Link>
      )}
      <div class="page-header-row">
        {icon && <div class="page-icon">{icon}</div>}
        <div class="page-header-text">
          <h1>{title}</h1>
          {subtitle && <div class="page-subtitle">{subtitle}</div>}
          {meta && <div class="page-subtitle meta-row">{meta}</div>}
        </div>
        {actions && <div class="page-actions">{actions}</div>}
      </div>
    </header>
  );
}

export function Card({ title, description, actions, children, class: cls, footer, padded = true }: { title?: ComponentChildren; description?: ComponentChildren; actions?: ComponentChildren; children?: ComponentChildren; class?: string; footer?: ComponentChildren; padded?: boolean }) {
  return (
    <section class={cx('card', cls)}>
      {(title || actions) && (
        <div class="card-header">
          <div>
            {title && <h2 class="card-title">{title}</h2>}
            {description && <p class="card-desc">{description}</p>}
          </div>
          {actions && <div class="card-actions">{actions}</div>}
        </div>
      )}
      <div class={cx(padded && 'card-body')}>{children}</div>
      {footer && <div class="card-footer">{footer}</div>}
    </section>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'primary' | 'success' | 'warning' | 'danger' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

export function Tabs<T extends string>({ tabs, active, onChange, label }: { tabs: { id: T; label: string; count?: number }[]; active: T; onChange: (id: T) => void; label: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent, i: number) => {
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = tabs.length - 1;
    if (j >= 0) {
      e.preventDefault();
      onChange(tabs[j].id);
      refs.current[j]?.focus();
    }
  };
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => void (refs.current[i] = el)}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === active}
          aria-controls={`panel-${t.id}`}
          tabIndex={t.id === active ? 0 : -1}
          class={cx('tab', t.id === active && 'is-active')}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
          {t.count !== undefined && <span class="tab-count">{t.count}</span>}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ComponentChildren }) {
  return (
    <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} class="tab-panel">
      {children}
    </div>
  );
}

// ---------------------------------------------------------------- states

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner spinner-lg" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function SkeletonRows({ rows = 4, cols = 4 }: { rows?: number; cols?: number }) {
  return (
    <tbody aria-hidden="true">
      {Array.from({ length: rows }, (_, i) => (
        <tr key={i} class="skeleton-row">
          {Array.from({ length: cols }, (_, j) => (
            <td key={j}>
              <span class="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </tbody>
  );
}

export function EmptyState({ icon = 'info', title, children, action }: { icon?: IconName; title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={icon} size={26} />
      </div>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action && <div class="empty-action">{action}</div>}
    </div>
  );
}

export function ErrorBanner({ error, onRetry, title = 'Something went wrong' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div class="banner banner-danger" role="alert">
      <Icon name="warning" size={18} />
      <div class="banner-text">
        <strong class="banner-title">{title}</strong>
        <span class="banner-body">{errorMessage(error)}</span>
      </div>
      {onRetry && (
        <Button size="sm" onClick={onRetry} icon="refresh">
          Retry
        </Button>
      )}
    </div>
  );
}

/** A notice. Its text flows as one paragraph; a title goes on a line of its own. */
export function Banner({ tone = 'info', title, children, icon }: { tone?: 'info' | 'warning' | 'danger' | 'success'; title?: ComponentChildren; children: ComponentChildren; icon?: IconName }) {
  return (
    <div class={`banner banner-${tone}`} role={tone === 'danger' ? 'alert' : 'note'}>
      <Icon name={icon ?? (tone === 'info' ? 'info' : tone === 'success' ? 'check' : 'warning')} size={18} />
      <div class="banner-text">
        {title && <strong class="banner-title">{title}</strong>}
        {children}
      </div>
    </div>
  );
}

/** A read-only value with a copy button; masked values can be revealed. */
export function CopyField({ value, label, masked, mono = true }: { value: string; label: string; masked?: boolean; mono?: boolean }) {
  const [copied, setCopied] = useState(false);
  const [shown, setShown] = useState(!masked);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = value;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setCopied(true);
    toast(`${label} copied`);
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setCopied(false), 1600);
  };
  return (
    <div class="copy-field">
      <code class={cx('copy-value', mono && 'mono')} aria-label={label}>
        {shown ? value : '•'.repeat(Math.min(value.length, 32))}
      </code>
      {masked && <IconButton icon={shown ? 'eyeOff' : 'eye'} label={shown ? `Hide ${label}` : `Show ${label}`} onClick={() => setShown(!shown)} />}
      <IconButton icon={copied ? 'check' : 'copy'} label={`Copy ${label}`} onClick={copy} />
    </div>
  );
}

export function Pagination({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (total <= pageSize && page === 1) return null;
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav class="pagination" aria-label="Pagination">
      <span class="pagination-info">
        {from}–{to} of {total}
      </span>
      <Button size="sm" icon="chevronLeft" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page" />
      <span class="pagination-page">
        Page {page} of {pages}
      </span>
      <Button size="sm" icon="chevronRight" disabled={page >= pages} onClick={() => onPage(page + 1)} aria-label="Next page" />
    </nav>
  );
}

// --------------------------------------------------------------- dialogs

/** A form dialog's buttons: one that leaves it, and the submit button. */
export function FormButtons({ label, onCancel, cancelLabel = 'Cancel', busy, disabled, variant = 'primary' }: { label: ComponentChildren; onCancel: () => void; cancelLabel?: string; busy?: boolean; disabled?: boolean; variant?: 'primary' | 'danger' }) {
  return (
    <>
      <Button onClick={onCancel} disabled={busy}>
        {cancelLabel}
      </Button>
      <Button type="submit" variant={variant} loading={busy} disabled={disabled}>
        {label}
      </Button>
    </>
  );
}

export function Dialog({ open, title, description, onClose, children, footer, size = 'md', onSubmit, busy }: { open: boolean; title: string; description?: ComponentChildren; onClose: () => void; children?: ComponentChildren; footer?: ComponentChildren; size?: 'sm' | 'md' | 'lg'; onSubmit?: () => void; busy?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Open and close in the same render as the state that says so, not after
  // paint: otherwise a closing dialog shows for a frame with what its owner
  // has already cleared or changed.
  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onCancel = (e: Event) => {
      e.preventDefault();
      if (!busy) onClose();
    };
    d.addEventListener('cancel', onCancel);
    return () => d.removeEventListener('cancel', onCancel);
  }, [onClose, busy]);
  const body = (
    <>
      <div class="dialog-header">
        <div>
          <h2 id={titleId} class="dialog-title">
            {title}
          </h2>
          {description && <p class="dialog-desc">{description}</p>}
        </div>
        <IconButton icon="close" label="Close" onClick={onClose} disabled={busy} />
      </div>
      <div class="dialog-body">{open && children}</div>
      {footer && <div class="dialog-footer">{footer}</div>}
    </>
  );
  return (
    <dialog
      ref={ref}
      class={`dialog dialog-${size}`}
      aria-labelledby={titleId}
      onMouseDown={(e) => {
        if (e.target === ref.current && !busy) onClose();
      }}
    >
      {onSubmit ? (
        <form
          class="dialog-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit();
          }}
        >
          {body}
        </form>
      ) : (
        <div class="dialog-form">{body}</div>
      )}
    </dialog>
  );
}

/** Asks before a destructive action; runs it and shows the server's error. */
export function ConfirmDialog({ open, title, children, confirmLabel = 'Delete', onConfirm, onClose, tone = 'danger' }: { open: boolean; title: string; children: ComponentChildren; confirmLabel?: string; onConfirm: () => Promise<void>; onClose: () => void; tone?: 'danger' | 'primary' }) {
  const { busy, error, setError, run } = useAction();
  useEffect(() => {
    if (open) setError(null);
  }, [open]);
  const confirm = () =>
    run(async () => {
      await onConfirm();
      onClose();
    });
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      size="sm"
      busy={busy}
      onSubmit={confirm}
      footer={
        <FormButtons onCancel={onClose} busy={busy} variant={tone} label={confirmLabel} />
      }
    >
      <div class="confirm-text">{children}</div>
      {error ? <ErrorBanner error={error} title="The action failed" /> : null}
    </Dialog>
  );
}

// ---------------------------------------------------------------- toasts

type ToastItem = { id: number; text: string; tone: 'success' | 'danger'; at: number };
let toastId = 0;
let toastItems: ToastItem[] = [];
const toastListeners = new Set<(t: ToastItem[]) => void>();

export function toast(text: string, tone: 'success' | 'danger' = 'success') {
  const item = { id: ++toastId, text, tone, at: Date.now() };
  toastItems = [...toastItems, item].slice(-2);
  toastListeners.forEach((l) => l(toastItems));
  window.setTimeout(() => {
    toastItems = toastItems.filter((t) => t.id !== item.id);
    toastListeners.forEach((l) => l(toastItems));
  }, 3200);
}

export function Toasts() {
  const [items, setItems] = useState(toastItems);
  const { path } = useLocation();
  useEffect(() => {
    toastListeners.add(setItems);
    return () => void toastListeners.delete(setItems);
  }, []);
  // Another page: the toasts of the last one go, except one just raised by
  // the action that navigated ("User added", then the user's page).
  useEffect(() => {
    const recent = Date.now() - 1000;
    if (toastItems.some((t) => t.at < recent)) {
      toastItems = toastItems.filter((t) => t.at >= recent);
      toastListeners.forEach((l) => l(toastItems));
    }
  }, [path]);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`}>
          <Icon name={t.tone === 'success' ? 'check' : 'warning'} size={16} />
          {t.text}
        </div>
      ))}
    </div>
  );
}

// --------------------------------------------------------------- helpers

export function formatDate(ms: number | null | undefined): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatRelative(ms: number | null | undefined): string {
  if (!ms) return '—';
  const diff = Date.now() - ms;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 864e5],
    ['month', 30 * 864e5],
    ['day', 864e5],
    ['hour', 36e5],
    ['minute', 6e4],
  ];
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(-Math.round(diff / size), unit);
  }
  return 'just now';
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export { cx };
