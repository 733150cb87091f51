/**
 * The remote page's viewport follows the viewer's view ("Fit page to my screen"), or stays at a
 * fixed desktop size when the user pins it. What to send, when, and when not to send again.
 */

import { resizeInput, type ResizeInput } from '../remote/messages';

/** The desktop size a pinned view asks for. */
export const PINNED_VIEWPORT: ResizeInput = resizeInput(1280, 720, 1, false);

/** Window resizes are sent once they settle for this long. */
export const RESIZE_DEBOUNCE_MS = 200;

/** What the viewer's screen looks like, as the browser reports it. */
export interface ViewerScreen {
  /** The view's size in CSS pixels. */
  width: number;
  height: number;
  devicePixelRatio: number;
  /** (pointer: coarse): a finger, not a mouse. */
  coarsePointer: boolean;
}

/** The resize to send: the view's own size when fitting, else the pinned desktop size. */
export function viewportFor(fit: boolean, screen: ViewerScreen): ResizeInput {
  if (!fit) {
    return PINNED_VIEWPORT;
  }
  return resizeInput(screen.width, screen.height, screen.devicePixelRatio, screen.coarsePointer);
}

/** Whether the view can be measured at all (a hidden or collapsed view is 0×0 and says nothing). */
export function isMeasurable(screen: ViewerScreen): boolean {
  return screen.width >= 1 && screen.height >= 1;
}

function sameResize(a: ResizeInput, b: ResizeInput): boolean {
  return a.width === b.width && a.height === b.height && a.deviceScaleFactor === b.deviceScaleFactor && a.mobile === b.mobile;
}

/**
 * Sends a resize only when it differs from the last one sent on this connection; `reset` forgets
 * it (a new connection, or the input came back to this viewer: the page may have another size now).
 */
export class ResizeDeduper {
  private last: ResizeInput | null = null;

  /** The message to send, or null when it would repeat the last one. */
  next(message: ResizeInput): ResizeInput | null {
    if (this.last && sameResize(this.last, message)) {
      return null;
    }
    this.last = message;
    return message;
  }

  reset(): void {
    this.last = null;
  }
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Calls `callback` once calls stop coming for `ms`; `flush` runs a waiting call now, `cancel` drops it. */
export function debounce(callback: () => void, ms: number, timers: Timers = realTimers): { call(): void; flush(): void; cancel(): void } {
  let handle: unknown = null;
  const run = () => {
    handle = null;
    callback();
  };
  return {
    call() {
      if (handle !== null) {
        timers.clear(handle);
      }
      handle = timers.set(run, ms);
    },
    flush() {
      if (handle !== null) {
        timers.clear(handle);
        run();
      }
    },
    cancel() {
      if (handle !== null) {
        timers.clear(handle);
        handle = null;
      }
    },
  };
}

const FIT_KEY = 'mbi.fitToScreen';

/** The user's choice of fitting the page to the screen (on unless they turned it off). */
export function loadFitPreference(storage: Storage | null): boolean {
  try {
    return storage?.getItem(FIT_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function saveFitPreference(storage: Storage | null, fit: boolean): void {
  try {
    storage?.setItem(FIT_KEY, fit ? 'on' : 'off');
  } catch {
    // Storage disabled: the choice lasts as long as the page.
  }
}
