/** The downloads tray's list: filled from GET /downloads and "download" messages, in either order. */

import type { Download } from '../remote/messages';
import { formatBytes } from './policy';

/** A finished download (completed or canceled) never goes back to in progress. */
const finished = (d: Download) => d.state !== 'in_progress';

/**
 * The list with `incoming` folded in: known ids are updated in place, new ones added; oldest first.
 * An update that would take a finished download back to "in progress" (a stale list answer arriving
 * after the message that finished it) is ignored.
 */
export function mergeDownloads(current: readonly Download[], incoming: readonly Download[]): Download[] {
  const byId = new Map(current.map((d) => [d.id, d]));
  for (const next of incoming) {
    const known = byId.get(next.id);
    if (known && finished(known) && !finished(next)) {
      continue;
    }
    byId.set(next.id, known && !next.received && known.received ? { ...next, received: known.received } : next);
  }
  return [...byId.values()].sort((a, b) => a.createdAt - b.createdAt);
}

/** What the tray says about a download's progress: "1.2 MB", "300 KB of 1.2 MB", "canceled". */
export function downloadProgress(d: Download): string {
  switch (d.state) {
    case 'completed':
      return formatBytes(d.size || d.received);
    case 'canceled':
      return 'canceled';
    case 'in_progress':
      return d.size > 0 ? `${formatBytes(d.received)} of ${formatBytes(d.size)}` : `${formatBytes(d.received)} so far`;
  }
}

/** Downloads the tray's button counts: those not canceled. */
export function countShown(downloads: readonly Download[]): number {
  return downloads.filter((d) => d.state !== 'canceled').length;
}
