import { describe, expect, it } from 'vitest';
import { routeFromHash } from './route';

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
