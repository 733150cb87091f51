import { type FormEvent, useState } from 'react';
import type { InputMessage } from '../remote/messages';
import { withScheme } from '../lib/url';
import { BackIcon, ForwardIcon, ReloadIcon } from './icons';

interface NavBarProps {
  /** The remote page's address, from status messages. */
  url: string;
  disabled: boolean;
  send(message: InputMessage): boolean;
  /** Called after navigating, to hand the keyboard back to the view. */
  afterNavigate(): void;
}

/** Back, forward, reload and an address field for the remote browser. */
export function NavBar({ url, disabled, send, afterNavigate }: NavBarProps) {
  // While the field has focus it holds what the user types; otherwise it follows the remote page.
  const [draft, setDraft] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const target = withScheme(draft ?? url);
    if (target && send({ type: 'navigate', url: target })) {
      setDraft(null);
      (document.activeElement as HTMLElement | null)?.blur();
      afterNavigate();
    }
  };

  return (
    <nav className="navbar" aria-label="Remote browser">
      <div className="nav-buttons">
        <button type="button" className="icon-button" onClick={() => send({ type: 'back' })} disabled={disabled} aria-label="Back" title="Back">
          <BackIcon />
        </button>
        <button type="button" className="icon-button" onClick={() => send({ type: 'forward' })} disabled={disabled} aria-label="Forward" title="Forward">
          <ForwardIcon />
        </button>
        <button type="button" className="icon-button" onClick={() => send({ type: 'reload' })} disabled={disabled} aria-label="Reload" title="Reload">
          <ReloadIcon />
        </button>
      </div>
      <form className="address" onSubmit={submit} role="search" aria-label="Go to an address in the remote browser">
        <input
          type="text"
          inputMode="url"
          name="address"
          aria-label="Address of the remote page"
          spellCheck={false}
          autoComplete="off"
          value={draft ?? url}
          placeholder={disabled ? 'Waiting for the remote browser…' : 'Enter an address'}
          onChange={(e) => setDraft(e.target.value)}
          onFocus={(e) => {
            setDraft(e.target.value);
            e.target.select();
          }}
          onBlur={() => setDraft(null)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setDraft(null);
              e.currentTarget.blur();
            }
          }}
          disabled={disabled}
        />
      </form>
    </nav>
  );
}
