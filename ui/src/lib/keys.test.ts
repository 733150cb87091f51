import { describe, expect, it } from 'vitest';
import { decideKey, EscapeRelease, isMacPlatform, type LocalKey, pasteChunks, pasteKeys } from './keys';

function key(partial: Partial<LocalKey> & { key: string; code: string }): LocalKey {
  return { type: 'keydown', ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...partial };
}

const none = { ctrl: false, shift: false, alt: false, meta: false };

describe('decideKey', () => {
  it('sends named keys with key, code and modifiers', () => {
    for (const [k, code] of [
      ['Enter', 'Enter'],
      ['Tab', 'Tab'],
      ['Backspace', 'Backspace'],
      ['ArrowLeft', 'ArrowLeft'],
      ['ArrowDown', 'ArrowDown'],
      ['Escape', 'Escape'],
    ]) {
      expect(decideKey(key({ key: k, code }), false)).toEqual({
        action: 'send',
        message: { type: 'keydown', key: k, code, modifiers: none },
      });
    }
  });

  it('sends keyup as keyup', () => {
    expect(decideKey(key({ type: 'keyup', key: 'a', code: 'KeyA' }), false)).toMatchObject({
      action: 'send',
      message: { type: 'keyup', key: 'a' },
    });
  });

  it('keeps Shift with characters and Shift+Tab', () => {
    expect(decideKey(key({ key: 'A', code: 'KeyA', shiftKey: true }), false)).toMatchObject({
      message: { key: 'A', modifiers: { ...none, shift: true } },
    });
    expect(decideKey(key({ key: 'Tab', code: 'Tab', shiftKey: true }), false)).toMatchObject({
      message: { key: 'Tab', modifiers: { ...none, shift: true } },
    });
  });

  it('sends Ctrl shortcuts as Ctrl on Linux and Windows', () => {
    expect(decideKey(key({ key: 'a', code: 'KeyA', ctrlKey: true }), false)).toMatchObject({
      action: 'send',
      message: { key: 'a', modifiers: { ...none, ctrl: true } },
    });
  });

  it('sends Cmd shortcuts as Ctrl on a Mac, including the Cmd key itself', () => {
    expect(decideKey(key({ key: 'a', code: 'KeyA', metaKey: true }), true)).toMatchObject({
      message: { key: 'a', modifiers: { ...none, ctrl: true } },
    });
    expect(decideKey(key({ key: 'Meta', code: 'MetaLeft', metaKey: true }), true)).toMatchObject({
      message: { key: 'Control', code: 'ControlLeft', modifiers: { ...none, ctrl: true } },
    });
    expect(decideKey(key({ key: 'Meta', code: 'MetaRight', metaKey: true }), true)).toMatchObject({
      message: { code: 'ControlRight' },
    });
  });

  it('keeps Meta as Meta off the Mac', () => {
    expect(decideKey(key({ key: 'a', code: 'KeyA', metaKey: true }), false)).toMatchObject({
      message: { modifiers: { ...none, meta: true } },
    });
  });

  it('leaves paste shortcuts to the browser so the paste event fires', () => {
    expect(decideKey(key({ key: 'v', code: 'KeyV', ctrlKey: true }), false)).toEqual({ action: 'paste' });
    expect(decideKey(key({ key: 'v', code: 'KeyV', metaKey: true }), true)).toEqual({ action: 'paste' });
    expect(decideKey(key({ type: 'keyup', key: 'v', code: 'KeyV', ctrlKey: true }), false)).toEqual({ action: 'paste' });
    expect(decideKey(key({ key: 'Insert', code: 'Insert', shiftKey: true }), false)).toEqual({ action: 'paste' });
    // Cmd+V is not paste on Linux, Ctrl+V is not paste on a Mac (the Mac's Ctrl+V is a page shortcut).
    expect(decideKey(key({ key: 'v', code: 'KeyV', metaKey: true }), false).action).toBe('send');
    expect(decideKey(key({ key: 'v', code: 'KeyV', ctrlKey: true }), true).action).toBe('send');
  });

  it('treats AltGr characters as typing, not as Ctrl+Alt shortcuts', () => {
    expect(
      decideKey(key({ key: '@', code: 'KeyQ', ctrlKey: true, altKey: true, altGraph: true }), false),
    ).toMatchObject({ message: { key: '@', modifiers: none } });
  });

  it('ignores dead keys and IME composition', () => {
    expect(decideKey(key({ key: 'Dead', code: 'BracketLeft' }), false)).toEqual({ action: 'ignore' });
    expect(decideKey(key({ key: 'a', code: 'KeyA', isComposing: true }), false)).toEqual({ action: 'ignore' });
    expect(decideKey(key({ key: 'Process', code: 'KeyA' }), false)).toEqual({ action: 'ignore' });
  });

  it('leaves developer tools and full screen keys to the local browser', () => {
    expect(decideKey(key({ key: 'F12', code: 'F12' }), false)).toEqual({ action: 'local' });
    expect(decideKey(key({ key: 'F11', code: 'F11' }), false)).toEqual({ action: 'local' });
    expect(decideKey(key({ key: 'F5', code: 'F5' }), false).action).toBe('send');
  });
});

describe('isMacPlatform', () => {
  it('recognises Apple platforms', () => {
    expect(isMacPlatform('MacIntel')).toBe(true);
    expect(isMacPlatform('iPhone')).toBe(true);
    expect(isMacPlatform('Linux x86_64')).toBe(false);
    expect(isMacPlatform('Win32')).toBe(false);
  });
});

describe('EscapeRelease', () => {
  it('releases on a second Escape within the window only', () => {
    const release = new EscapeRelease();
    expect(release.onKeyDown('Escape', 1000)).toBe(false);
    expect(release.onKeyDown('Escape', 1400)).toBe(true);
    // The pair is consumed: a third press starts over.
    expect(release.onKeyDown('Escape', 1500)).toBe(false);
    expect(release.onKeyDown('Escape', 3000)).toBe(false);
  });

  it('is interrupted by another key', () => {
    const release = new EscapeRelease();
    release.onKeyDown('Escape', 0);
    release.onKeyDown('a', 100);
    expect(release.onKeyDown('Escape', 200)).toBe(false);
  });
});

describe('pasteChunks', () => {
  it('keeps short text whole and normalises line ends', () => {
    expect(pasteChunks('a\r\nb\rc')).toEqual(['a\nb\nc']);
    expect(pasteChunks('')).toEqual([]);
  });

  it('splits long text without breaking a surrogate pair', () => {
    const text = 'ab😀cd';
    const chunks = pasteChunks(text, 3);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(3);
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });
});

describe('pasteKeys', () => {
  it('presses Ctrl+V around the paste, Ctrl included when the user is not holding it', () => {
    expect(pasteKeys(false).map((m) => `${m.type} ${m.key} ${m.modifiers.ctrl ? 'ctrl' : ''}`.trim())).toEqual([
      'keydown Control ctrl',
      'keydown v ctrl',
      'keyup v ctrl',
      'keyup Control',
    ]);
    expect(pasteKeys(true).map((m) => `${m.type} ${m.code}`)).toEqual(['keydown KeyV', 'keyup KeyV']);
  });
});
