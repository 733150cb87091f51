import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../testing/memoryStorage';
import {
  debounce,
  isMeasurable,
  loadFitPreference,
  PINNED_VIEWPORT,
  RESIZE_DEBOUNCE_MS,
  ResizeDeduper,
  saveFitPreference,
  viewportFor,
} from './viewport';

const screen = { width: 1200.4, height: 780, devicePixelRatio: 2, coarsePointer: false };

describe('viewportFor', () => {
  it('asks for the view size, pixel ratio and kind of pointer when fitting', () => {
    expect(viewportFor(true, screen)).toEqual({ type: 'resize', width: 1200, height: 780, deviceScaleFactor: 2, mobile: false });
    expect(viewportFor(true, { ...screen, width: 390, height: 700, devicePixelRatio: 3, coarsePointer: true })).toEqual({
      type: 'resize',
      width: 390,
      height: 700,
      deviceScaleFactor: 3,
      mobile: true,
    });
  });

  it('keeps the pixel ratio at most 4', () => {
    expect(viewportFor(true, { ...screen, devicePixelRatio: 5 }).deviceScaleFactor).toBe(4);
  });

  it('asks for the fixed desktop size when pinned', () => {
    expect(viewportFor(false, screen)).toEqual({ type: 'resize', width: 1280, height: 720, deviceScaleFactor: 1, mobile: false });
    expect(PINNED_VIEWPORT).toEqual(viewportFor(false, { ...screen, coarsePointer: true }));
  });

  it('does not measure a collapsed view', () => {
    expect(isMeasurable({ ...screen, width: 0 })).toBe(false);
    expect(isMeasurable(screen)).toBe(true);
  });
});

describe('ResizeDeduper', () => {
  it('sends a size once until it changes', () => {
    const d = new ResizeDeduper();
    const a = viewportFor(true, screen);
    expect(d.next(a)).toBe(a);
    expect(d.next({ ...a })).toBeNull();
    const b = viewportFor(true, { ...screen, width: 800 });
    expect(d.next(b)).toBe(b);
    expect(d.next(a)).toBe(a);
    expect(d.next({ ...a, mobile: true })).not.toBeNull();
  });

  it('sends again after a reset', () => {
    const d = new ResizeDeduper();
    const a = viewportFor(true, screen);
    d.next(a);
    d.reset();
    expect(d.next(a)).toBe(a);
  });
});

describe('debounce', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls once the calls settle', () => {
    const callback = vi.fn();
    const d = debounce(callback, RESIZE_DEBOUNCE_MS);
    d.call();
    vi.advanceTimersByTime(150);
    d.call();
    vi.advanceTimersByTime(150);
    d.call();
    expect(callback).not.toHaveBeenCalled();
    vi.advanceTimersByTime(RESIZE_DEBOUNCE_MS);
    expect(callback).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('flushes a waiting call now, and cancels one', () => {
    const callback = vi.fn();
    const d = debounce(callback, RESIZE_DEBOUNCE_MS);
    d.flush();
    expect(callback).not.toHaveBeenCalled();
    d.call();
    d.flush();
    expect(callback).toHaveBeenCalledTimes(1);
    d.call();
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(callback).toHaveBeenCalledTimes(1);
  });
});

describe('fit preference', () => {
  it('is on until turned off, and remembered', () => {
    const storage = memoryStorage();
    expect(loadFitPreference(storage)).toBe(true);
    saveFitPreference(storage, false);
    expect(loadFitPreference(storage)).toBe(false);
    saveFitPreference(storage, true);
    expect(loadFitPreference(storage)).toBe(true);
    expect(loadFitPreference(null)).toBe(true);
  });
});
