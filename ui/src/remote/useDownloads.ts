import { useEffect, useRef, useState } from 'react';
import { api } from '../api';
import { mergeDownloads } from '../lib/downloads';
import type { DataMessage, Download } from './messages';

/**
 * The session's downloads: listed when the socket opens (again after a reconnect, for any missed
 * while away) and kept up to date from "download" messages. `onChange` hears of each message's download.
 */
export function useDownloads(
  sessionId: string,
  onData: (listener: (message: DataMessage) => void) => () => void,
  socketOpen: boolean,
  onChange?: (download: Download, before: Download | undefined) => void,
): Download[] {
  const [downloads, setDownloads] = useState<Download[]>([]);
  // The list as last rendered, to tell a message's news (started, finished) from a repeat.
  const known = useRef<Download[]>([]);
  useEffect(() => {
    known.current = downloads;
  }, [downloads]);

  useEffect(
    () =>
      onData((m) => {
        if (m.type !== 'download') {
          return;
        }
        const { type: _type, ...download } = m;
        const before = known.current.find((d) => d.id === download.id);
        known.current = mergeDownloads(known.current, [download]);
        onChange?.(download, before);
        setDownloads((current) => mergeDownloads(current, [download]));
      }),
    [onData, onChange],
  );

  useEffect(() => {
    if (!socketOpen) {
      return;
    }
    let stopped = false;
    api.listDownloads(sessionId).then(
      (listed) => {
        if (!stopped) {
          setDownloads((current) => mergeDownloads(current, listed));
        }
      },
      () => undefined, // an older server has no such route; messages still fill the tray
    );
    return () => {
      stopped = true;
    };
  }, [sessionId, socketOpen]);

  return downloads;
}
