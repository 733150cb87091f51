/**
 * One view's link to a session: the viewer WebSocket (status always, picture unless WebRTC is
 * live) and the WebRTC attempt driven by the transport state machine (lib/transport.ts).
 */

import { api, ApiError, viewerSocketUrl } from '../api';
import type { ControlHolder } from '../lib/control';
import { base64Bytes, EMPTY_STATS, type LiveStats, RateMeter, type RtcSample, summarizeRtcStats } from '../lib/stats';
import { reconnectDelay } from '../lib/reconnect';
import { type Effect, initialState, transition, type TransportEvent, type TransportState } from '../lib/transport';
import { type DataMessage, type FrameMessage, type InputMessage, parseBinaryFrame, parseServerMessage, type ServerMessage, type StatusMessage } from './messages';
import { createReceivingPeer, offerWithCandidates, onFirstVideoFrame } from './peer';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionListener {
  status(message: StatusMessage): void;
  /** A WebSocket frame to draw (not called while WebRTC carries the picture). */
  frame(message: FrameMessage): void;
  transport(state: TransportState): void;
  socket(state: SocketState): void;
  /** The server refused something the client sent (e.g. a bad URL to navigate to). */
  serverError(message: string): void;
  /** Who drives the session: at attach and on every change. */
  control(holder: ControlHolder): void;
  /** Clipboard, downloads, file choosers and policy refusals, from either channel. */
  data(message: DataMessage): void;
  /** Whether the page's sound arrives (WebRTC only; the WebSocket fallback carries no sound). */
  sound(available: boolean): void;
}

/** An ICE connection "disconnected" this long counts as failed (the browser waits ~30 s). */
const DISCONNECTED_LIMIT_MS = 5000;

export class RemoteConnection {
  private state: TransportState = initialState();
  private socket: WebSocket | null = null;
  private reconnects = 0;
  /** When the socket last went from open (or first connecting) to closed; null while it is open. */
  private lostAt: number | null = null;
  /** The edge said it is attaching the session again (a restarted control plane). */
  private serviceReconnecting = false;
  private closed = false;
  private ended = false;

