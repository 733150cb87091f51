import { type RefObject, useEffect, useRef, useState } from 'react';
import { clipboardAccess, ClipboardRelay } from '../lib/clipboard';
import type { ToastContent } from '../components/Toast';
import type { DataMessage } from './messages';

/**
 * Text the remote page copies goes onto the local clipboard: at once when the browser allows it,
 * else on the user's next press or key in the view. Without a Clipboard API (not a secure context)
 * the text is offered in a dialog instead; `dialogText` is what it shows.
 */
export function useRemoteClipboard(
  onData: (listener: (message: DataMessage) => void) => () => void,
  view: RefObject<HTMLElement | null>,
  enabled: boolean,
  showToast: (toast: ToastContent) => void,
): { dialogText: string | null; closeDialog(): void } {
  const [dialogText, setDialogText] = useState<string | null>(null);
  const relay = useRef<ClipboardRelay | null>(null);

  useEffect(() => {
    if (!enabled) {
      return;
    }
    const r = new ClipboardRelay(clipboardAccess({ isSecureContext: window.isSecureContext, clipboard: navigator.clipboard }));
    relay.current = r;
    const write = (text: string, afterRefusal: boolean) => {
      navigator.clipboard.writeText(text).then(
        () => showToast({ text: 'Copied from the remote page.', tone: 'info', testId: 'clipboard-toast' }),
        () => {
          if (afterRefusal) {
            // Refused even during a gesture (a permission the user denied): offer the text instead.
            setDialogText(text);
            return;
          }
          r.refused(text);
          showToast({
            text: 'The remote page copied text: click or press a key in the view to put it on your clipboard.',
            tone: 'info',
            testId: 'clipboard-toast',
          });
        },
      );
    };
    const stop = onData((m) => {
      if (m.type !== 'clipboard') {
        return;
      }
      const step = r.received(m.text, performance.now());
      if (step.action === 'write') {
        write(step.text, false);
      } else if (step.action === 'dialog') {
        setDialogText(step.text);
      }
    });
    // A press or key is a user gesture: the moment a refused write may be tried again.
    const onGesture = () => {
      const text = r.takeForGesture();
      if (text !== null) {
        write(text, true);
      }
    };
    const el = view.current;
    el?.addEventListener('pointerdown', onGesture, true);
    el?.addEventListener('keydown', onGesture, true);
    return () => {
      stop();
      el?.removeEventListener('pointerdown', onGesture, true);
      el?.removeEventListener('keydown', onGesture, true);
      relay.current = null;
    };
  }, [onData, view, enabled, showToast]);

  return { dialogText, closeDialog: () => setDialogText(null) };
}
