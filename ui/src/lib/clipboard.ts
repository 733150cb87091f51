/**
 * Text the remote page copied, on its way to the local clipboard. Browsers let a page write the
 * clipboard only in a secure context and often only during a user gesture: a write that is
 * refused waits for the user's next press or key in the view and is tried again then.
 */

/** How the local clipboard can be written here. */
export type ClipboardAccess = 'api' | 'none';

/** The Clipboard API exists only in secure contexts (HTTPS or localhost). */
export function clipboardAccess(env: { isSecureContext?: boolean; clipboard?: { writeText?: unknown } | undefined }): ClipboardAccess {
  return env.isSecureContext !== false && typeof env.clipboard?.writeText === 'function' ? 'api' : 'none';
}

export type ClipboardStep =
  /** Write the text now. */
  | { action: 'write'; text: string }
  /** No Clipboard API: show the text for the user to copy themselves. */
  | { action: 'dialog'; text: string }
  /** Nothing to do (the same text came again, e.g. on both channels). */
  | { action: 'none' };

/** The same text arriving again within this long is one copy, not two (WebSocket and DataChannel both carry it). */
export const REPEAT_WINDOW_MS = 1000;

export class ClipboardRelay {
  private pending: string | null = null;
  private last: { text: string; at: number } | null = null;

  constructor(private readonly access: ClipboardAccess) {}

  /** The remote page copied `text`. */
  received(text: string, now: number): ClipboardStep {
    if (this.last && this.last.text === text && now - this.last.at < REPEAT_WINDOW_MS) {
      return { action: 'none' };
    }
    this.last = { text, at: now };
    if (this.access === 'none') {
      return { action: 'dialog', text };
    }
    // A newer copy replaces one still waiting: the clipboard holds one thing.
    this.pending = null;
    return { action: 'write', text };
  }

  /** The browser refused to write `text` (no gesture, no focus): keep it for the next gesture. */
  refused(text: string): void {
    if (this.last?.text === text) {
      this.pending = text;
    }
  }

  /** The user pressed or typed in the view: the text waiting to be written, taken. */
  takeForGesture(): string | null {
    const text = this.pending;
    this.pending = null;
    return text;
  }

  /** Whether a write is waiting for the user's next gesture. */
  get waiting(): boolean {
    return this.pending !== null;
  }
}

/** How a paste into the view reaches the remote page. */
export type PastePlan =
  /** Set the remote clipboard, then press Ctrl+V there: the page's own paste handlers run. */
  | { action: 'clipboard' }
  /** Type the text (a server that predates the remote clipboard). */
  | { action: 'type' }
  /** The policy refuses it; the rule says which. */
  | { action: 'refuse'; rule: string }
  /** Longer than the session may carry. */
  | { action: 'too-long'; limit: number };

/** The server takes clipboard text of at most this many characters. */
export const MAX_CLIPBOARD_CHARS = 1 << 20;

/**
 * Decides a paste. `policy` is null when the session's JSON has none (an older server): then the
 * text is typed as before. Otherwise it goes through the remote clipboard, if the policy lets it.
 */
export function planPaste(
  text: string,
  policy: { clipboard: string; maxTransferBytes: number } | null,
): PastePlan {
  if (!policy) {
    return { action: 'type' };
  }
  if (policy.clipboard !== 'both' && policy.clipboard !== 'to-remote') {
    return { action: 'refuse', rule: `policy.clipboard = ${policy.clipboard}` };
  }
  if (text.length > MAX_CLIPBOARD_CHARS) {
    return { action: 'too-long', limit: MAX_CLIPBOARD_CHARS };
  }
  if (policy.maxTransferBytes > 0 && new TextEncoder().encode(text).length > policy.maxTransferBytes) {
    return { action: 'too-long', limit: policy.maxTransferBytes };
  }
  return { action: 'clipboard' };
}
