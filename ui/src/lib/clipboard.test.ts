import { describe, expect, it } from 'vitest';
import { clipboardAccess, ClipboardRelay, MAX_CLIPBOARD_CHARS, planPaste, REPEAT_WINDOW_MS } from './clipboard';

describe('clipboardAccess', () => {
  it('needs a secure context and the Clipboard API', () => {
    expect(clipboardAccess({ isSecureContext: true, clipboard: { writeText: () => undefined } })).toBe('api');
    expect(clipboardAccess({ isSecureContext: false, clipboard: { writeText: () => undefined } })).toBe('none');
    expect(clipboardAccess({ isSecureContext: true, clipboard: undefined })).toBe('none');
    expect(clipboardAccess({ isSecureContext: true, clipboard: {} })).toBe('none');
  });
});

describe('ClipboardRelay', () => {
  it('writes copied text at once', () => {
    const r = new ClipboardRelay('api');
    expect(r.received('a', 0)).toEqual({ action: 'write', text: 'a' });
    expect(r.waiting).toBe(false);
    expect(r.takeForGesture()).toBeNull();
  });

  it('keeps a refused write for the next gesture, once', () => {
    const r = new ClipboardRelay('api');
    r.received('secret', 0);
    r.refused('secret');
    expect(r.waiting).toBe(true);
    expect(r.takeForGesture()).toBe('secret');
    expect(r.takeForGesture()).toBeNull();
  });

  it('lets a newer copy replace one still waiting', () => {
    const r = new ClipboardRelay('api');
    r.received('old', 0);
    r.refused('old');
    expect(r.received('new', 5000)).toEqual({ action: 'write', text: 'new' });
    expect(r.waiting).toBe(false);
    // The old write's refusal arriving late does not bring it back.
    r.refused('old');
    expect(r.takeForGesture()).toBeNull();
    r.refused('new');
    expect(r.takeForGesture()).toBe('new');
  });

  it('takes the same text on both channels as one copy', () => {
    const r = new ClipboardRelay('api');
    expect(r.received('x', 0).action).toBe('write');
    expect(r.received('x', REPEAT_WINDOW_MS - 1).action).toBe('none');
    expect(r.received('x', 3 * REPEAT_WINDOW_MS).action).toBe('write');
  });

  it('offers the text in a dialog where it cannot write', () => {
    const r = new ClipboardRelay('none');
    expect(r.received('t', 0)).toEqual({ action: 'dialog', text: 't' });
    expect(r.waiting).toBe(false);
  });
});

describe('planPaste', () => {
  const policy = (clipboard: string, maxTransferBytes = 0) => ({ clipboard, maxTransferBytes });

  it('types the text for a server without a policy', () => {
    expect(planPaste('x', null)).toEqual({ action: 'type' });
  });

  it('goes through the remote clipboard when the policy allows it', () => {
    expect(planPaste('x', policy('both'))).toEqual({ action: 'clipboard' });
    expect(planPaste('x', policy('to-remote'))).toEqual({ action: 'clipboard' });
  });

  it('refuses what the policy refuses, naming the rule', () => {
    expect(planPaste('x', policy('to-local'))).toEqual({ action: 'refuse', rule: 'policy.clipboard = to-local' });
    expect(planPaste('x', policy('none'))).toEqual({ action: 'refuse', rule: 'policy.clipboard = none' });
  });

  it('refuses text over the limits, counting bytes for the policy', () => {
    expect(planPaste('ééé', policy('both', 5))).toEqual({ action: 'too-long', limit: 5 });
    expect(planPaste('éé', policy('both', 5))).toEqual({ action: 'clipboard' });
    expect(planPaste('a'.repeat(MAX_CLIPBOARD_CHARS + 1), policy('both'))).toEqual({ action: 'too-long', limit: MAX_CLIPBOARD_CHARS });
  });
});
