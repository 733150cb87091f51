import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, describeStartError, downloadUrl, viewerSocketUrl } from './api';
import { onUnauthorized, rememberSessionToken, setApiToken } from './auth';
import { memoryStorage } from './testing/memoryStorage';

describe('describeStartError', () => {
  it('explains a refused address with the server reason', () => {
    expect(describeStartError(new ApiError(400, 'url must be an http or https URL with a host'))).toBe(
      'That address cannot be opened: url must be an http or https URL with a host.',
    );
  });

  it('tells a full house from an outage', () => {
    expect(describeStartError(new ApiError(503, 'max concurrent sessions reached'))).toMatch(/limit reached/);
    expect(describeStartError(new ApiError(503, 'control plane unreachable'))).toMatch(
      /unavailable right now \(control plane unreachable\)/,
    );
  });

  it('explains missing credentials and rate limits', () => {
    expect(describeStartError(new ApiError(401, 'authentication required'))).toMatch(/Sign in/);
    expect(describeStartError(new ApiError(429, 'too many requests: at most 30 create calls a minute'))).toMatch(
      /too quickly: too many requests/,
    );
  });

  it('covers network errors and the unexpected', () => {
    expect(describeStartError(new ApiError(0, 'x'))).toMatch(/Cannot reach the server/);
    expect(describeStartError(new ApiError(500, 'internal error'))).toBe(
      'Could not start the session: internal error (HTTP 500).',
    );
    expect(describeStartError(new TypeError('boom'))).toMatch(/unexpected/);
  });
});

describe('credentials on every call', () => {
  let fetchMock: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    vi.stubGlobal('localStorage', memoryStorage());
    fetchMock = vi.fn(async () => new Response(JSON.stringify({ sessions: [] }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const sent = (i = 0) => {
    const [path, init] = fetchMock.mock.calls[i] as [string, RequestInit];
    return { path, headers: (init.headers ?? {}) as Record<string, string>, method: init.method };
  };

  it('sends the API token as a bearer', async () => {
    setApiToken('user-token');
    await api.listSessions();
    await api.createSession('https://example.com');
    expect(sent(0).headers.authorization).toBe('Bearer user-token');
    expect(sent(1).headers).toEqual({ authorization: 'Bearer user-token', 'content-type': 'application/json' });
  });

  it("sends a session's own token on that session's routes", async () => {
    setApiToken('user-token');
    rememberSessionToken('s1', 'session-token');
    await api.getSession('s1');
    await api.iceConfig('s1');
    await api.offer('s1', 'v=0');
    await api.reportFallback('s1', 'timeout');
    await api.deleteSession('s1');
    await api.setControl('s1', 'human');
    await api.getSession('s2');
    for (let i = 0; i < 6; i++) {
      expect(sent(i).headers.authorization).toBe('Bearer session-token');
    }
    expect(sent(6).headers.authorization).toBe('Bearer user-token');
  });

  it('hands control over with the holder in the body, and reports a refusal in the server\'s words', async () => {
    rememberSessionToken('s1', 'session-token');
    await api.setControl('s1', 'agent');
    const [path, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/sessions/s1/control');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ holder: 'agent' });
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: 'holder must be agent, human or shared' }), { status: 400 }));
    await expect(api.setControl('s1', 'human')).rejects.toMatchObject({ status: 400, message: 'holder must be agent, human or shared' });
  });

  it('sends no credential when it has none', async () => {
    await api.listSessions();
    expect(sent().headers.authorization).toBeUndefined();
  });

  it('asks for a token on 401', async () => {
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: 'authentication required' }), { status: 401 }));
    const asked = vi.fn();
    const stop = onUnauthorized(asked);
    await expect(api.listSessions()).rejects.toMatchObject({ status: 401, message: 'authentication required' });
    expect(asked).toHaveBeenCalledOnce();
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: 'session not found' }), { status: 404 }));
    await expect(api.getSession('x')).rejects.toMatchObject({ status: 404 });
    expect(asked).toHaveBeenCalledOnce();
    stop();
  });

  it('puts the token in the WebSocket address, which cannot carry headers', () => {
    setApiToken('user token');
    rememberSessionToken('s1', 'st1');
    expect(viewerSocketUrl('s1', { protocol: 'https:', host: 'mbi.example.com' })).toBe('wss://mbi.example.com/ws/sessions/s1?token=st1');
    expect(viewerSocketUrl('s2', { protocol: 'http:', host: 'localhost:8090' })).toBe(
      'ws://localhost:8090/ws/sessions/s2?token=user%20token',
    );
    localStorage.clear();
    expect(viewerSocketUrl('s3', { protocol: 'http:', host: 'h' })).toBe('ws://h/ws/sessions/s3');
  });

  it('links a download with the token a link can carry', () => {
    setApiToken('user token');
    rememberSessionToken('s1', 'st/1');
    expect(downloadUrl('s1', 'd 1')).toBe('/api/sessions/s1/downloads/d%201?token=st%2F1');
    expect(downloadUrl('s2', 'd1')).toBe('/api/sessions/s2/downloads/d1?token=user%20token');
    localStorage.clear();
    expect(downloadUrl('s3', 'd1')).toBe('/api/sessions/s3/downloads/d1');
    expect(downloadUrl('s3', 'd1', 'given')).toBe('/api/sessions/s3/downloads/d1?token=given');
  });

  it('lists downloads with the session token, leaving out malformed entries', async () => {
    rememberSessionToken('s1', 'session-token');
    fetchMock.mockResolvedValueOnce(
      new Response(
        JSON.stringify({
          downloads: [
            { id: 'd1', name: 'a.pdf', size: 3, mime: 'application/pdf', state: 'completed', createdAt: 5 },
            { id: 'd2', name: 'b', state: 'exploded' },
          ],
        }),
        { status: 200 },
      ),
    );
    const listed = await api.listDownloads('s1');
    expect(sent().path).toBe('/api/sessions/s1/downloads');
    expect(sent().headers.authorization).toBe('Bearer session-token');
    expect(listed).toEqual([{ id: 'd1', name: 'a.pdf', size: 3, received: 3, mime: 'application/pdf', state: 'completed', createdAt: 5 }]);
    fetchMock.mockResolvedValueOnce(new Response('{}', { status: 200 }));
    expect(await api.listDownloads('s1')).toEqual([]);
  });

  it('uploads chosen files as multipart parts named "files"', async () => {
    rememberSessionToken('s1', 'session-token');
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ files: 2 }), { status: 200 }));
    const files = [new File(['one'], 'one.txt', { type: 'text/plain' }), new File(['two'], 'two.pdf')];
    expect(await api.uploadFiles('s1', 'c/1', files)).toEqual({ files: 2 });
    const [path, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/sessions/s1/filechooser/c%2F1');
    expect(init.method).toBe('POST');
    // The browser writes the multipart content type with its boundary.
    expect(init.headers).toEqual({ authorization: 'Bearer session-token' });
    const form = init.body as FormData;
    expect(form.getAll('files').map((f) => (f as File).name)).toEqual(['one.txt', 'two.pdf']);
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: 'over policy.maxTransferBytes' }), { status: 413 }));
    await expect(api.uploadFiles('s1', 'c1', files)).rejects.toMatchObject({ status: 413, message: 'over policy.maxTransferBytes' });
  });
});
