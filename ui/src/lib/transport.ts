/**
 * Which transport carries the remote picture and input: WebRTC first, the WebSocket stream as the
 * fallback. A pure state machine: `transition` returns the next state and the effects to run;
 * the caller runs them and feeds their outcomes back as events.
 *
 * The rule: the client asks for ICE servers, sends a non-trickle offer and waits for the first
 * video frame. It falls back to the WebSocket stream for good, without user action, when
 *  - no frame arrived within `webrtcTimeoutSec` of starting the attempt (reason "timeout"),
 *  - ICE failed, before or after the first frame (reason "ice-failed"),
 *  - the ICE servers or the offer could not be had: 404, 502, network errors, or the session
 *    still not ready after several 409 answers (reason "offer-failed").
 * A 409 ("session not ready") stops the clock; the offer is sent again once the session is ready.
 * The WebSocket stays open all along for status messages and carries the picture until WebRTC
 * delivers one.
 */

export type FallbackReason = 'timeout' | 'ice-failed' | 'offer-failed';

export type Phase =
  | 'idle'
  /** Fetching ICE servers, gathering candidates, or waiting for the answer. */
  | 'negotiating'
  /** The offer was refused with 409: waiting for the session to become ready. */
  | 'awaiting-ready'
  /** The answer is applied; waiting for the first video frame. */
  | 'connecting'
  /** Video frames arrive over WebRTC. */
  | 'webrtc'
  /** Fallen back to the WebSocket stream for the rest of this view. */
  | 'websocket'
  /** The view is gone or the session ended. */
  | 'closed';

export interface TransportState {
  phase: Phase;
  /** Set once fallen back. */
  reason?: FallbackReason;
  /** What the failure was, in words, for the overlay (e.g. "POST /offer: 502 runner unreachable"). */
  detail?: string;
  /** Milliseconds to wait for a frame, from GET /ice. */
  timeoutMs: number;
  /** Whether the session's status is known to be ready. */
  sessionReady: boolean;
  /** 409 answers so far. */
  notReadyAnswers: number;
}

export type TransportEvent =
  | { type: 'start' }
  | { type: 'ice-config'; timeoutSec: number }
  | { type: 'ice-unavailable'; detail: string }
  | { type: 'offer-not-ready'; detail: string }
  | { type: 'retry-offer' }
  | { type: 'answer' }
  | { type: 'offer-failed'; detail: string }
  | { type: 'first-frame' }
  | { type: 'ice-failed'; detail: string }
  | { type: 'timeout' }
  | { type: 'session-status'; status: string }
  | { type: 'close' };

export type Effect =
  | { type: 'fetch-ice' }
  /** Create a fresh peer connection, gather, POST the offer, apply the answer. */
  | { type: 'send-offer' }
  | { type: 'start-timer'; ms: number }
  | { type: 'cancel-timer' }
  /** Dispatch retry-offer after this delay (a 409 while the session already looks ready). */
  | { type: 'schedule-retry'; ms: number }
  | { type: 'close-peer' }
  | { type: 'report-fallback'; reason: FallbackReason };

export interface Transition {
  state: TransportState;
  effects: Effect[];
}

export const DEFAULT_TIMEOUT_MS = 15_000;
/** After this many 409 answers the client stops asking and falls back. */
export const MAX_NOT_READY_ANSWERS = 8;
export const NOT_READY_RETRY_MS = 1_000;

export function initialState(): TransportState {
  return { phase: 'idle', timeoutMs: DEFAULT_TIMEOUT_MS, sessionReady: false, notReadyAnswers: 0 };
}

const ATTEMPTING: Phase[] = ['negotiating', 'awaiting-ready', 'connecting'];

