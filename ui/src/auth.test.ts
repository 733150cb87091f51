import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  apiToken,
  bearerFor,
  holdSessionTokenForPage,
  rememberSessionToken,
  sessionHash,
  sessionToken,
  setApiToken,
  splitTokenFromSearch,
  takeTokenFromAddress,
} from './auth';
import { memoryStorage } from './testing/memoryStorage';

beforeEach(() => {
  vi.stubGlobal('localStorage', memoryStorage());
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the API token', () => {
  it('is kept in localStorage', () => {
    expect(apiToken()).toBeNull();
    setApiToken('  abc  ');
    expect(apiToken()).toBe('abc');
    expect(localStorage.getItem('mbi.apiToken')).toBe('abc');
  });

  it('comes from a login link and leaves the address bar', () => {
    const replaceState = vi.fn();
    vi.stubGlobal('location', { pathname: '/', search: '?token=s3cret&lang=en', hash: '#/sessions/x' });
    vi.stubGlobal('history', { state: null, replaceState });
    takeTokenFromAddress();
    expect(apiToken()).toBe('s3cret');
    expect(replaceState).toHaveBeenCalledWith(null, '', '/?lang=en#/sessions/x');
  });

  it('is not touched by an address without one', () => {
    const replaceState = vi.fn();
    vi.stubGlobal('location', { pathname: '/', search: '', hash: '' });
    vi.stubGlobal('history', { state: null, replaceState });
    setApiToken('kept');
    takeTokenFromAddress();
    expect(apiToken()).toBe('kept');
    expect(replaceState).not.toHaveBeenCalled();
  });

  it('is split from the rest of the query', () => {
    expect(splitTokenFromSearch('?token=a%2Bb')).toEqual({ token: 'a+b', search: '' });
    expect(splitTokenFromSearch('?x=1&token=t')).toEqual({ token: 't', search: '?x=1' });
    expect(splitTokenFromSearch('?token=')).toEqual({ token: null, search: '' });
    expect(splitTokenFromSearch('?x=1')).toEqual({ token: null, search: '?x=1' });
  });
});

describe('session tokens', () => {
  it('are preferred for their own session, the API token for the others', () => {
    setApiToken('user');
    rememberSessionToken('s1', 'st1');
    expect(bearerFor('s1')).toBe('st1');
    expect(bearerFor('s2')).toBe('user');
    expect(sessionToken('s2')).toBeNull();
  });

  it('go into the session link', () => {
    expect(sessionHash('a b', 'x/y')).toBe('#/sessions/a%20b?st=x%2Fy');
    expect(sessionHash('s1', null)).toBe('#/sessions/s1');
  });

  it('keep only the newest fifty', () => {
    for (let i = 0; i < 60; i++) {
      rememberSessionToken(`s${i}`, `t${i}`);
    }
    expect(sessionToken('s0')).toBeNull();
    expect(sessionToken('s9')).toBeNull();
    expect(sessionToken('s10')).toBe('t10');
    expect(sessionToken('s59')).toBe('t59');
  });

  it("a live view's token is used first and never stored", () => {
    setApiToken('user');
    rememberSessionToken('live-1', 'stored');
    holdSessionTokenForPage('live-1', 'from-address');
    expect(bearerFor('live-1')).toBe('from-address');
    expect(localStorage.getItem('mbi.sessionTokens')).not.toContain('from-address');
    expect(bearerFor('live-2')).toBe('user');
  });

  it('survive garbage in storage', () => {
    localStorage.setItem('mbi.sessionTokens', 'not json');
    expect(sessionToken('s1')).toBeNull();
    rememberSessionToken('s1', 't1');
    expect(sessionToken('s1')).toBe('t1');
  });
});
