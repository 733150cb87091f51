import { describe, expect, it } from 'vitest';
import { RECONNECT_WINDOW_MS, reconnectDelay } from './reconnect';

describe('reconnectDelay', () => {
  it('backs off from half a second to at most four', () => {
    const delays = [1, 2, 3, 4, 5, 6, 40].map((n) => reconnectDelay(n, 0, false));
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('keeps trying through a restart that outlasts many attempts', () => {
    // A control plane down for 4 s that then needs 25 s to start on a busy host.
    let lostFor = 0;
    let attempt = 0;
    while (lostFor < 29_000) {
      attempt++;
      const delay = reconnectDelay(attempt, lostFor, false);
      expect(delay, `attempt ${attempt} after ${lostFor} ms`).not.toBeNull();
      lostFor += delay!;
    }
    expect(attempt).toBeGreaterThan(5);
  });

  it('gives up once the window has passed, and never waits past it', () => {
    expect(reconnectDelay(30, RECONNECT_WINDOW_MS, false)).toBeNull();
    expect(reconnectDelay(30, RECONNECT_WINDOW_MS + 1, false)).toBeNull();
    expect(reconnectDelay(30, RECONNECT_WINDOW_MS - 100, false)).toBe(100);
  });

  it('gives up at once when the session has ended', () => {
    expect(reconnectDelay(1, 0, true)).toBeNull();
  });
});
