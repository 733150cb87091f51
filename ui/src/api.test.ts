import { describe, expect, it } from 'vitest';
import { ApiError, describeStartError } from './api';

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

  it('covers network errors and the unexpected', () => {
    expect(describeStartError(new ApiError(0, 'x'))).toMatch(/Cannot reach the server/);
    expect(describeStartError(new ApiError(500, 'internal error'))).toBe(
      'Could not start the session: internal error (HTTP 500).',
    );
    expect(describeStartError(new TypeError('boom'))).toMatch(/unexpected/);
  });
});
