import { describe, expect, it } from 'vitest';
import { withScheme } from './url';

describe('withScheme', () => {
  it('adds https to a bare host, with or without a port or path', () => {
    expect(withScheme(' example.com ')).toBe('https://example.com');
    expect(withScheme('example.com/a?b=1')).toBe('https://example.com/a?b=1');
    expect(withScheme('localhost:3000')).toBe('https://localhost:3000');
    expect(withScheme('127.0.0.1:8080/page')).toBe('https://127.0.0.1:8080/page');
  });

  it('keeps an explicit scheme, even one the server will refuse', () => {
    expect(withScheme('http://example.com')).toBe('http://example.com');
    expect(withScheme('HTTPS://Example.com')).toBe('HTTPS://Example.com');
    expect(withScheme('ftp://example.com')).toBe('ftp://example.com');
    expect(withScheme('javascript:alert(1)')).toBe('javascript:alert(1)');
  });

  it('leaves nothing as nothing', () => {
    expect(withScheme('   ')).toBe('');
  });
});