export function transition(state: TransportState, event: TransportEvent): Transition {
  const stay: Transition = { state, effects: [] };
  const fallBack = (reason: FallbackReason, detail?: string): Transition => ({
    state: { ...state, phase: 'websocket', reason, detail },
    effects: [{ type: 'cancel-timer' }, { type: 'close-peer' }, { type: 'report-fallback', reason }],
  });

  switch (event.type) {
    case 'start':
      return state.phase === 'idle'
        ? { state: { ...state, phase: 'negotiating' }, effects: [{ type: 'fetch-ice' }] }
        : stay;

    case 'ice-config': {
      if (state.phase !== 'negotiating') {
        return stay;
      }
      const timeoutMs = validTimeoutMs(event.timeoutSec);
      return {
        state: { ...state, timeoutMs },
        effects: [{ type: 'start-timer', ms: timeoutMs }, { type: 'send-offer' }],
      };
    }

    case 'ice-unavailable':
      return state.phase === 'negotiating' ? fallBack('offer-failed', event.detail) : stay;

    case 'offer-not-ready': {
      if (state.phase !== 'negotiating') {
        return stay;
      }
      const notReadyAnswers = state.notReadyAnswers + 1;
      if (notReadyAnswers >= MAX_NOT_READY_ANSWERS) {
        return fallBack('offer-failed', event.detail);
      }
      const next: TransportState = { ...state, phase: 'awaiting-ready', notReadyAnswers, detail: event.detail };
      const effects: Effect[] = [{ type: 'cancel-timer' }, { type: 'close-peer' }];
      if (state.sessionReady) {
        // The server's view of readiness can trail the status message a little.
        effects.push({ type: 'schedule-retry', ms: NOT_READY_RETRY_MS });
      }
      return { state: next, effects };
    }

    case 'retry-offer':
      return state.phase === 'awaiting-ready' ? retry(state) : stay;

    case 'session-status': {
      if (event.status === 'terminated' || event.status === 'error') {
        return close(state);
      }
      const sessionReady = event.status === 'ready';
      const next = { ...state, sessionReady };
      if (sessionReady && !state.sessionReady && state.phase === 'awaiting-ready') {
        return retry(next);
      }
      return { state: next, effects: [] };
    }

    case 'answer':
      return state.phase === 'negotiating' ? { state: { ...state, phase: 'connecting' }, effects: [] } : stay;

    case 'offer-failed':
      return state.phase === 'negotiating' ? fallBack('offer-failed', event.detail) : stay;

    case 'first-frame':
      return state.phase === 'connecting' || state.phase === 'negotiating'
        ? { state: { ...state, phase: 'webrtc', detail: undefined }, effects: [{ type: 'cancel-timer' }] }
        : stay;

    case 'ice-failed':
      return state.phase === 'negotiating' || state.phase === 'connecting' || state.phase === 'webrtc'
        ? fallBack('ice-failed', event.detail)
        : stay;

    case 'timeout':
      return state.phase === 'negotiating' || state.phase === 'connecting'
        ? fallBack('timeout', `no video frame within ${Math.round(state.timeoutMs / 1000)} s`)
        : stay;

    case 'close':
      return close(state);
  }
}

function retry(state: TransportState): Transition {
  return {
    state: { ...state, phase: 'negotiating' },
    effects: [{ type: 'start-timer', ms: state.timeoutMs }, { type: 'send-offer' }],
  };
}

function close(state: TransportState): Transition {
  if (state.phase === 'closed') {
    return { state, effects: [] };
  }
  const wasUsingPeer = ATTEMPTING.includes(state.phase) || state.phase === 'webrtc';
  return {
    state: { ...state, phase: 'closed' },
    effects: wasUsingPeer ? [{ type: 'cancel-timer' }, { type: 'close-peer' }] : [{ type: 'cancel-timer' }],
  };
}

function validTimeoutMs(sec: number): number {
  return Number.isFinite(sec) && sec > 0 ? Math.min(sec, 300) * 1000 : DEFAULT_TIMEOUT_MS;
}

/** The transport that carries the picture now. */
export function liveTransport(state: TransportState): 'webrtc' | 'websocket' {
  return state.phase === 'webrtc' ? 'webrtc' : 'websocket';
}

/** Whether WebRTC is still being tried. */
export function isTryingWebrtc(state: TransportState): boolean {
  return ATTEMPTING.includes(state.phase);
}
