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

/** The remote page copied text (the session's policy lets the clipboard reach the viewer). */
export interface ClipboardMessage {
  type: 'clipboard';
  text: string;
}

export type DownloadState = 'in_progress' | 'completed' | 'canceled';

/** A file the remote page downloaded (or a print made into a PDF), as GET /downloads lists it. */
export interface Download {
  id: string;
  name: string;
  /** The total in bytes; 0 while not known. */
  size: number;
  /** Bytes received so far. */
  received: number;
  mime: string;
  state: DownloadState;
  /** Milliseconds since the epoch (0 when the server did not say). */
  createdAt: number;
}

/** A download started or changed. */
export interface DownloadMessage extends Download {
  type: 'download';
}

/** The remote page's file input asks for files; answered by POST /filechooser/{id}. */
export interface FileChooserMessage {
  type: 'filechooser';
  id: string;
  multiple: boolean;
  /** The input's accept attribute, split: ".pdf", "image/*". Empty: any file. */
  accept: string[];
}

/** The session's policy refused something. */
export interface BlockedMessage {
  type: 'blocked';
  /** e.g. "download", "upload", "print", "clipboard to local", "clipboard to remote", "keyboard". */
  action: string;
  /** e.g. "policy.downloads = deny". */
  rule: string;
  message: string;
}

/** Messages about data crossing the boundary: they come on the WebSocket and the DataChannel alike. */
export type DataMessage = ClipboardMessage | DownloadMessage | FileChooserMessage | BlockedMessage;

export type ServerMessage = FrameMessage | StatusMessage | ErrorMessage | ReconnectingMessage | ControlMessage | DataMessage;

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
  | { type: 'reload' }
  | ClipboardInput
  | ResizeInput;

/** Sets the remote page's clipboard (its own paste handlers then get the text). */
export interface ClipboardInput {
  type: 'clipboard';
  text: string;
}

/** The viewer's available view: the remote page's viewport follows it. */
export interface ResizeInput {
  type: 'resize';
  /** CSS pixels, whole numbers of 1 to 10000. */
  width: number;
  height: number;
  /** The viewer's devicePixelRatio, above 0 and at most 4. */
  deviceScaleFactor: number;
  /** A phone or tablet: touch and a mobile user agent. */
  mobile: boolean;
}

export function clipboardInput(text: string): ClipboardInput {
  return { type: 'clipboard', text };
}

/** The largest screen side the server accepts in a resize. */
export const MAX_SCREEN_SIDE = 10_000;
export const MAX_DEVICE_SCALE = 4;

/** A resize the server accepts: whole sizes within 1..10000, a scale within (0, 4] (1 when unusable). */
export function resizeInput(width: number, height: number, deviceScaleFactor: number, mobile: boolean): ResizeInput {
  const side = (v: number) => (Number.isFinite(v) ? Math.min(Math.max(Math.round(v), 1), MAX_SCREEN_SIDE) : 1);
  const scale = Number.isFinite(deviceScaleFactor) && deviceScaleFactor > 0 ? Math.min(deviceScaleFactor, MAX_DEVICE_SCALE) : 1;
  return { type: 'resize', width: side(width), height: side(height), deviceScaleFactor: scale, mobile };
}

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
  return parseDataMessage(value as Record<string, unknown>);
}

/** The data-path messages, checked field by field: a bad shape is dropped, not half-used. */
function parseDataMessage(m: Record<string, unknown>): DataMessage | null {
  switch (m.type) {
    case 'clipboard':
      return typeof m.text === 'string' ? { type: 'clipboard', text: m.text } : null;
    case 'download': {
      const download = parseDownload(m);
      return download ? { type: 'download', ...download } : null;
    }
    case 'filechooser': {
      if (typeof m.id !== 'string' || !m.id || (m.multiple !== undefined && typeof m.multiple !== 'boolean')) {
        return null;
      }
      if (m.accept !== undefined && !(Array.isArray(m.accept) && m.accept.every((a) => typeof a === 'string'))) {
        return null;
      }
      const accept = ((m.accept as string[] | undefined) ?? []).map((a) => a.trim()).filter(Boolean);
      return { type: 'filechooser', id: m.id, multiple: m.multiple === true, accept };
    }
    case 'blocked':
      if (typeof m.action !== 'string' || typeof m.rule !== 'string' || (m.message !== undefined && typeof m.message !== 'string')) {
        return null;
      }
      return { type: 'blocked', action: m.action, rule: m.rule, message: (m.message as string | undefined) ?? '' };
    default:
      return null;
  }
}

const DOWNLOAD_STATES: readonly string[] = ['in_progress', 'completed', 'canceled'];

/** One download, from a "download" message or GET /downloads; null for a bad shape. */
export function parseDownload(value: unknown): Download | null {
  if (!value || typeof value !== 'object') {
    return null;
  }
  const d = value as Record<string, unknown>;
  if (typeof d.id !== 'string' || !d.id || typeof d.name !== 'string' || typeof d.state !== 'string' || !DOWNLOAD_STATES.includes(d.state)) {
    return null;
  }
  const size = byteCount(d.size);
  const received = byteCount(d.received);
  if (size === null || received === null || (d.mime !== undefined && typeof d.mime !== 'string')) {
    return null;
  }
  const state = d.state as DownloadState;
  return {
    id: d.id,
    name: d.name,
    size,
    // The list has no "received": a finished file has all of it.
    received: d.received === undefined && state === 'completed' ? size : received,
    mime: (d.mime as string | undefined) ?? '',
    state,
    createdAt: timeMs(d.createdAt),
  };
}

/** A byte count: absent is 0; 64-bit numbers may come as strings of digits. Null when not a count. */
function byteCount(v: unknown): number | null {
  if (v === undefined) {
    return 0;
  }
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
}

/** A time as epoch milliseconds, from milliseconds (number or digits) or an ISO string; 0 when unreadable. */
function timeMs(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return v;
  }
  if (typeof v === 'string') {
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}
