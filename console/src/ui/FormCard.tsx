import type { ComponentChildren } from 'preact';
import { Button, Card, ErrorBanner } from './ui';

// FormCard is a card of a detail page holding one form (children: its
// fields) that its "Save changes" button, or Enter in a field, saves. The
// button is enabled once the form is dirty; readOnly hides it and ignores
// Enter. A failed save shows error under the form, titled errorTitle.
export function FormCard({
  title,
  description,
  save,
  busy,
  dirty,
  readOnly,
  formClass = 'form-grid',
  error,
  errorTitle = 'The changes could not be saved',
  children,
}: {
  title: string;
  description?: ComponentChildren;
  save: () => Promise<unknown>;
  busy: boolean;
  dirty: boolean;
  readOnly?: boolean;
  formClass?: string;
  error: unknown;
  errorTitle?: string;
  children: ComponentChildren;
}) {
  return (
    <Card
      title={title}
      description={description}
      footer={
        !readOnly && (
          <Button variant="primary" onClick={save} loading={busy} disabled={!dirty}>
            Save changes
          </Button>
        )
      }
    >
      <form
        class={formClass}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!readOnly) void save();
        }}
      >
        {children}
      </form>
      {error ? <ErrorBanner error={error} title={errorTitle} /> : null}
    </Card>
  );
}
