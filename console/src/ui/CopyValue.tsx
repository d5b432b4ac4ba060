import { CopyField } from './ui';

// CopyValue is one entry of a kv-grid: a value under its label, with a
// button that copies it.
export function CopyValue({ label, value }: { label: string; value: string }) {
  return (
    <div class="kv">
      <span class="kv-label">{label}</span>
      <CopyField label={label} value={value} />
    </div>
  );
}
