import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type Session } from '../api';
import { StatusBadge } from './StatusBadge';

const REFRESH_MS = 3000;
const isLive = (s: Session) => s.status === 'pending' || s.status === 'ready';

/** Sessions on the server (live first, then recently ended), to rejoin or end. */
export function SessionList({ onOpen }: { onOpen: (sessionId: string) => void }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ending, setEnding] = useState<Set<string>>(new Set());

  const refresh = useCallback(async () => {
    try {
      const list = await api.listSessions();
      list.sort((a, b) => Number(isLive(b)) - Number(isLive(a)) || b.createdAt.localeCompare(a.createdAt));
      setSessions(list);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? `Could not load sessions: ${e.message}` : 'Could not load sessions.');
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const end = async (id: string) => {
    setEnding((s) => new Set(s).add(id));
    try {
      await api.deleteSession(id);
    } catch (e) {
      setError(e instanceof ApiError ? `Could not end the session: ${e.message}` : 'Could not end the session.');
    }
    setEnding((s) => {
      const next = new Set(s);
      next.delete(id);
      return next;
    });
    await refresh();
  };

  const live = sessions?.filter(isLive).length ?? 0;
  return (
    <section className="card sessions" aria-labelledby="sessions-title">
      <div className="section-head">
        <h2 id="sessions-title">Sessions</h2>
        {sessions && <span className="muted">{live === 1 ? '1 running' : `${live} running`}</span>}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {sessions === null && !error && <p className="muted">Loading…</p>}
      {sessions?.length === 0 && <p className="muted empty">No sessions yet. Start one above.</p>}
      {sessions && sessions.length > 0 && (
        <ul className="session-list" data-testid="session-list">
          {sessions.map((s) => (
            <li key={s.sessionId} className={isLive(s) ? 'session-item' : 'session-item ended'} data-session-id={s.sessionId}>
              <StatusBadge status={s.status} testId="list-item-status" />
              <div className="session-text">
                <span className="session-title">{s.title || s.currentUrl || s.url}</span>
                <span className="session-meta">
                  {s.title && `${s.currentUrl || s.url} · `}
                  {isLive(s) ? `started ${ago(s.createdAt)}` : s.error ? s.error : `ended ${ago(s.endedAt ?? s.createdAt)}`}
                  {isLive(s) && ` · ${s.viewers === 1 ? '1 viewer' : `${s.viewers} viewers`}`}
                </span>
              </div>
              {isLive(s) && (
                <div className="session-actions">
                  <button type="button" className="button" onClick={() => onOpen(s.sessionId)}>
                    Rejoin
                  </button>
                  <button
                    type="button"
                    className="button danger-ghost"
                    onClick={() => void end(s.sessionId)}
                    disabled={ending.has(s.sessionId)}
                    aria-label={`End session ${s.title || s.url}`}
                  >
                    End
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 60) {
    return 'just now';
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  return `${Math.round(minutes / 60)} h ago`;
}
