import { describe, expect, it } from 'vitest';
import { liveViewFromLocation, routeFromHash } from './route';

describe('routeFromHash', () => {
  it('reads a session and its token', () => {
    expect(routeFromHash('#/sessions/abc')).toEqual({ screen: 'session', sessionId: 'abc', sessionToken: null });
    expect(routeFromHash('#/sessions/abc?st=t0k%2Ben')).toEqual({ screen: 'session', sessionId: 'abc', sessionToken: 't0k+en' });
    expect(routeFromHash('#/sessions/a%20b?x=1')).toEqual({ screen: 'session', sessionId: 'a b', sessionToken: null });
  });

  it('shows the start screen for anything else', () => {
    for (const hash of ['', '#', '#/', '#/sessions/', '#/sessions/a/b', '#/other', '#/sessions/%E0%A4%A']) {
      expect(routeFromHash(hash)).toEqual({ screen: 'start' });
    }
  });
});

describe('liveViewFromLocation', () => {
  const id = '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b';
  const path = `/api/sessions/${id}/live`;

  it('reads the session, its token and the mode', () => {
    expect(liveViewFromLocation(path, '?token=abc')).toEqual({ sessionId: id, sessionToken: 'abc', readOnly: false });
    expect(liveViewFromLocation(path, '?token=a%2Bb&mode=view')).toEqual({ sessionId: id, sessionToken: 'a+b', readOnly: true });
    expect(liveViewFromLocation(path, '?mode=view&token=abc')).toEqual({ sessionId: id, sessionToken: 'abc', readOnly: true });
    expect(liveViewFromLocation(`/api/sessions/${id.toUpperCase()}/live`, '')?.sessionId).toBe(id.toUpperCase());
  });

  it('has no token when the query has none', () => {
    expect(liveViewFromLocation(path, '')).toEqual({ sessionId: id, sessionToken: null, readOnly: false });
    expect(liveViewFromLocation(path, '?token=')).toEqual({ sessionId: id, sessionToken: null, readOnly: false });
  });

  it('is read-only for any mode it does not know', () => {
    expect(liveViewFromLocation(path, '?token=t&mode=edit')?.readOnly).toBe(true);
    expect(liveViewFromLocation(path, '?token=t&mode=')?.readOnly).toBe(true);
  });

  it('is not a live view for any other path', () => {
    for (const p of [
      '/',
      '/index.html',
      `/api/sessions/${id}`,
      `/api/sessions/${id}/live/`,
      `/api/sessions/${id}/live/x`,
      `/api/sessions/${id}/ice`,
      '/api/sessions/abc/live',
      '/api/sessions/../live',
      `/api/sessions/${id}x/live`,
      `/api/sessions/${id.replace(/-/g, '')}/live`,
      `/api/sessions/${id.replace('3f', 'zz')}/live`,
      `/x/api/sessions/${id}/live`,
      `/api/sessions/${encodeURIComponent(id)}%2F/live`,
    ]) {
      expect(liveViewFromLocation(p, '?token=t')).toBeNull();
    }
  });
});
