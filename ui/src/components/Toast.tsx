import { useCallback, useEffect, useState } from 'react';

export type ToastTone = 'error' | 'info';

export interface ToastContent {
  text: string;
  tone: ToastTone;
  /** For the end-to-end tests: which kind of toast this is (e.g. "blocked-toast", "clipboard-toast"). */
  testId?: string;
  /** A refusal's policy rule, e.g. "policy.downloads = deny". */
  rule?: string;
}

const SHOWN_MS = 6000;

/** One brief message at a time over the picture; a newer one replaces it and shows for the full time again. */
export function useToast(): [ToastContent | null, (toast: ToastContent) => void] {
  const [shown, setShown] = useState<{ toast: ToastContent; n: number } | null>(null);
  const show = useCallback((toast: ToastContent) => setShown((s) => ({ toast, n: (s?.n ?? 0) + 1 })), []);
  useEffect(() => {
    if (!shown) {
      return;
    }
    const timer = setTimeout(() => setShown(null), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [shown]);
  return [shown?.toast ?? null, show];
}

export function Toast({ toast }: { toast: ToastContent }) {
  return (
    <div
      className={`toast toast-${toast.tone}`}
      role={toast.tone === 'error' ? 'alert' : 'status'}
      data-testid={toast.testId ?? 'toast'}
      data-rule={toast.rule}
    >
      {toast.text}
    </div>
  );
}
