import { describe, expect, it } from 'vitest';
import { ClickCounter, wheelPixels } from './pointer';
import { modifiersOf } from './keys';

describe('ClickCounter', () => {
  it('counts quick presses at one spot as a multi-click', () => {
    const c = new ClickCounter();
    expect(c.press(0, 10, 10, 0)).toBe(1);
    expect(c.press(0, 11, 10, 200)).toBe(2);
    expect(c.current()).toBe(2);
    expect(c.press(0, 11, 11, 400)).toBe(3);
  });

  it('starts over after a pause, a move away or another button', () => {
    const c = new ClickCounter();
    c.press(0, 10, 10, 0);
    expect(c.press(0, 10, 10, 900)).toBe(1);
    expect(c.press(0, 40, 10, 1000)).toBe(1);
    expect(c.press(2, 40, 10, 1100)).toBe(1);
  });
});

describe('wheelPixels', () => {
  it('converts lines and pages to pixels', () => {
    expect(wheelPixels(120, 0, 720)).toBe(120);
    expect(wheelPixels(3, 1, 720)).toBe(120);
    expect(wheelPixels(1, 2, 720)).toBe(720);
  });
});

describe('modifiersOf (mouse)', () => {
  const e = { ctrlKey: false, shiftKey: true, altKey: false, metaKey: true };
  it('sends Cmd as Ctrl on a Mac only', () => {
    expect(modifiersOf(e, true)).toEqual({ ctrl: true, shift: true, alt: false, meta: false });
    expect(modifiersOf(e, false)).toEqual({ ctrl: false, shift: true, alt: false, meta: true });
  });
});
