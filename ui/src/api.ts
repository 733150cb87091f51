/**
 * The edge's REST API (see the README), typed. Every failure is an ApiError with the server's
 * words. Every call carries a bearer token: a session's own for its routes when the UI has it,
 * else the user's; a 401 also tells the app to ask for a token.
 */
import { apiToken, bearerFor, notifyUnauthorized } from './auth';
import type { ControlHolder } from './lib/control';
import { type Download, parseDownload } from './remote/messages';

export type SessionStatus = 'pending' | 'ready' | 'terminated' | 'error';

export interface SessionMetrics {
  uptimeSec: number;
  cpuPercent: number;
  memMB: number;
  fps: number;
  framesSent: number;
  framesDropped: number;
  bytesSent: number;
  transport: string;
  inputToFrameMs: number | null;
}

export interface Session {
  sessionId: string;
  status: SessionStatus;
  createdAt: string;
  url: string;
  error: string;
  currentUrl: string;
  title: string;
  viewers: number;
  endedAt?: string;
  /** Who created the session. */
  owner?: string;
  /** Who drives (absent from servers that predate control handover). */
  controller?: ControlHolder;
  /** Automation (DevTools) clients connected. */
  cdpClients?: number;
  metrics: SessionMetrics;
  /** What may cross the isolation boundary (absent from servers that predate it); read with lib/policy's parsePolicy. */
  policy?: unknown;
}

export interface CreatedSession {
  sessionId: string;
  status: SessionStatus;
  createdAt: string;
  /** The session's own token: it opens this session, and only it, to whoever has it. */
  sessionToken?: string;
}

export interface IceConfig {
  iceServers: RTCIceServer[];
  webrtcTimeoutSec: number;
}

export type FallbackReason = 'timeout' | 'ice-failed' | 'offer-failed';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** status 0 means the request never got an answer. */
async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  token: string | null = apiToken(),
): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = {};
  // A form goes as it is: the browser writes its multipart content type, boundary included.
  const isForm = typeof FormData !== 'undefined' && body instanceof FormData;
  if (body !== undefined && !isForm) {
    headers['content-type'] = 'application/json';
  }
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : isForm ? (body as FormData) : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (signal?.aborted) {
      throw e;
    }
    throw new ApiError(0, 'the server did not answer (network error)');
  }
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (res.status === 401) {
    notifyUnauthorized();
  }
  if (!res.ok) {
    const message =
      json && typeof json === 'object' && 'error' in json && typeof json.error === 'string'
        ? json.error
        : `${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, message);
  }
  return json as T;
}

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

export const api = {
  createSession: (url: string) => call<CreatedSession>('POST', '/api/sessions', { url }),
  getSession: (id: string) => call<Session>('GET', sessionPath(id), undefined, undefined, bearerFor(id)),
  listSessions: () => call<{ sessions: Session[] }>('GET', '/api/sessions').then((r) => r.sessions),
  deleteSession: (id: string) => call<void>('DELETE', sessionPath(id), undefined, undefined, bearerFor(id)),
  iceConfig: (id: string, signal?: AbortSignal) =>
    call<IceConfig>('GET', `${sessionPath(id)}/ice`, undefined, signal, bearerFor(id)),
  offer: (id: string, sdp: string, signal?: AbortSignal) =>
    call<{ type: 'answer'; sdp: string }>('POST', `${sessionPath(id)}/offer`, { type: 'offer', sdp }, signal, bearerFor(id)),
  /** Hands the session to `holder`; answers the session as it is now. */
  setControl: (id: string, holder: ControlHolder) =>
    call<Session>('POST', `${sessionPath(id)}/control`, { holder }, undefined, bearerFor(id)),
  /** The session's downloads (and prints made into PDFs), oldest first; malformed entries are left out. */
  listDownloads: (id: string) =>
    call<{ downloads?: unknown }>('GET', `${sessionPath(id)}/downloads`, undefined, undefined, bearerFor(id)).then((r) =>
      (Array.isArray(r?.downloads) ? r.downloads : []).map(parseDownload).filter((d): d is Download => d !== null),
    ),
  /** Answers a page's file chooser with files (multipart, one part "files" each); the count the page got. */
  uploadFiles: (id: string, chooserId: string, files: readonly File[]) => {
    const form = new FormData();
    for (const file of files) {
      form.append('files', file, file.name);
    }
    return call<{ files: number }>('POST', `${sessionPath(id)}/filechooser/${encodeURIComponent(chooserId)}`, form, undefined, bearerFor(id));
  },
  /** Tells the server the client fell back; its answer does not matter. */
  reportFallback: (id: string, reason: FallbackReason) =>
    call<void>('POST', `${sessionPath(id)}/fallback`, { reason }, undefined, bearerFor(id)).catch(() => undefined),
};

/** The viewer WebSocket's address: browsers cannot send headers there, so the token rides as ?token=. */
export function viewerSocketUrl(id: string, loc: { protocol: string; host: string } = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = bearerFor(id);
  return `${scheme}//${loc.host}/ws/sessions/${encodeURIComponent(id)}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/**
 * A download's address, for a plain link: a link cannot send headers, so the token rides as ?token=
 * (the session's own when the UI has it, else the user's, as for every session route).
 */
export function downloadUrl(sessionId: string, downloadId: string, token: string | null = bearerFor(sessionId)): string {
  const path = `${sessionPath(sessionId)}/downloads/${encodeURIComponent(downloadId)}`;
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

/** A failed session start, in words for the start screen. */
export function describeStartError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return 'Could not start the session: something unexpected went wrong.';
  }
  switch (error.status) {
    case 0:
      return 'Cannot reach the server. Check your connection and try again.';
    case 400:
      return `That address cannot be opened: ${error.message}.`;
    case 401:
      return 'Sign in first: the server needs your access token.';
    case 429:
      return `You are starting sessions too quickly: ${error.message}.`;
    case 503:
      return error.message.startsWith('max')
        ? 'All session slots are in use (limit reached). End a session below or try again later.'
        : `The service is unavailable right now (${error.message}). Try again in a moment.`;
    default:
      return `Could not start the session: ${error.message} (HTTP ${error.status}).`;
  }
}
