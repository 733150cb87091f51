import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import type { ControlHolder } from '../lib/control';
import type { Size } from '../lib/coordinates';
import { initialState, type TransportState } from '../lib/transport';
import { FrameCanvas } from './FrameCanvas';
import type { DataMessage, InputMessage, StatusMessage } from './messages';
import { RemoteConnection, type SocketState } from './RemoteConnection';

export interface RemoteSession {
  status: StatusMessage | null;
  transport: TransportState;
  socket: SocketState;
  /** The last thing the server refused, in its words, with a counter so repeats show again. */
  notice: { text: string; n: number } | null;
  /** Who drives, from the socket's last control message; null until one came. */
  controller: ControlHolder | null;
  /** Whether a picture has been shown yet (a WebSocket frame drawn or WebRTC live). */
  hasPicture: boolean;
  /** Whether the page's sound arrives (over WebRTC, where the session sends sound). */
  soundAvailable: boolean;
  send(message: InputMessage): boolean;
  /** The pixel space of the last WebSocket frame drawn. */
  socketFrameSize: RefObject<Size | null>;
  connection: RefObject<RemoteConnection | null>;
  /** Calls `listener` with every data message (clipboard, download, file chooser, blocked) until the returned function is called. */
  onData(listener: (message: DataMessage) => void): () => void;
}

/** Connects a session view to its session for as long as it is shown. */
export function useRemoteSession(
  sessionId: string,
  video: RefObject<HTMLVideoElement | null>,
  canvas: RefObject<HTMLCanvasElement | null>,
): RemoteSession {
  const [status, setStatus] = useState<StatusMessage | null>(null);
  const [transport, setTransport] = useState<TransportState>(initialState);
  const [socket, setSocket] = useState<SocketState>('connecting');
  const [notice, setNotice] = useState<{ text: string; n: number } | null>(null);
  const [framesDrawn, setFramesDrawn] = useState(false);
  const [controller, setController] = useState<ControlHolder | null>(null);
  const [soundAvailable, setSoundAvailable] = useState(false);
  const socketFrameSize = useRef<Size | null>(null);
  const connection = useRef<RemoteConnection | null>(null);
  // Events, not state: each message is acted on once, by whoever listens.
  const dataListeners = useRef(new Set<(message: DataMessage) => void>());

  useEffect(() => {
    if (!video.current || !canvas.current) {
      return;
    }
    const drawer = new FrameCanvas(canvas.current, (frame) => {
      socketFrameSize.current = { width: frame.width, height: frame.height };
      setFramesDrawn(true);
    });
    const c = new RemoteConnection(sessionId, video.current, {
      status: setStatus,
      frame: (f) => drawer.show(f),
      transport: setTransport,
      socket: setSocket,
      serverError: (text) => setNotice((n) => ({ text, n: (n?.n ?? 0) + 1 })),
      control: setController,
      data: (m) => dataListeners.current.forEach((l) => l(m)),
      sound: setSoundAvailable,
    });
    connection.current = c;
    c.start();
    return () => {
      c.close();
      drawer.dispose();
      connection.current = null;
    };
  }, [sessionId, video, canvas]);

  const send = useCallback((m: InputMessage) => connection.current?.send(m) ?? false, []);
  const onData = useCallback((listener: (message: DataMessage) => void) => {
    const listeners = dataListeners.current;
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);

  return {
    status,
    transport,
    socket,
    notice,
    controller,
    hasPicture: framesDrawn || transport.phase === 'webrtc',
    soundAvailable: soundAvailable && transport.phase === 'webrtc',
    send,
    socketFrameSize,
    connection,
    onData,
  };
}
