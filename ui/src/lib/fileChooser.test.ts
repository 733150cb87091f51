import { describe, expect, it } from 'vitest';
import {
  acceptsFile,
  canOpenPickerNow,
  describeUploadError,
  DROP_WINDOW_MS,
  DropWaiter,
  fileOverLimit,
  filesForChooser,
} from './fileChooser';

const file = (name: string, type = '', size = 10) => ({ name, type, size });

describe('acceptsFile', () => {
  it('takes any file when the field names no kinds', () => {
    expect(acceptsFile([], file('a.exe'))).toBe(true);
  });

  it('matches extensions, MIME types and wildcards, case-insensitively', () => {
    expect(acceptsFile(['.pdf'], file('Report.PDF'))).toBe(true);
    expect(acceptsFile(['.pdf'], file('report.pdf.txt'))).toBe(false);
    expect(acceptsFile(['image/*'], file('x.png', 'image/png'))).toBe(true);
    expect(acceptsFile(['image/*'], file('x.txt', 'text/plain'))).toBe(false);
    expect(acceptsFile(['text/plain'], file('x', 'Text/Plain'))).toBe(true);
    expect(acceptsFile(['.pdf', 'image/*'], file('p.jpg', 'image/jpeg'))).toBe(true);
    expect(acceptsFile([' '], file('p.jpg'))).toBe(false);
  });
});

describe('filesForChooser', () => {
  const files = [file('a.txt', 'text/plain'), file('b.pdf', 'application/pdf'), file('c.pdf', 'application/pdf')];

  it('gives only fitting files, the first unless the field takes several', () => {
    expect(filesForChooser({ multiple: true, accept: ['.pdf'] }, files).map((f) => f.name)).toEqual(['b.pdf', 'c.pdf']);
    expect(filesForChooser({ multiple: false, accept: ['.pdf'] }, files).map((f) => f.name)).toEqual(['b.pdf']);
    expect(filesForChooser({ multiple: false, accept: [] }, files).map((f) => f.name)).toEqual(['a.txt']);
    expect(filesForChooser({ multiple: true, accept: ['image/*'] }, files)).toEqual([]);
  });

  it('finds a file over the transfer limit', () => {
    expect(fileOverLimit([file('a', '', 5), file('b', '', 50)], 10)?.name).toBe('b');
    expect(fileOverLimit([file('a', '', 5)], 10)).toBeNull();
    expect(fileOverLimit([file('a', '', 5e9)], 0)).toBeNull();
  });
});

describe('DropWaiter', () => {
  it('gives dropped files to a chooser that opens within the window, once', () => {
    const w = new DropWaiter<string>();
    w.drop(['f'], 1000);
    expect(w.takeForChooser(1000 + DROP_WINDOW_MS - 1)).toEqual(['f']);
    expect(w.takeForChooser(1000 + DROP_WINDOW_MS - 1)).toBeNull();
  });

  it('does not give them to a chooser that opens too late', () => {
    const w = new DropWaiter<string>();
    w.drop(['f'], 0);
    expect(w.takeForChooser(DROP_WINDOW_MS + 1)).toBeNull();
  });

  it('has nothing for a chooser that opens without a drop', () => {
    expect(new DropWaiter<string>().takeForChooser(0)).toBeNull();
  });

  it('a newer drop replaces an older one', () => {
    const w = new DropWaiter<string>();
    w.drop(['old'], 0);
    w.drop(['new'], 500);
    expect(w.takeForChooser(600)).toEqual(['new']);
  });

  it('says once that a drop found no chooser', () => {
    const w = new DropWaiter<string>();
    w.drop(['f'], 0);
    expect(w.expired(DROP_WINDOW_MS - 1)).toBe(false);
    expect(w.expired(DROP_WINDOW_MS + 1)).toBe(true);
    expect(w.expired(DROP_WINDOW_MS + 2)).toBe(false);
    w.drop(['g'], 0);
    w.takeForChooser(10);
    expect(w.expired(DROP_WINDOW_MS + 1)).toBe(false);
  });

  it('ignores an empty drop', () => {
    const w = new DropWaiter<string>();
    w.drop([], 0);
    expect(w.takeForChooser(1)).toBeNull();
  });
});

describe('the picker and upload errors', () => {
  it('opens the picker only during a user gesture, or tries where that cannot be known', () => {
    expect(canOpenPickerNow({ isActive: true })).toBe(true);
    expect(canOpenPickerNow({ isActive: false })).toBe(false);
    expect(canOpenPickerNow(undefined)).toBe(true);
  });

  it('explains a refused upload', () => {
    expect(describeUploadError(413, 'upload over policy.maxTransferBytes = 1048576')).toBe(
      'The files are too large for this session (upload over policy.maxTransferBytes = 1048576).',
    );
    expect(describeUploadError(413, '413 Payload Too Large')).toBe('The files are too large for this session.');
    expect(describeUploadError(400, 'uploads are denied by policy.uploads = deny')).toBe(
      'Could not upload the files: uploads are denied by policy.uploads = deny.',
    );
    expect(describeUploadError(0, 'x')).toMatch(/did not answer/);
  });
});
