/**
 * A session's policy: what may cross the isolation boundary (GET /api/sessions/{id} "policy"),
 * read defensively and put into words for the session view.
 */

export type ClipboardPolicy = 'both' | 'to-local' | 'to-remote' | 'none';
export type Permission = 'allow' | 'deny';

export interface SessionPolicy {
  clipboard: ClipboardPolicy;
  downloads: Permission;
  uploads: Permission;
  printing: Permission;
  keyboard: Permission;
  audio: Permission;
  /** The largest clipboard text, download or upload, in bytes (0: no limit stated). */
  maxTransferBytes: number;
}

const CLIPBOARD: readonly string[] = ['both', 'to-local', 'to-remote', 'none'];
const PERMISSIONS = ['downloads', 'uploads', 'printing', 'keyboard', 'audio'] as const;

/** The policy from a session's JSON; null when it has none or it is not one (an older server). */
export function parsePolicy(value: unknown): SessionPolicy | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const v = value as Record<string, unknown>;
  if (typeof v.clipboard !== 'string' || !CLIPBOARD.includes(v.clipboard)) {
    return null;
  }
  for (const key of PERMISSIONS) {
    if (v[key] !== 'allow' && v[key] !== 'deny') {
      return null;
    }
  }
  const max = Number(v.maxTransferBytes ?? 0);
  return {
    clipboard: v.clipboard as ClipboardPolicy,
    downloads: v.downloads as Permission,
    uploads: v.uploads as Permission,
    printing: v.printing as Permission,
    keyboard: v.keyboard as Permission,
    audio: v.audio as Permission,
    maxTransferBytes: Number.isFinite(max) && max > 0 ? max : 0,
  };
}

/** Whether text may go from the viewer's clipboard to the remote page. */
export function allowsClipboardToRemote(policy: SessionPolicy): boolean {
  return policy.clipboard === 'both' || policy.clipboard === 'to-remote';
}

const CLIPBOARD_WORDS: Record<ClipboardPolicy, string> = {
  both: 'both ways',
  'to-local': 'from the page to you only',
  'to-remote': 'from you to the page only',
  none: 'off',
};

export interface PolicyRow {
  label: string;
  value: string;
  /** Whether this row allows something (styling: allowed rows look calm, refused ones stand out). */
  allowed: boolean;
}

/** The policy as rows for the session view's policy panel. */
export function describePolicy(policy: SessionPolicy): PolicyRow[] {
  const permission = (label: string, p: Permission): PolicyRow => ({ label, value: p === 'allow' ? 'allowed' : 'blocked', allowed: p === 'allow' });
  return [
    { label: 'Clipboard', value: CLIPBOARD_WORDS[policy.clipboard], allowed: policy.clipboard !== 'none' },
    permission('Downloads', policy.downloads),
    permission('Uploads', policy.uploads),
    permission('Printing', policy.printing),
    permission('Keyboard', policy.keyboard),
    permission('Audio', policy.audio),
    {
      label: 'Largest transfer',
      value: policy.maxTransferBytes > 0 ? formatBytes(policy.maxTransferBytes) : 'no limit',
      allowed: true,
    },
  ];
}

/** One line for the toolbar's policy button: what is refused, or that nothing is. */
export function policySummary(policy: SessionPolicy): string {
  const refused = describePolicy(policy).filter((row) => !row.allowed).map((row) => row.label.toLowerCase());
  return refused.length === 0 ? 'Policy: nothing blocked' : `Policy: ${refused.join(', ')} blocked`;
}

/** Bytes in words: "0 B", "812 B", "1.5 KB", "12 MB" (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '?';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${shown} ${units[unit]}`;
}

/** A "blocked" message in words: which action, and the rule that refused it. */
export function describeBlocked(blocked: { action: string; rule: string; message: string }): string {
  const action = blocked.action ? blocked.action.charAt(0).toUpperCase() + blocked.action.slice(1) : 'That';
  const rule = blocked.rule ? ` by ${blocked.rule}` : ' by the session policy';
  return `${action} blocked${rule}${blocked.message ? `: ${blocked.message}` : '.'}`;
}
