import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Async } from '../hooks';
import type { IconName } from './icons';
import { Button, Card, ConfirmDialog, cx, EmptyState, ErrorBanner, IconButton, Loading, toast } from './ui';

/** A column of a ListCard's table. hideSm hides it on narrow screens; class styles its cells. */
export type Column<T> = { header: string; cell: (item: T) => ComponentChildren; hideSm?: boolean; class?: string };

type Loaded = Pick<Async<unknown>, 'data' | 'error' | 'loading' | 'reload'>;

// Table shows items a row each, in columns, with the row's actions last.
// children follow the table inside its frame (a note on an empty list).
export function Table<T>({
  columns,
  items,
  keyOf,
  rowActions,
  bordered,
  children,
}: {
  columns: Column<T>[];
  items: T[];
  keyOf: (item: T) => string;
  rowActions?: (item: T) => ComponentChildren;
  bordered?: boolean;
  children?: ComponentChildren;
}) {
  return (
    <div class={cx('table-wrap', bordered && 'bordered')}>
      <table class="table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" class={c.hideSm ? 'hide-sm' : undefined}>
                {c.header}
              </th>
            ))}
            {rowActions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={keyOf(item)}>
              {columns.map((c) => (
                <td key={c.header} class={cx(c.hideSm && 'hide-sm', c.class) || undefined}>
                  {c.cell(item)}
                </td>
              ))}
              {rowActions && <td class="cell-actions">{rowActions(item)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      {children}
    </div>
  );
}

// ListCard is a card holding one list of a detail page (an app's roles, a
// resource's permissions, ...): a failed load with a retry, a spinner on the
// first load, the empty state, or the Table. children are the card's
// dialogs.
export function ListCard<T extends { id: string }>({
  title,
  description,
  actions,
  list,
  items,
  empty,
  columns,
  rowActions,
  children,
}: {
  title: string;
  description: ComponentChildren;
  actions?: ComponentChildren;
  list: Loaded;
  items: T[];
  empty: ComponentChildren;
  columns: Column<T>[];
  rowActions?: (item: T) => ComponentChildren;
  children?: ComponentChildren;
}) {
  const loaded = list.data !== undefined;
  return (
    <Card title={title} description={description} actions={actions} padded={false}>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !loaded ? (
        <Loading />
      ) : loaded && items.length === 0 ? (
        empty
      ) : loaded ? (
        <Table columns={columns} items={items} keyOf={(item) => item.id} rowActions={rowActions} />
      ) : null}
      {children}
    </Card>
  );
}

/** What an AssignedCard's assign dialog is given. */
export type AssignDialogProps = { open: boolean; exclude: string[]; onClose: () => void; onDone: () => void };

// AssignedCard is the ListCard of what is assigned to one thing (an app's
// roles, a role's users, ...): a button that opens the assign dialog, and on
// each row one that removes the item once confirmed.
export function AssignedCard<T extends { id: string }>({
  title,
  description,
  list,
  items,
  columns,
  assignLabel,
  empty,
  dialog,
  removeLabel,
  remove,
}: {
  title: string;
  description: ComponentChildren;
  list: Loaded;
  items: T[];
  columns: Column<T>[];
  assignLabel: string;
  empty: { icon: IconName; title: string; text?: ComponentChildren };
  dialog: (props: AssignDialogProps) => ComponentChildren;
  // removeLabel names a row's remove button for screen readers.
  removeLabel: (item: T) => string;
  remove: { title: string; confirmLabel: string; question: (item: T) => ComponentChildren; run: (item: T) => Promise<unknown>; done: (item: T) => string };
}) {
  const [assigning, setAssigning] = useState(false);
  const [removing, setRemoving] = useState<T | null>(null);
  const assign = () => setAssigning(true);
  return (
    <ListCard
      title={title}
      description={description}
      actions={
        <Button variant="primary" icon="plus" onClick={assign}>
          {assignLabel}
        </Button>
      }
      list={list}
      items={items}
      columns={columns}
      empty={
        <EmptyState icon={empty.icon} title={empty.title} action={<Button onClick={assign}>{assignLabel}</Button>}>
          {empty.text}
        </EmptyState>
      }
      rowActions={(item) => <IconButton icon="trash" variant="danger" label={removeLabel(item)} onClick={() => setRemoving(item)} />}
    >
      {dialog({ open: assigning, exclude: items.map((i) => i.id), onClose: () => setAssigning(false), onDone: list.reload })}
      <ConfirmDialog
        open={removing !== null}
        title={remove.title}
        confirmLabel={remove.confirmLabel}
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          await remove.run(removing!);
          toast(remove.done(removing!));
          list.reload();
        }}
      >
        {removing ? remove.question(removing) : null}
      </ConfirmDialog>
    </ListCard>
  );
}
