import { useState } from 'react';
import { api, ApiError, type Session } from '../api';
import { type ControlHolder, controlPanel } from '../lib/control';

interface ControlBarProps {
  sessionId: string;
  controller: ControlHolder;
  /** Automation clients connected. */
  cdpClients: number;
  /** A look-only view: says who drives, offers no buttons. */
  readOnly: boolean;
  /** The session as the server answered a handover. */
  onSession(session: Session): void;
}

/** Who drives the session, and the buttons that hand control between people and the agent. */
export function ControlBar({ sessionId, controller, cdpClients, readOnly, onSession }: ControlBarProps) {
  const [pending, setPending] = useState<ControlHolder | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panel = controlPanel(controller, cdpClients, readOnly);

  const handOver = async (holder: ControlHolder) => {
    setPending(holder);
    setError(null);
    try {
      onSession(await api.setControl(sessionId, holder));
    } catch (e) {
      setError(`Could not change who drives: ${e instanceof ApiError ? e.message : 'something unexpected went wrong'}.`);
    } finally {
      setPending(null);
    }
  };

  return (
    <>
      {panel && (
        <div className={`banner control control-${panel.tone}`} role="status" data-testid="control-bar" data-controller={controller}>
          <span className="control-text">{panel.text}</span>
          {panel.actions.map((action) => (
            <button
              key={action.holder}
              type="button"
              className={action.holder === 'human' ? 'button primary small' : 'button small'}
              disabled={pending !== null}
              onClick={() => void handOver(action.holder)}
            >
              {pending === action.holder ? 'Asking…' : action.label}
            </button>
          ))}
        </div>
      )}
      {error && (
        <div className="banner error" role="alert" data-testid="control-error">
          {error}
        </div>
      )}
    </>
  );
}
