import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type Async, useAction } from '../hooks';
import { Checkbox, Dialog, ErrorBanner, FormButtons, SearchBox, toast } from './ui';

// PickDialog is the "assign …" dialog: search a list, tick some entries,
// assign them in one request. The caller owns the query (it may filter the
// list itself or search on the server) and says what an entry looks like.
export function PickDialog<T>({
  open,
  title,
  description,
  query,
  onQuery,
  searchLabel,
  searchPlaceholder = searchLabel,
  listLabel,
  loadingText,
  empty,
  items,
  rows,
  keyOf,
  render,
  noun,
  pickFirst = `Select at least one ${noun[0]}.`,
  cancelLabel = 'Cancel',
  submitLabel = () => 'Assign',
  assign,
  onClose,
  onDone,
}: {
  open: boolean;
  title: string;
  description: ComponentChildren;
  query: string;
  onQuery: (q: string) => void;
  searchLabel: string;
  searchPlaceholder?: string;
  listLabel: string;
  loadingText: string;
  // empty is shown when rows is empty; it may use close to leave the dialog.
  empty: (close: () => void) => ComponentChildren;
  items: Pick<Async<unknown>, 'data' | 'error' | 'loading' | 'reload'>;
  rows: T[];
  keyOf: (item: T) => string;
  render: (item: T) => ComponentChildren;
  noun: [singular: string, plural: string];
  pickFirst?: string;
  cancelLabel?: string;
  submitLabel?: (picked: number) => ComponentChildren;
  assign: (picked: T[]) => Promise<unknown>;
  onClose: () => void;
  onDone?: () => void;
}) {
  const [picked, setPicked] = useState<T[]>([]);
  const { busy, error, setError, run } = useAction();
  const reset = () => {
    setPicked([]);
    onQuery('');
    setError(null);
  };
  const close = () => {
    if (busy) return;
    reset();
    onClose();
  };
  const submit = async () => {
    if (!picked.length) return setError(new Error(pickFirst));
    await run(async () => {
      await assign(picked);
      toast(picked.length === 1 ? `${cap(noun[0])} assigned` : `${picked.length} ${noun[1]} assigned`);
      onDone?.();
      reset();
      onClose();
    });
  };
  const isPicked = (item: T) => picked.some((p) => keyOf(p) === keyOf(item));
  return (
    <Dialog
      open={open}
      title={title}
      description={description}
      onClose={close}
      busy={busy}
      onSubmit={submit}
      footer={
        <FormButtons onCancel={close} cancelLabel={cancelLabel} busy={busy} disabled={!picked.length} label={submitLabel(picked.length)} />
      }
    >
      <SearchBox value={query} onInput={onQuery} placeholder={searchPlaceholder} label={searchLabel} />
      <div class="pick-list" role="group" aria-label={listLabel}>
        {items.loading && !items.data ? (
          <p class="muted pad">{loadingText}</p>
        ) : items.error ? (
          <ErrorBanner error={items.error} onRetry={items.reload} />
        ) : rows.length === 0 ? (
          <p class="muted pad">{empty(close)}</p>
        ) : (
          rows.map((item) => (
            <Checkbox key={keyOf(item)} checked={isPicked(item)} onChange={(v) => setPicked(v ? [...picked, item] : picked.filter((p) => keyOf(p) !== keyOf(item)))}>
              {render(item)}
            </Checkbox>
          ))
        )}
      </div>
      {error ? <ErrorBanner error={error} title={`The ${noun[1]} could not be assigned`} /> : null}
    </Dialog>
  );
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

// roleItem is a role as a PickDialog entry.
export function roleItem(r: { name: string; description?: string }): ComponentChildren {
  return (
    <>
      <span class="pick-title">{r.name}</span>
      {r.description && <span class="pick-sub">{r.description}</span>}
    </>
  );
}
