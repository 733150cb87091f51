/** The viewer WebSocket's messages (README, "The viewer WebSocket"); the DataChannel carries the same input. */

import type { SessionStatus } from '../api';
import { type ControlHolder, isControlHolder } from '../lib/control';
import type { Modifiers } from '../lib/keys';

export interface FrameMessage {
  type: 'frame';
  format: 'jpeg';
  /** The JPEG as base64, in a text message. */
  data?: string;
  /** The JPEG itself, from a binary message (the viewer socket's ?frames=binary). */
  jpeg?: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
  seq: number;
  capturedAt: number;
  /** Microseconds since the epoch when the browser captured it, the runner sent it, the control plane relayed it and the edge made this message. */
  timing?: { capturedUs: number; runnerSentUs: number; relayedUs: number; edgeUs: number };
}

export interface StatusMessage {
  type: 'status';
  sessionId: string;
  status: SessionStatus;
  error: string;
  url: string;
  title: string;
}

export interface ErrorMessage {
  type: 'error';
  error: string;
}

/** The edge lost the control plane and is attaching again; the session itself goes on (a status "ready" follows). */
export interface ReconnectingMessage {
  type: 'reconnecting';
}

/** Who drives the session: sent at attach and on every change. */
export interface ControlMessage {
  type: 'control';
  holder: ControlHolder;
}

export type ServerMessage = FrameMessage | StatusMessage | ErrorMessage | ReconnectingMessage | ControlMessage;

/** Pointer messages carry the frame space they were measured in. */
interface Positioned {
  x: number;
  y: number;
  width: number;
  height: number;
  modifiers: Modifiers;
}

export type MouseButton = 0 | 1 | 2;

export type InputMessage =
  | ({ type: 'mousemove' } & Positioned)
  | ({ type: 'mousedown' | 'mouseup'; button: MouseButton; clickCount: number } & Positioned)
  | ({ type: 'scroll'; deltaX: number; deltaY: number } & Positioned)
  | { type: 'keydown' | 'keyup'; key: string; code: string; modifiers: Modifiers }
  | { type: 'type'; text: string }
  | { type: 'navigate'; url: string }
  | { type: 'back' }
  | { type: 'forward' }
  | { type: 'reload' };

/**
 * Parses one binary WebSocket message: a 4-byte big-endian length, that many bytes of a frame's
 * JSON header, then its JPEG. Null for anything else.
 */
export function parseBinaryFrame(buffer: ArrayBuffer): FrameMessage | null {
  if (buffer.byteLength < 4) {
    return null;
  }
  const headerLength = new DataView(buffer).getUint32(0);
  if (headerLength > buffer.byteLength - 4) {
    return null;
  }
  const header = parseServerMessage(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  if (!header || header.type !== 'frame') {
    return null;
  }
  return { ...header, jpeg: new Uint8Array(buffer, 4 + headerLength) };
}

/** Parses one WebSocket text message; null for anything that is not a known message. */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || !('type' in value)) {
    // The edge's own error shape has no type: {"error": "..."}.
    if (value && typeof value === 'object' && 'error' in value && typeof value.error === 'string') {
      return { type: 'error', error: value.error };
    }
    return null;
  }
  const m = value as { type: unknown; status?: unknown; holder?: unknown };
  if (m.type === 'status' && m.status === 'reconnecting') {
    return { type: 'reconnecting' };
  }
  if (m.type === 'control') {
    // An unknown holder is dropped rather than guessed at: the next control message or the session JSON says.
    return isControlHolder(m.holder) ? { type: 'control', holder: m.holder } : null;
  }
  if (m.type === 'frame' || m.type === 'status' || m.type === 'error') {
    return value as ServerMessage;
  }
  return null;
}
