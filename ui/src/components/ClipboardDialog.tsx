import { useEffect, useRef, useState } from 'react';

/**
 * Text the remote page copied, for the user to copy themselves: shown where the Clipboard API is
 * missing (not a secure context) or refused. The text is selected; Copy uses the old execCommand,
 * which works from this click.
 */
export function ClipboardDialog({ text, onClose }: { text: string; onClose(): void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    area.current?.focus();
    area.current?.select();
  }, [text]);

  const copy = () => {
    area.current?.focus();
    area.current?.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    if (ok) {
      setCopied(true);
      setTimeout(onClose, 600);
    }
  };

  return (
    <div className="login-backdrop" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="card clipboard-dialog" role="dialog" aria-modal="true" aria-labelledby="clipboard-dialog-title" data-testid="clipboard-dialog">
        <h2 id="clipboard-dialog-title">Copied on the remote page</h2>
        <p className="muted note">This browser does not let the page reach your clipboard here. Copy the text yourself:</p>
        <textarea ref={area} className="clipboard-text" readOnly value={text} rows={Math.min(8, Math.max(2, text.split('\n').length))} data-testid="clipboard-text" />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button primary" onClick={copy} data-testid="clipboard-copy">
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      </div>
    </div>
  );
}
