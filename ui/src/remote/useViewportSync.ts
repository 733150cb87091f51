import { type RefObject, useEffect } from 'react';
import { debounce, isMeasurable, PINNED_VIEWPORT, RESIZE_DEBOUNCE_MS, ResizeDeduper, viewportFor } from '../lib/viewport';
import type { InputMessage } from './messages';

/**
 * Tells the remote page the viewer's view size while `active` (the view is live and takes this
 * viewer's input): once the view settles at start, then after each resize settles. Pinned (`fit` off), it asks once for
 * the fixed desktop size instead. Coordinates need nothing: frames come at the new size and
 * pointer positions map through each frame's own size.
 */
export function useViewportSync(view: RefObject<HTMLElement | null>, send: (m: InputMessage) => boolean, active: boolean, fit: boolean): void {
  useEffect(() => {
    const el = view.current;
    if (!active || !el) {
      return;
    }
    const deduper = new ResizeDeduper();
    const sendNow = () => {
      if (!fit) {
        const m = deduper.next(PINNED_VIEWPORT);
        if (m && !send(m)) {
          deduper.reset();
        }
        return;
      }
      const screen = {
        width: el.clientWidth,
        height: el.clientHeight,
        devicePixelRatio: window.devicePixelRatio || 1,
        coarsePointer: window.matchMedia?.('(pointer: coarse)').matches ?? false,
      };
      if (!isMeasurable(screen)) {
        return;
      }
      const m = deduper.next(viewportFor(true, screen));
      // Not sent (the link is down): try again on the next change rather than believe it arrived.
      if (m && !send(m)) {
        deduper.reset();
      }
    };
    if (!fit) {
      sendNow();
      return;
    }
    const settled = debounce(sendNow, RESIZE_DEBOUNCE_MS);
    // The first one settles too: banners that come with the live view (who drives) change its height at once.
    settled.call();
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => settled.call());
    observer?.observe(el);
    const onWindowResize = () => settled.call();
    window.addEventListener('resize', onWindowResize);
    return () => {
      settled.cancel();
      observer?.disconnect();
      window.removeEventListener('resize', onWindowResize);
    };
  }, [view, send, active, fit]);
}
