/**
 * When the viewer's WebSocket tries again after it closed. A restarted edge or control plane takes
 * several seconds to come back (longer on a busy host), so the socket keeps trying for a window of
 * time rather than a number of attempts; it gives up at once only when the session has ended.
 */

/** How long after the link was lost the view keeps trying (the edge re-attaches for 60 s itself). */
export const RECONNECT_WINDOW_MS = 90_000;
const FIRST_DELAY_MS = 500;
const MOST_DELAY_MS = 4_000;

/**
 * The wait before attempt number `attempt` (1 for the first retry), or null to give up:
 * the session has ended, or the link has been lost for longer than the window.
 */
export function reconnectDelay(attempt: number, lostForMs: number, sessionEnded: boolean): number | null {
  if (sessionEnded || lostForMs >= RECONNECT_WINDOW_MS) {
    return null;
  }
  const backoff = FIRST_DELAY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 10));
  return Math.min(backoff, MOST_DELAY_MS, RECONNECT_WINDOW_MS - lostForMs);
}
