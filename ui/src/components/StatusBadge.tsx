import type { SessionStatus } from '../api';

const LABELS: Record<SessionStatus, string> = {
  pending: 'Starting the remote browser',
  ready: 'The remote browser is live',
  terminated: 'The session has ended',
  error: 'The session failed',
};

/** A session's status as a coloured pill showing the status word itself. */
export function StatusBadge({ status, testId = 'session-status' }: { status: SessionStatus; testId?: string }) {
  return (
    <span className={`badge status-${status}`} data-testid={testId} data-status={status} title={LABELS[status]}>
      <span className="dot" aria-hidden="true" />
      <span className="sr-only">status: </span>
      {status}
    </span>
  );
}