  private iceServers: RTCIceServer[] = [];
  private pc: RTCPeerConnection | null = null;
  private input: RTCDataChannel | null = null;
  /** Bumped per offer: results of an abandoned attempt are dropped. */
  private attempt = 0;
  private abort: AbortController | null = null;
  private cancelFirstFrame: (() => void) | null = null;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly frames = new RateMeter(2000);
  private rtcSample: RtcSample | null = null;
  private lastFrame: { width: number; height: number } | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly video: HTMLVideoElement,
    private readonly listener: ConnectionListener,
  ) {}

  start(): void {
    this.openSocket();
    this.dispatch({ type: 'start' });
  }

  get transport(): TransportState {
    return this.state;
  }

  /** Sends input over the live transport: the DataChannel while WebRTC carries the picture, else the WebSocket. */
  send(message: InputMessage): boolean {
    const json = JSON.stringify(message);
    if (this.state.phase === 'webrtc' && this.input?.readyState === 'open') {
      this.input.send(json);
      return true;
    }
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(json);
      return true;
    }
    return false;
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.dispatch({ type: 'close' });
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'viewer left');
  }

  /** Numbers for the stats overlay, from the live transport. */
  async sampleStats(now: number): Promise<Omit<LiveStats, 'inputToFrameMs'>> {
    if (this.state.phase === 'webrtc' && this.pc) {
      const report = await this.pc.getStats();
      const { stats, sample } = summarizeRtcStats(report.values() as Iterable<never>, this.rtcSample);
      this.rtcSample = sample;
      return stats;
    }
    if (!this.lastFrame) {
      return { ...EMPTY_STATS };
    }
    return {
      fps: this.frames.perSecond(now),
      bitrateKbps: this.frames.kbps(now),
      rttMs: null,
      width: this.lastFrame.width,
      height: this.lastFrame.height,
    };
  }

  // --- WebSocket ---

  private openSocket(): void {
    // Frames as binary messages: the JPEG as it is, no base64 to send or decode.
    const url = viewerSocketUrl(this.sessionId);
    const socket = new WebSocket(`${url}${url.includes('?') ? '&' : '?'}frames=binary`);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.listener.socket(this.reconnects === 0 ? 'connecting' : 'reconnecting');
    socket.onopen = () => {
      this.reconnects = 0;
      this.lostAt = null;
      this.listener.socket('open');
    };
    socket.onmessage = (event) => {
      const message = typeof event.data === 'string' ? parseServerMessage(event.data)
        : event.data instanceof ArrayBuffer ? parseBinaryFrame(event.data) : null;
      if (message) {
        this.onSocketMessage(message);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.lostAt ??= performance.now();
      void this.afterSocketClosed();
    };
  }

  private onSocketMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'frame':
        this.frames.add(message.jpeg ? message.jpeg.byteLength : base64Bytes(message.data ?? ''), performance.now());
        this.lastFrame = { width: message.width, height: message.height };
        if (this.state.phase !== 'webrtc') {
          this.listener.frame(message);
        }
        break;
      case 'reconnecting':
        // The socket is fine; the service behind it is coming back. The next status says the session is there.
        this.serviceReconnecting = true;
        this.listener.socket('reconnecting');
        break;
      case 'status':
        if (this.serviceReconnecting) {
          this.serviceReconnecting = false;
          this.listener.socket('open');
        }
        this.onStatus(message);
        break;
      case 'error':
        this.listener.serverError(message.error);
        break;
      case 'control':
        this.listener.control(message.holder);
        break;
      case 'clipboard':
      case 'download':
      case 'filechooser':
      case 'blocked':
        this.listener.data(message);
        break;
    }
  }

  private onStatus(message: StatusMessage): void {
    if (message.status === 'terminated' || message.status === 'error') {
      this.ended = true;
    }
    this.listener.status(message);
    this.dispatch({ type: 'session-status', status: message.status });
  }

  /** The edge closes the socket when the session ends; anything else is a broken link worth retrying. */
  private async afterSocketClosed(): Promise<void> {
    if (this.closed) {
      return;
    }
    if (!this.ended) {
      try {
        const s = await api.getSession(this.sessionId);
        this.onStatus({ type: 'status', sessionId: s.sessionId, status: s.status, error: s.error, url: s.currentUrl, title: s.title });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          this.onStatus({ type: 'status', sessionId: this.sessionId, status: 'terminated', error: 'the session no longer exists', url: '', title: '' });
        }
      }
    }
    if (this.closed) {
      return;
    }
    const lostForMs = this.lostAt === null ? 0 : performance.now() - this.lostAt;
    const delay = reconnectDelay(this.reconnects + 1, lostForMs, this.ended);
    if (delay === null) {
      this.listener.socket('closed');
      return;
    }
    this.reconnects++;
    this.listener.socket('reconnecting');
    this.reconnectTimer = setTimeout(() => this.openSocket(), delay);
  }

  // --- WebRTC, driven by the state machine ---

  private dispatch(event: TransportEvent): void {
    if (this.closed) {
      return;
    }
    const { state, effects } = transition(this.state, event);
    const changed = state !== this.state;
    this.state = state;
    for (const effect of effects) {
      this.run(effect);
    }
    if (changed) {
      this.listener.transport(state);
    }
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case 'fetch-ice':
        void this.fetchIce();
        break;
      case 'send-offer':
        void this.sendOffer();
        break;
      case 'start-timer':
        clearTimeout(this.attemptTimer);
        this.attemptTimer = setTimeout(() => this.dispatch({ type: 'timeout' }), effect.ms);
        break;
      case 'cancel-timer':
        clearTimeout(this.attemptTimer);
        break;
      case 'schedule-retry':
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.dispatch({ type: 'retry-offer' }), effect.ms);
        break;
      case 'close-peer':
        this.closePeer();
        break;
      case 'report-fallback':
        void api.reportFallback(this.sessionId, effect.reason);
        break;
    }
  }

  private async fetchIce(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    try {
      const config = await api.iceConfig(this.sessionId, abort.signal);
      if (!config || !Array.isArray(config.iceServers)) {
        throw new ApiError(200, 'GET /ice answered without iceServers');
      }
      this.iceServers = config.iceServers;
      this.dispatch({ type: 'ice-config', timeoutSec: Number(config.webrtcTimeoutSec) });
    } catch (e) {
      if (!abort.signal.aborted) {
        this.dispatch({ type: 'ice-unavailable', detail: `GET /ice: ${describe(e)}` });
      }
    }
  }

  private async sendOffer(): Promise<void> {
    this.closePeer();
    const attempt = ++this.attempt;
    const abort = new AbortController();
    this.abort = abort;
    let peer;
    try {
      peer = createReceivingPeer(this.iceServers);
    } catch (e) {
      this.dispatch({ type: 'offer-failed', detail: `this browser cannot do WebRTC: ${describe(e)}` });
      return;
    }
    const { pc, input } = peer;
    this.pc = pc;
    this.input = input;
    // The runner answers bad input on the channel it came from, as the WebSocket would.
    input.onmessage = (event) => {
      if (attempt === this.attempt && typeof event.data === 'string') {
        const message = parseServerMessage(event.data);
        if (message?.type === 'error') {
          this.listener.serverError(message.error);
        } else if (message && isDataMessage(message)) {
          this.listener.data(message);
        }
      }
    };
    pc.ontrack = (event) => {
      if (attempt !== this.attempt) {
        return;
      }
      if (event.track.kind === 'audio') {
        // Played by the (muted until the user unmutes) video element, from the same stream as the picture.
        const shown = this.video.srcObject;
        if (shown instanceof MediaStream && !shown.getTracks().includes(event.track)) {
          shown.addTrack(event.track);
        } else if (!(shown instanceof MediaStream)) {
          this.video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
        }
        this.listener.sound(true);
        return;
      }
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      const earlier = this.video.srcObject;
      if (earlier instanceof MediaStream && earlier !== stream) {
        earlier.getAudioTracks().forEach((t) => stream.getTracks().includes(t) || stream.addTrack(t));
      }
      this.video.srcObject = stream;
      this.cancelFirstFrame?.();
      this.cancelFirstFrame = onFirstVideoFrame(this.video, () => {
        if (attempt === this.attempt) {
          this.dispatch({ type: 'first-frame' });
        }
      });
      void this.video.play().catch(() => undefined);
    };
    pc.onconnectionstatechange = () => {
      if (attempt === this.attempt && pc.connectionState === 'failed') {
        this.dispatch({ type: 'ice-failed', detail: 'connection failed' });
      }
    };
    pc.oniceconnectionstatechange = () => {
      if (attempt !== this.attempt) {
        return;
      }
      clearTimeout(this.disconnectedTimer);
      if (pc.iceConnectionState === 'failed') {
        this.dispatch({ type: 'ice-failed', detail: 'ICE connection failed' });
      } else if (pc.iceConnectionState === 'disconnected') {
        this.disconnectedTimer = setTimeout(() => {
          if (attempt === this.attempt && pc.iceConnectionState === 'disconnected') {
            this.dispatch({ type: 'ice-failed', detail: `ICE disconnected for ${DISCONNECTED_LIMIT_MS / 1000} s` });
          }
        }, DISCONNECTED_LIMIT_MS);
      }
    };
    try {
      const sdp = await offerWithCandidates(pc);
      if (attempt !== this.attempt) {
        return;
      }
      const answer = await api.offer(this.sessionId, sdp, abort.signal);
      if (attempt !== this.attempt) {
        return;
      }
      if (!answer || answer.type !== 'answer' || typeof answer.sdp !== 'string') {
        throw new ApiError(200, 'POST /offer answered without an SDP answer');
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      if (attempt === this.attempt) {
        this.dispatch({ type: 'answer' });
      }
    } catch (e) {
      if (attempt !== this.attempt || abort.signal.aborted) {
        return;
      }
      if (e instanceof ApiError && e.status === 409) {
        this.dispatch({ type: 'offer-not-ready', detail: `POST /offer: ${e.message}` });
      } else {
        this.dispatch({ type: 'offer-failed', detail: `POST /offer: ${describe(e)}` });
      }
    }
  }

  private closePeer(): void {
    this.attempt++;
    this.abort?.abort();
    this.abort = null;
    clearTimeout(this.disconnectedTimer);
    this.cancelFirstFrame?.();
    this.cancelFirstFrame = null;
    this.input?.close();
    this.input = null;
    this.pc?.close();
    this.pc = null;
    this.rtcSample = null;
    if (this.video.srcObject) {
      this.video.srcObject = null;
      this.listener.sound(false);
    }
  }
}

function isDataMessage(m: ServerMessage): m is DataMessage {
  return m.type === 'clipboard' || m.type === 'download' || m.type === 'filechooser' || m.type === 'blocked';
}

function describe(e: unknown): string {
  if (e instanceof ApiError) {
    const showStatus = e.status > 0 && e.status !== 200 && !e.message.startsWith(String(e.status));
    return showStatus ? `${e.status} ${e.message}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
