import type { ComponentChildren } from 'preact';
import { api } from '../api';
import { navigate } from '../router';
import { ConfirmDialog, toast } from './ui';

// DeleteDialog asks (children) before deleting what the Management API path
// names; once it is gone it says done and opens the console page then.
// title names the dialog, confirmLabel (by default the title) its button.
export function DeleteDialog({
  path,
  done,
  then,
  confirmLabel,
  ...dialog
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  confirmLabel?: string;
  path: string;
  done: string;
  then: string;
  children: ComponentChildren;
}) {
  const remove = async () => {
    await api.del(path);
    toast(done);
    navigate(then);
  };
  return <ConfirmDialog {...dialog} confirmLabel={confirmLabel ?? dialog.title} onConfirm={remove} />;
}
