import { type ReactNode, useEffect, useRef, useState } from 'react';

interface PopoverProps {
  /** The toggle button's face and name. */
  button: ReactNode;
  label: string;
  title?: string;
  buttonTestId?: string;
  /** The panel's content; rendered only while open. */
  children: ReactNode;
  panelTestId?: string;
  className?: string;
}

/** A toolbar button that opens a small panel below it; Escape or a press elsewhere closes it. */
export function Popover({ button, label, title, buttonTestId, children, panelTestId, className }: PopoverProps) {
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) {
      return;
    }
    const onPointerDown = (e: PointerEvent) => {
      if (!anchor.current?.contains(e.target as Node)) {
        setOpen(false);
      }
    };
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
      }
    };
    document.addEventListener('pointerdown', onPointerDown);
    document.addEventListener('keydown', onKeyDown);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown);
      document.removeEventListener('keydown', onKeyDown);
    };
  }, [open]);

  return (
    <div className={`popover-anchor ${className ?? ''}`} ref={anchor}>
      <button
        type="button"
        className="icon-button"
        aria-expanded={open}
        aria-label={label}
        title={title ?? label}
        data-testid={buttonTestId}
        onClick={() => setOpen((o) => !o)}
      >
        {button}
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label={label} data-testid={panelTestId}>
          {children}
        </div>
      )}
    </div>
  );
}
