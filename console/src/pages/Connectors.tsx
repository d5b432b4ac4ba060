import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import { CreateButton, ListTable } from '../ui/ListPage';
import { Badge, Button, Card, ConfirmDialog, Dialog, EmptyState, ErrorBanner, FormButtons, IconButton, PageHeader, SelectField, Tabs, TextArea, TextField, toast } from '../ui/ui';

interface Connector {
  id: string;
  connectorId: string;
  type: string;
  config: Record<string, unknown>;
}

interface EmailTemplate {
  id: string;
  languageTag: string;
  templateType: string;
  details: { subject?: string; content: string; contentType?: string };
}

// The factories the console creates, with a starting config each (Logto's
// shapes; secrets are never answered back).
const factories: { id: string; label: string; channel: 'email' | 'phone'; sample: Record<string, unknown> }[] = [
  {
    id: 'simple-mail-transfer-protocol',
    label: 'SMTP (e-mail)',
    channel: 'email',
    sample: {
      host: 'smtp.example.com',
      port: 587,
      auth: { type: 'login', user: 'mailer', pass: '' },
      fromEmail: 'no-reply@example.com',
      templates: [{ usageType: 'Generic', contentType: 'text/plain', subject: 'Your code', content: 'Your verification code is {{code}}.' }],
    },
  },
  { id: 'http-sms', label: 'HTTP SMS', channel: 'phone', sample: { endpoint: 'https://sms.example.com/send', authorization: '', signingKey: '' } },
  {
    id: 'twilio-short-message-service',
    label: 'Twilio SMS',
    channel: 'phone',
    sample: { accountSID: 'AC…', authToken: '', fromMessagingServiceSID: 'MG…' },
  },
];

const templateTypes = ['SignIn', 'Register', 'ForgotPassword', 'Generic', 'OrganizationInvitation', 'UserPermissionValidation', 'BindNewIdentifier', 'MfaVerification', 'BindMfa'];

type Tab = 'connectors' | 'templates';

export function Connectors() {
  useTitle('Connectors');
  const { query } = useLocation();
  const tab: Tab = query.get('tab') === 'templates' ? 'templates' : 'connectors';
  return (
    <div class="page">
      <PageHeader title="Connectors" subtitle="How one-time codes reach people: one e-mail and one SMS connector, and the e-mail templates per language." />
      <Tabs
        tabs={[
          { id: 'connectors', label: 'Connectors' },
          { id: 'templates', label: 'E-mail templates' },
        ]}
        active={tab}
        onChange={(t) => navigate(t === 'connectors' ? '/connectors' : '/connectors?tab=templates', { replace: true })}
        label="Connectors"
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'connectors' ? <ConnectorList /> : <TemplateList />}
      </div>
    </div>
  );
}

function ConnectorList() {
  const list = useAsync(() => api.get<Connector[]>('/api/connectors'), []);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Connector | null>(null);
  const rows = (list.data ?? []).filter((c) => c.type !== 'Social');
  return (
    <>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Connectors could not be loaded" /> : null}
      <Card padded={false} actions={<CreateButton onClick={() => setCreating(true)}>Add connector</CreateButton>}>
        <ListTable heads={[{ label: 'Connector' }, { label: 'Type' }, { label: '' }]} loading={list.loading && !list.data}>
          {rows.map((c) => (
            <tr key={c.id}>
              <td>
                <strong>{factories.find((f) => f.id === c.connectorId)?.label ?? c.connectorId}</strong> <code class="mono-sm">{c.id}</code>
              </td>
              <td>
                <Badge>{c.type}</Badge>
              </td>
              <td class="nowrap">
                <IconButton icon="trash" label={`Delete ${c.connectorId}`} variant="danger" onClick={() => setDeleting(c)} />
              </td>
            </tr>
          ))}
        </ListTable>
        {list.data && rows.length === 0 && (
          <EmptyState icon="globe" title="No connectors yet">
            Add an e-mail or SMS connector so that one-time codes can be sent.
          </EmptyState>
        )}
      </Card>
      <CreateConnectorDialog open={creating} onClose={() => setCreating(false)} onCreated={list.reload} />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete connector"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(`/api/connectors/${enc(deleting.id)}`);
          toast('Connector deleted');
          list.reload();
        }}
      >
        Codes of its channel can no longer be sent.
      </ConfirmDialog>
    </>
  );
}

function CreateConnectorDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const [factory, setFactory] = useState(factories[0].id);
  const [config, setConfig] = useState(JSON.stringify(factories[0].sample, null, 2));
  const [to, setTo] = useState('');
  const [configError, setConfigError] = useState('');
  const { busy, error, setError, run } = useAction();
  const f = factories.find((x) => x.id === factory) ?? factories[0];
  const close = () => {
    if (busy) return;
    setFactory(factories[0].id);
    setConfig(JSON.stringify(factories[0].sample, null, 2));
    setTo('');
    setConfigError('');
    setError(null);
    onClose();
  };
  const parsed = (): Record<string, unknown> | null => {
    try {
      const v = JSON.parse(config);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    } catch {
      // reported below
    }
    setConfigError('The configuration must be a JSON object.');
    return null;
  };
  const testSend = async () => {
    const c = parsed();
    if (!c) return;
    await run(async () => {
      await api.post(`/api/connectors/${enc(factory)}/test`, { [f.channel]: to.trim(), config: c });
      toast('Test message sent');
    });
  };
  const submit = async () => {
    const c = parsed();
    if (!c) return;
    await run(async () => {
      await api.post('/api/connectors', { connectorId: factory, config: c });
      toast('Connector added');
      close();
      onCreated();
    });
  };
  return (
    <Dialog open={open} title="Add connector" description="Adding a connector replaces the one of its type." onClose={close} busy={busy} onSubmit={submit} size="lg" footer={<FormButtons onCancel={close} busy={busy} label="Add connector" />}>
      <SelectField
        label="Connector"
        value={factory}
        onChange={(v) => {
          setFactory(v);
          setConfig(JSON.stringify(factories.find((x) => x.id === v)?.sample ?? {}, null, 2));
          setConfigError('');
        }}
        options={factories.map((x) => ({ value: x.id, label: x.label }))}
      />
      <TextArea label="Configuration" value={config} onInput={(v) => (setConfig(v), setConfigError(''))} error={configError} rows={12} mono />
      <TextField label={f.channel === 'email' ? 'Test e-mail address' : 'Test phone number'} value={to} onInput={setTo} hint="Sends a test message with this configuration, before it is saved." />
      <Button onClick={() => void testSend()} disabled={!to.trim() || busy}>
        Send test
      </Button>
      {error ? <ErrorBanner error={error} title="The connector answered with an error" /> : null}
    </Dialog>
  );
}

function TemplateList() {
  const list = useAsync(() => api.get<EmailTemplate[]>('/api/email-templates'), []);
  const [editing, setEditing] = useState<EmailTemplate | 'new' | null>(null);
  const [deleting, setDeleting] = useState<EmailTemplate | null>(null);
  const rows = list.data ?? [];
  return (
    <>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="E-mail templates could not be loaded" /> : null}
      <Card padded={false} actions={<CreateButton onClick={() => setEditing('new')}>Add template</CreateButton>}>
        <ListTable heads={[{ label: 'Language' }, { label: 'Usage' }, { label: 'Subject' }, { label: '' }]} loading={list.loading && !list.data}>
          {rows.map((t) => (
            <tr key={t.id}>
              <td>
                <code>{t.languageTag}</code>
              </td>
              <td>{t.templateType}</td>
              <td>{t.details.subject ?? ''}</td>
              <td class="nowrap">
                <IconButton icon="edit" label={`Edit ${t.languageTag} ${t.templateType}`} onClick={() => setEditing(t)} />
                <IconButton icon="trash" label={`Delete ${t.languageTag} ${t.templateType}`} variant="danger" onClick={() => setDeleting(t)} />
              </td>
            </tr>
          ))}
        </ListTable>
        {list.data && rows.length === 0 && (
          <EmptyState icon="globe" title="No e-mail templates yet">
            Without one, the SMTP connector's own templates and the built-in English and Japanese words are used.
          </EmptyState>
        )}
      </Card>
      {editing !== null && <TemplateDialog template={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={list.reload} />}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete e-mail template"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(`/api/email-templates/${enc(deleting.id)}`);
          toast('Template deleted');
          list.reload();
        }}
      >
        Messages of this language and usage go back to the default words.
      </ConfirmDialog>
    </>
  );
}

function TemplateDialog({ template, onClose, onSaved }: { template: EmailTemplate | null; onClose: () => void; onSaved: () => void }) {
  const [languageTag, setLanguageTag] = useState(template?.languageTag ?? 'en');
  const [templateType, setTemplateType] = useState(template?.templateType ?? 'SignIn');
  const [subject, setSubject] = useState(template?.details.subject ?? '');
  const [content, setContent] = useState(template?.details.content ?? '');
  const [contentType, setContentType] = useState(template?.details.contentType ?? 'text/plain');
  const [errors, setErrors] = useState<{ subject?: string; content?: string }>({});
  const { busy, error, run } = useAction();
  const close = () => !busy && onClose();
  const submit = async () => {
    const e: typeof errors = {};
    if (!subject.trim()) e.subject = 'Enter a subject.';
    if (!content.includes('{{code}}')) e.content = 'The content must hold {{code}}, where the code goes.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      await api.put('/api/email-templates', { templates: [{ languageTag: languageTag.trim(), templateType, details: { subject, content, contentType } }] });
      toast('Template saved');
      onSaved();
      onClose();
    });
  };
  return (
    <Dialog open title={template ? 'Edit e-mail template' : 'Add e-mail template'} onClose={close} busy={busy} onSubmit={submit} size="lg" footer={<FormButtons onCancel={close} busy={busy} label="Save template" />}>
      <TextField label="Language tag" required value={languageTag} onInput={setLanguageTag} disabled={template !== null} hint="Such as en or ja." />
      <SelectField label="Usage" value={templateType} onChange={setTemplateType} options={templateTypes.map((t) => ({ value: t, label: t }))} />
      <TextField label="Subject" required value={subject} onInput={(v) => (setSubject(v), setErrors({ ...errors, subject: undefined }))} error={errors.subject} />
      <SelectField label="Content type" value={contentType} onChange={setContentType} options={[{ value: 'text/plain', label: 'Plain text' }, { value: 'text/html', label: 'HTML' }]} />
      <TextArea label="Content" required value={content} onInput={(v) => (setContent(v), setErrors({ ...errors, content: undefined }))} error={errors.content} rows={8} />
      {error ? <ErrorBanner error={error} title="The template could not be saved" /> : null}
    </Dialog>
  );
}
