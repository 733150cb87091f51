/** Small pieces of pointer handling that carry state or arithmetic worth testing on their own. */

/** Presses closer than this in time and space count as one multi-click (double-click selects a word). */
export const MULTI_CLICK_MS = 500;
export const MULTI_CLICK_DISTANCE = 5;

/**
 * Counts clicks the way the DOM's `detail` does; pointer events always report 0 there, so the
 * count is kept here and sent as `clickCount` with mousedown and mouseup.
 */
export class ClickCounter {
  private last: { at: number; x: number; y: number; button: number; count: number } | null = null;

  /** Call on each press; returns the click count for it and its release. */
  press(button: number, x: number, y: number, now: number): number {
    const l = this.last;
    const continues =
      l !== null &&
      l.button === button &&
      now - l.at <= MULTI_CLICK_MS &&
      Math.hypot(x - l.x, y - l.y) <= MULTI_CLICK_DISTANCE;
    const count = continues ? l.count + 1 : 1;
    this.last = { at: now, x, y, button, count };
    return count;
  }

  /** The count of the press this release ends. */
  current(): number {
    return this.last?.count ?? 1;
  }
}

/** WheelEvent.deltaMode values. */
const DOM_DELTA_LINE = 1;
const DOM_DELTA_PAGE = 2;
const LINE_HEIGHT_PX = 40;

/** A wheel delta in pixels, whatever unit the device reported it in. */
export function wheelPixels(delta: number, deltaMode: number, pageSize: number): number {
  if (deltaMode === DOM_DELTA_LINE) {
    return delta * LINE_HEIGHT_PX;
  }
  if (deltaMode === DOM_DELTA_PAGE) {
    return delta * pageSize;
  }
  return delta;
}
