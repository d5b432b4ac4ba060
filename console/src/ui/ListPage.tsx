// The parts every list page (applications, API resources, roles, users,
// signing keys, audit logs) is built from: the search toolbar above its
// table, the table with its column heads and loading rows, and rows that
// open an item's page.
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { Link, navigate } from '../router';
import { Button, SearchBox, SkeletonRows } from './ui';

/** A column head of a ListTable; hide hides the column on small or medium screens. */
export type Head = { label: string; hide?: 'sm' | 'md' };

// ListTable is a list page's table: the column heads, then skeleton rows
// while the first load runs (loading), or the rows (children) once it has.
export function ListTable({ heads, loading, skeletonRows, children }: { heads: Head[]; loading: boolean; skeletonRows?: number; children?: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            {heads.map((h) => (
              <th key={h.label} scope="col" class={h.hide ? `hide-${h.hide}` : undefined}>
                {h.label}
              </th>
            ))}
          </tr>
        </thead>
        {loading ? <SkeletonRows cols={heads.length} rows={skeletonRows} /> : <tbody>{children}</tbody>}
      </table>
    </div>
  );
}

// SearchToolbar is the bar above a list's table: the search box, and how
// many items the list shows (count).
export function SearchToolbar({ value, onInput, placeholder, label, count }: { value: string; onInput: (v: string) => void; placeholder: string; label: string; count: string }) {
  return (
    <div class="table-toolbar">
      <SearchBox value={value} onInput={onInput} placeholder={placeholder} label={label} />
      <span class="table-count">{count}</span>
    </div>
  );
}

// useSearch filters a list loaded whole (items, undefined while loading)
// by the words typed into its search box: an item stays when one of its
// texts holds them, ignoring case. rows come sorted by order; count says
// how many of all are shown.
export function useSearch<T>(items: T[] | undefined, order: (a: T, b: T) => number, texts: (item: T) => string[]) {
  const [q, setQ] = useState('');
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const all = (items ?? []).slice().sort(order);
    return needle ? all.filter((item) => texts(item).some((t) => t.toLowerCase().includes(needle))) : all;
  }, [items, q]);
  return { q, setQ, rows, count: items ? `${rows.length} of ${items.length}` : '' };
}

// LinkRow is a table row that opens href when clicked anywhere on it.
export function LinkRow({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <tr class="row-link" onClick={() => navigate(href)}>
      {children}
    </tr>
  );
}

// RowLink is the link inside a LinkRow that keyboard and screen-reader
// users follow; a click on it is not also the row's.
export function RowLink({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <Link href={href} class="row-anchor" onClick={(e) => e.stopPropagation()}>
      {children}
    </Link>
  );
}

// CreateButton is a list page's primary "+" button, that opens its create
// dialog (in its header, and again in the empty state of an empty list).
export function CreateButton({ onClick, children }: { onClick: () => void; children: ComponentChildren }) {
  return (
    <Button variant="primary" icon="plus" onClick={onClick}>
      {children}
    </Button>
  );
}
