/**
 * Local keyboard events into the remote page's key messages, and what to do with the local event.
 *
 * The remote Chromium runs on Linux, where shortcuts use Ctrl. On a Mac, Cmd is what the user
 * means by Ctrl, so Cmd is sent as Ctrl there (Cmd+A selects all on the remote page).
 */

export interface Modifiers {
  ctrl: boolean;
  shift: boolean;
  alt: boolean;
  meta: boolean;
}

export interface KeyMessage {
  type: 'keydown' | 'keyup';
  key: string;
  code: string;
  modifiers: Modifiers;
}

/** The parts of a DOM KeyboardEvent the mapping looks at. */
export interface LocalKey {
  type: 'keydown' | 'keyup';
  key: string;
  code: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  /** getModifierState('AltGraph'): AltGr reports Ctrl+Alt on Windows but types a character. */
  altGraph?: boolean;
  isComposing?: boolean;
}

export type KeyDecision =
  /** Send the message and suppress the local default (so the page's own shortcuts do not fire). */
  | { action: 'send'; message: KeyMessage }
  /** Let the browser go on: it fires a paste event, whose text is then typed into the remote page. */
  | { action: 'paste' }
  /** Leave the event to the local browser (developer tools, full screen) and send nothing. */
  | { action: 'local' }
  /** Drop it: nothing a remote page can use (dead keys, IME composition). */
  | { action: 'ignore' };

/** Keys that belong to the user's own browser even while the view has focus. */
const LOCAL_KEYS = new Set(['F11', 'F12']);

export function isMacPlatform(platform: string): boolean {
  return /mac|iphone|ipad|ipod/i.test(platform);
}

export function decideKey(event: LocalKey, onMac: boolean): KeyDecision {
  if (event.isComposing || event.key === 'Dead' || event.key === 'Process' || event.key === 'Unidentified' || event.key === '') {
    return { action: 'ignore' };
  }
  if (LOCAL_KEYS.has(event.key)) {
    return { action: 'local' };
  }
  const shortcutKey = onMac ? event.metaKey : event.ctrlKey;
  const isPasteKey =
    (shortcutKey && !event.altKey && event.code === 'KeyV') || (event.shiftKey && !event.ctrlKey && event.key === 'Insert');
  if (isPasteKey) {
    // Not forwarded: the paste event that follows carries the clipboard's text (the remote page
    // cannot read the local clipboard itself).
    return { action: 'paste' };
  }

  let { ctrlKey: ctrl, altKey: alt, metaKey: meta } = event;
  let key = event.key;
  let code = event.code;
  if (onMac) {
    // Cmd acts as Ctrl; the Mac's own Ctrl stays Ctrl.
    ctrl = ctrl || meta;
    meta = false;
    if (key === 'Meta') {
      key = 'Control';
      code = code === 'MetaRight' ? 'ControlRight' : 'ControlLeft';
    }
  }
  if (event.altGraph && isPrintable(key)) {
    // AltGr+Q gives "@" on a German layout and reports Ctrl+Alt on Windows: it types, not a shortcut.
    ctrl = false;
    alt = false;
  }
  return {
    action: 'send',
    message: { type: event.type, key, code, modifiers: { ctrl, shift: event.shiftKey, alt, meta } },
  };
}

/** One character (possibly outside the BMP), i.e. a key that types text. */
export function isPrintable(key: string): boolean {
  return [...key].length === 1;
}

/** Two Escape presses within this many milliseconds hand the keyboard back to the page around the view. */
export const RELEASE_WINDOW_MS = 600;

/**
 * Tracks Escape presses: the first is sent to the remote page as usual; a second one soon after
 * releases the keyboard (a keyboard user must be able to leave the view, as Tab goes to the page).
 */
export class EscapeRelease {
  private lastEscapeAt = -Infinity;

  /** True when this keydown should release the keyboard instead of being sent. */
  onKeyDown(key: string, now: number): boolean {
    if (key !== 'Escape') {
      this.lastEscapeAt = -Infinity;
      return false;
    }
    if (now - this.lastEscapeAt <= RELEASE_WINDOW_MS) {
      this.lastEscapeAt = -Infinity;
      return true;
    }
    this.lastEscapeAt = now;
    return false;
  }
}

/** The server accepts up to this many characters in one "type" message. */
export const MAX_TYPE_TEXT = 10_000;

/** Splits pasted text into "type" message payloads the server accepts, without splitting a character. */
export function pasteChunks(text: string, max = MAX_TYPE_TEXT): string[] {
  const normalised = text.replace(/\r\n?/g, '\n');
  const chunks: string[] = [];
  let current = '';
  for (const ch of normalised) {
    if (current.length + ch.length > max) {
      chunks.push(current);
      current = '';
    }
    current += ch;
  }
  if (current) {
    chunks.push(current);
  }
  return chunks;
}

/** Modifiers held during a mouse event, with the same Cmd-as-Ctrl rule as keys (Cmd+click on a Mac is Ctrl+click). */
export function modifiersOf(
  event: { ctrlKey: boolean; shiftKey: boolean; altKey: boolean; metaKey: boolean },
  onMac: boolean,
): Modifiers {
  return onMac
    ? { ctrl: event.ctrlKey || event.metaKey, shift: event.shiftKey, alt: event.altKey, meta: false }
    : { ctrl: event.ctrlKey, shift: event.shiftKey, alt: event.altKey, meta: event.metaKey };
}

const CTRL: Modifiers = { ctrl: true, shift: false, alt: false, meta: false };
const NONE: Modifiers = { ctrl: false, shift: false, alt: false, meta: false };

/**
 * Ctrl+V as the remote page (Linux) knows it, after its clipboard was set: V pressed and released
 * with Ctrl, and Ctrl itself pressed and released around it unless the user is already holding it
 * (their own Ctrl went to the page and their release will follow).
 */
export function pasteKeys(controlHeld: boolean): KeyMessage[] {
  const v = (type: KeyMessage['type']): KeyMessage => ({ type, key: 'v', code: 'KeyV', modifiers: CTRL });
  if (controlHeld) {
    return [v('keydown'), v('keyup')];
  }
  return [
    { type: 'keydown', key: 'Control', code: 'ControlLeft', modifiers: CTRL },
    v('keydown'),
    v('keyup'),
    { type: 'keyup', key: 'Control', code: 'ControlLeft', modifiers: NONE },
  ];
}
