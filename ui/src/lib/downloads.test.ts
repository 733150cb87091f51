import { describe, expect, it } from 'vitest';
import type { Download } from '../remote/messages';
import { countShown, downloadProgress, mergeDownloads } from './downloads';

const download = (over: Partial<Download>): Download => ({
  id: 'd1',
  name: 'file.pdf',
  size: 2048,
  received: 0,
  mime: 'application/pdf',
  state: 'in_progress',
  createdAt: 100,
  ...over,
});

describe('mergeDownloads', () => {
  it('adds new downloads and updates known ones in place, oldest first', () => {
    let list = mergeDownloads([], [download({ id: 'b', createdAt: 200 })]);
    list = mergeDownloads(list, [download({ id: 'a', createdAt: 100 })]);
    list = mergeDownloads(list, [download({ id: 'b', createdAt: 200, state: 'completed', received: 2048 })]);
    expect(list.map((d) => `${d.id}:${d.state}`)).toEqual(['a:in_progress', 'b:completed']);
  });

  it('keeps a finished download finished when a stale list answer comes after its message', () => {
    const done = mergeDownloads([], [download({ state: 'completed', received: 2048 })]);
    const afterStaleList = mergeDownloads(done, [download({ state: 'in_progress', received: 10 })]);
    expect(afterStaleList[0]).toMatchObject({ state: 'completed', received: 2048 });
    // A cancel after completion is still news (a limit ended it, the file is gone).
    expect(mergeDownloads(done, [download({ state: 'canceled' })])[0].state).toBe('canceled');
  });

  it('keeps the progress it knew when an update does not say', () => {
    const going = mergeDownloads([], [download({ received: 512 })]);
    expect(mergeDownloads(going, [download({ received: 0 })])[0].received).toBe(512);
  });

  it('does not change the list it was given', () => {
    const current = [download({})];
    mergeDownloads(current, [download({ state: 'completed' })]);
    expect(current[0].state).toBe('in_progress');
  });
});

describe('downloadProgress', () => {
  it('says how far a download is', () => {
    expect(downloadProgress(download({ state: 'completed', received: 2048 }))).toBe('2 KB');
    expect(downloadProgress(download({ received: 1024 }))).toBe('1 KB of 2 KB');
    expect(downloadProgress(download({ size: 0, received: 300 }))).toBe('300 B so far');
    expect(downloadProgress(download({ state: 'canceled' }))).toBe('canceled');
  });

  it('counts what the tray shows', () => {
    expect(countShown([download({ id: 'a' }), download({ id: 'b', state: 'canceled' }), download({ id: 'c', state: 'completed' })])).toBe(2);
  });
});
