import { describe, expect, it } from 'vitest';
import {
  type Effect,
  initialState,
  isTryingWebrtc,
  liveTransport,
  MAX_NOT_READY_ANSWERS,
  transition,
  type TransportEvent,
  type TransportState,
} from './transport';

/** Feeds events in order; returns the final state and every effect produced, in order. */
function run(events: TransportEvent[], from: TransportState = initialState()) {
  let state = from;
  const effects: Effect[] = [];
  for (const e of events) {
    const t = transition(state, e);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}

const reports = (effects: Effect[]) => effects.filter((e) => e.type === 'report-fallback');

describe('transport state machine', () => {
  it('starts by asking for ICE servers, then sends the offer with the server timeout', () => {
    const start = run([{ type: 'start' }]);
    expect(start.state.phase).toBe('negotiating');
    expect(start.effects).toEqual([{ type: 'fetch-ice' }]);

    const configured = run([{ type: 'ice-config', timeoutSec: 15 }], start.state);
    expect(configured.effects).toEqual([{ type: 'start-timer', ms: 15_000 }, { type: 'send-offer' }]);
    expect(liveTransport(configured.state)).toBe('websocket');
    expect(isTryingWebrtc(configured.state)).toBe(true);
  });

  it('goes live on the first frame after the answer and stops the clock', () => {
    const { state, effects } = run([
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'answer' },
      { type: 'first-frame' },
    ]);
    expect(state.phase).toBe('webrtc');
    expect(liveTransport(state)).toBe('webrtc');
    expect(effects.at(-1)).toEqual({ type: 'cancel-timer' });
    expect(reports(effects)).toEqual([]);
  });

  it('falls back immediately when the server has no WebRTC (GET /ice 404)', () => {
    const { state, effects } = run([{ type: 'start' }, { type: 'ice-unavailable', detail: 'GET /ice: 404' }]);
    expect(state).toMatchObject({ phase: 'websocket', reason: 'offer-failed', detail: 'GET /ice: 404' });
    expect(reports(effects)).toEqual([{ type: 'report-fallback', reason: 'offer-failed' }]);
    expect(effects).toContainEqual({ type: 'close-peer' });
  });

  it('falls back when the offer fails (502 runner unreachable, 404, network)', () => {
    const { state, effects } = run([
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'offer-failed', detail: '502 runner unreachable' },
    ]);
    expect(state).toMatchObject({ phase: 'websocket', reason: 'offer-failed' });
    expect(effects).toContainEqual({ type: 'cancel-timer' });
    expect(reports(effects)).toHaveLength(1);
  });

  it('falls back on timeout while connecting, and ignores the late frame', () => {
    const { state, effects } = run([
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 2 },
      { type: 'answer' },
      { type: 'timeout' },
      { type: 'first-frame' },
    ]);
    expect(state).toMatchObject({ phase: 'websocket', reason: 'timeout', detail: 'no video frame within 2 s' });
    expect(reports(effects)).toEqual([{ type: 'report-fallback', reason: 'timeout' }]);
  });

  it('falls back on timeout while still waiting for the answer, and ignores the late answer', () => {
    const { state } = run([{ type: 'start' }, { type: 'ice-config', timeoutSec: 2 }, { type: 'timeout' }, { type: 'answer' }]);
    expect(state).toMatchObject({ phase: 'websocket', reason: 'timeout' });
  });

  it('falls back when ICE fails, before or after going live', () => {
    const before = run([{ type: 'start' }, { type: 'ice-config', timeoutSec: 15 }, { type: 'answer' }, { type: 'ice-failed', detail: 'x' }]);
    expect(before.state).toMatchObject({ phase: 'websocket', reason: 'ice-failed' });

    const after = run([{ type: 'ice-failed', detail: 'connection failed' }], run([
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'answer' },
      { type: 'first-frame' },
    ]).state);
    expect(after.state).toMatchObject({ phase: 'websocket', reason: 'ice-failed' });
    expect(after.effects).toContainEqual({ type: 'close-peer' });
    expect(reports(after.effects)).toEqual([{ type: 'report-fallback', reason: 'ice-failed' }]);
  });

  it('reports a fallback once and never comes back to WebRTC', () => {
    const { state, effects } = run([
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'offer-failed', detail: '502' },
      { type: 'timeout' },
      { type: 'ice-failed', detail: 'x' },
      { type: 'first-frame' },
      { type: 'start' },
      { type: 'retry-offer' },
    ]);
    expect(state.phase).toBe('websocket');
    expect(reports(effects)).toHaveLength(1);
  });

  it('on 409 stops the clock and retries the offer once the session is ready', () => {
    const waiting = run([
      { type: 'session-status', status: 'pending' },
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'offer-not-ready', detail: 'session not ready: pending' },
    ]);
    expect(waiting.state.phase).toBe('awaiting-ready');
    expect(waiting.effects.slice(-2)).toEqual([{ type: 'cancel-timer' }, { type: 'close-peer' }]);

    // A timeout cannot fire while waiting (the clock is stopped); a stale one is ignored.
    expect(transition(waiting.state, { type: 'timeout' }).state.phase).toBe('awaiting-ready');

    const ready = run([{ type: 'session-status', status: 'ready' }], waiting.state);
    expect(ready.state.phase).toBe('negotiating');
    expect(ready.effects).toEqual([{ type: 'start-timer', ms: 15_000 }, { type: 'send-offer' }]);

    const live = run([{ type: 'answer' }, { type: 'first-frame' }], ready.state);
    expect(live.state.phase).toBe('webrtc');
  });

  it('on 409 while the session already looks ready, retries after a short delay', () => {
    const { state, effects } = run([
      { type: 'session-status', status: 'ready' },
      { type: 'start' },
      { type: 'ice-config', timeoutSec: 15 },
      { type: 'offer-not-ready', detail: 'session not ready: pending' },
    ]);
    expect(state.phase).toBe('awaiting-ready');
    expect(effects.at(-1)).toEqual({ type: 'schedule-retry', ms: 1000 });
    expect(run([{ type: 'retry-offer' }], state).effects).toContainEqual({ type: 'send-offer' });
  });

  it('gives up after repeated 409 answers', () => {
    let t = run([{ type: 'session-status', status: 'ready' }, { type: 'start' }, { type: 'ice-config', timeoutSec: 15 }]);
    for (let i = 1; i < MAX_NOT_READY_ANSWERS; i++) {
      t = run([{ type: 'offer-not-ready', detail: '409' }, { type: 'retry-offer' }], t.state);
      expect(t.state.phase).toBe('negotiating');
    }
    t = run([{ type: 'offer-not-ready', detail: 'session not ready: pending' }], t.state);
    expect(t.state).toMatchObject({ phase: 'websocket', reason: 'offer-failed' });
    expect(reports(t.effects)).toHaveLength(1);
  });

  it('stops trying without reporting when the session ends or the view closes', () => {
    const attempt = run([{ type: 'start' }, { type: 'ice-config', timeoutSec: 15 }]).state;
    const ended = run([{ type: 'session-status', status: 'terminated' }], attempt);
    expect(ended.state.phase).toBe('closed');
    expect(ended.effects).toEqual([{ type: 'cancel-timer' }, { type: 'close-peer' }]);
    expect(reports(ended.effects)).toEqual([]);

    const closed = run([{ type: 'close' }, { type: 'timeout' }, { type: 'answer' }], attempt);
    expect(closed.state.phase).toBe('closed');
    expect(reports(closed.effects)).toEqual([]);
  });

  it('uses the default timeout for a missing or silly value', () => {
    for (const bad of [0, -5, NaN]) {
      const t = run([{ type: 'start' }, { type: 'ice-config', timeoutSec: bad }]);
      expect(t.effects[1]).toEqual({ type: 'start-timer', ms: 15_000 });
    }
  });
});
