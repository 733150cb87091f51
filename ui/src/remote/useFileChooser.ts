import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import {
  canOpenPickerNow,
  describeUploadError,
  DROP_WINDOW_MS,
  DropWaiter,
  fileOverLimit,
  filesForChooser,
} from '../lib/fileChooser';
import { formatBytes, type SessionPolicy } from '../lib/policy';
import type { ToastContent } from '../components/Toast';
import type { DataMessage, FileChooserMessage } from './messages';

export interface FileChooserState {
  /** The chooser waiting for files, if any. */
  chooser: FileChooserMessage | null;
  uploading: boolean;
  error: string | null;
  /** The hidden file input the picker opens from. */
  input: RefObject<HTMLInputElement | null>;
  /** Opens the local picker (from a click: a user gesture). */
  choose(): void;
  /** The user picked files in the hidden input. */
  chosen(files: File[]): void;
  /** The user does not want to give the page any file. */
  dismiss(): void;
  /** Files dropped onto the view: they wait for the chooser the drop's click opens. False: not taken. */
  drop(files: File[]): boolean;
}

/**
 * Answers the remote page's file choosers: with files dropped onto the view just before, or from
 * the local picker (opened at once when the browser allows it, else from the banner's button).
 */
export function useFileChooser(
  sessionId: string,
  onData: (listener: (message: DataMessage) => void) => () => void,
  enabled: boolean,
  policy: SessionPolicy | null,
  showToast: (toast: ToastContent) => void,
): FileChooserState {
  const [chooser, setChooser] = useState<FileChooserMessage | null>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const dropped = useRef(new DropWaiter<File>());
  const seen = useRef(new Set<string>());
  const policyRef = useRef(policy);
  useEffect(() => {
    policyRef.current = policy;
  }, [policy]);

  const upload = useCallback(
    async (target: FileChooserMessage, files: File[]) => {
      const max = policyRef.current?.maxTransferBytes ?? 0;
      const tooLarge = fileOverLimit(files, max);
      if (tooLarge) {
        setChooser(target);
        setError(`${tooLarge.name} is larger than this session allows (${formatBytes(max)}).`);
        return;
      }
      setUploading(true);
      setError(null);
      try {
        const { files: n } = await api.uploadFiles(sessionId, target.id, files);
        setChooser((c) => (c?.id === target.id ? null : c));
        const count = Number.isFinite(n) ? n : files.length;
        showToast({ text: `Gave the page ${count === 1 ? '1 file' : `${count} files`}.`, tone: 'info', testId: 'upload-toast' });
      } catch (e) {
        setChooser(target);
        setError(e instanceof ApiError ? describeUploadError(e.status, e.message) : 'Could not upload the files.');
      } finally {
        setUploading(false);
      }
    },
    [sessionId, showToast],
  );

  const openPicker = useCallback((target: FileChooserMessage) => {
    const el = input.current;
    if (!el) {
      return;
    }
    // Set here, not only when React renders: the picker opens now, before the next render.
    el.multiple = target.multiple;
    el.accept = target.accept.join(',');
    el.click();
  }, []);

  useEffect(() => {
    if (!enabled) {
      return;
    }
    return onData((m) => {
      // Both channels may carry the same chooser.
      if (m.type !== 'filechooser' || seen.current.has(m.id)) {
        return;
      }
      seen.current.add(m.id);
      setError(null);
      const files = dropped.current.takeForChooser(performance.now());
      if (files) {
        const fitting = filesForChooser(m, files);
        if (fitting.length > 0) {
          void upload(m, fitting);
          return;
        }
        setChooser(m);
        setError(`None of the dropped files is a kind this field takes (${m.accept.join(', ')}).`);
        return;
      }
      setChooser(m);
      if (canOpenPickerNow((navigator as { userActivation?: { isActive: boolean } }).userActivation)) {
        openPicker(m);
      }
    });
  }, [onData, enabled, upload, openPicker]);

  const drop = useCallback(
    (files: File[]) => {
      if (!enabled) {
        return false;
      }
      if (policyRef.current?.uploads === 'deny') {
        showToast({ text: 'Upload blocked by policy.uploads = deny.', tone: 'error', testId: 'blocked-toast', rule: 'policy.uploads = deny' });
        return false;
      }
      dropped.current.drop(files, performance.now());
      setTimeout(() => {
        if (dropped.current.expired(performance.now())) {
          showToast({ text: 'Nothing there asked for a file: drop files onto a file field or an upload button.', tone: 'info', testId: 'drop-missed' });
        }
      }, DROP_WINDOW_MS + 100);
      return true;
    },
    [enabled, showToast],
  );

  return {
    chooser,
    uploading,
    error,
    input,
    choose: () => chooser && openPicker(chooser),
    chosen: (files) => {
      if (chooser && files.length > 0) {
        void upload(chooser, files);
      }
    },
    dismiss: () => {
      setChooser(null);
      setError(null);
    },
    drop,
  };
}
