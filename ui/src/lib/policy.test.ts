import { describe, expect, it } from 'vitest';
import { allowsClipboardToRemote, describeBlocked, describePolicy, formatBytes, parsePolicy, policySummary } from './policy';

const policy = {
  clipboard: 'to-local',
  downloads: 'allow',
  uploads: 'deny',
  printing: 'allow',
  keyboard: 'allow',
  audio: 'deny',
  maxTransferBytes: 10 * 1024 * 1024,
};

describe('parsePolicy', () => {
  it('reads a session policy', () => {
    expect(parsePolicy(policy)).toEqual(policy);
    expect(parsePolicy({ ...policy, maxTransferBytes: '1048576' })?.maxTransferBytes).toBe(1048576);
    expect(parsePolicy({ ...policy, maxTransferBytes: undefined })?.maxTransferBytes).toBe(0);
  });

  it('has none for a missing or malformed policy', () => {
    expect(parsePolicy(undefined)).toBeNull();
    expect(parsePolicy(null)).toBeNull();
    expect(parsePolicy({ ...policy, clipboard: 'sometimes' })).toBeNull();
    expect(parsePolicy({ ...policy, uploads: true })).toBeNull();
    const { audio: _audio, ...noAudio } = policy;
    expect(parsePolicy(noAudio)).toBeNull();
  });
});

describe('policy in words', () => {
  it('lists every rule, marking what is refused', () => {
    const rows = describePolicy(parsePolicy(policy)!);
    expect(rows.map((r) => `${r.label}: ${r.value}${r.allowed ? '' : ' (refused)'}`)).toEqual([
      'Clipboard: from the page to you only',
      'Downloads: allowed',
      'Uploads: blocked (refused)',
      'Printing: allowed',
      'Keyboard: allowed',
      'Audio: blocked (refused)',
      'Largest transfer: 10 MB',
    ]);
    expect(policySummary(parsePolicy(policy)!)).toBe('Policy: uploads, audio blocked');
    const open = parsePolicy({ ...policy, clipboard: 'both', uploads: 'allow', audio: 'allow', maxTransferBytes: 0 })!;
    expect(policySummary(open)).toBe('Policy: nothing blocked');
    expect(describePolicy(open).at(-1)?.value).toBe('no limit');
    expect(describePolicy({ ...open, clipboard: 'none' })[0]).toMatchObject({ value: 'off', allowed: false });
  });

  it('knows which way the clipboard may go', () => {
    const p = parsePolicy(policy)!;
    expect(allowsClipboardToRemote(p)).toBe(false);
    expect(allowsClipboardToRemote({ ...p, clipboard: 'both' })).toBe(true);
    expect(allowsClipboardToRemote({ ...p, clipboard: 'to-remote' })).toBe(true);
  });

  it('formats sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12 MB');
    expect(formatBytes(-1)).toBe('?');
  });

  it('names the rule that blocked something', () => {
    expect(describeBlocked({ action: 'download', rule: 'policy.downloads = deny', message: '' })).toBe(
      'Download blocked by policy.downloads = deny.',
    );
    expect(describeBlocked({ action: 'clipboard to local', rule: 'policy.clipboard = none', message: 'the page copied text' })).toBe(
      'Clipboard to local blocked by policy.clipboard = none: the page copied text',
    );
    expect(describeBlocked({ action: '', rule: '', message: '' })).toBe('That blocked by the session policy.');
  });
});
