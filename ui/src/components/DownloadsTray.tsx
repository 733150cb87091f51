import { downloadUrl } from '../api';
import { countShown, downloadProgress } from '../lib/downloads';
import type { Download } from '../remote/messages';
import { DownloadIcon } from './icons';
import { Popover } from './Popover';

/** The session's downloads (and prints made into PDFs): a button with a count, and a panel with a link per finished file. */
export function DownloadsTray({ sessionId, downloads }: { sessionId: string; downloads: readonly Download[] }) {
  const count = countShown(downloads);
  return (
    <Popover
      label={count === 0 ? 'Downloads' : `Downloads (${count})`}
      buttonTestId="downloads-button"
      panelTestId="downloads-tray"
      className="downloads"
      button={
        <>
          <DownloadIcon />
          {count > 0 && (
            <span className="count" data-testid="downloads-count">
              {count}
            </span>
          )}
        </>
      }
    >
      <h2 className="popover-title">Downloads</h2>
      {downloads.length === 0 ? (
        <p className="muted note">Files the remote page downloads, and pages it prints, appear here.</p>
      ) : (
        <ul className="download-list">
          {downloads.map((d) => (
            <li key={d.id} className={`download download-${d.state}`} data-state={d.state}>
              <span className="download-name" title={d.name}>
                {d.name || 'unnamed file'}
              </span>
              <span className="download-progress muted">{downloadProgress(d)}</span>
              {d.state === 'completed' && (
                <a className="button small" href={downloadUrl(sessionId, d.id)} download={d.name || true} data-testid="download-link">
                  Save
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </Popover>
  );
}
