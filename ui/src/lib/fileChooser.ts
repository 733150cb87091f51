/**
 * Answering a remote page's file chooser from the viewer: which local files fit it, whether the
 * local picker can open now, and files dropped onto the view waiting for the chooser the drop opens.
 */

/** A file as far as matching goes (a File is one). */
export interface FileLike {
  name: string;
  type: string;
  size: number;
}

/**
 * Whether a file fits an accept list (".pdf", "image/*", "text/plain"); an empty list takes any
 * file. Matching is by extension or MIME type, case-insensitive, as a browser's picker does it.
 */
export function acceptsFile(accept: readonly string[], file: { name: string; type: string }): boolean {
  if (accept.length === 0) {
    return true;
  }
  const name = file.name.toLowerCase();
  const type = file.type.toLowerCase();
  return accept.some((raw) => {
    const a = raw.trim().toLowerCase();
    if (!a) {
      return false;
    }
    if (a.startsWith('.')) {
      return name.endsWith(a);
    }
    if (a.endsWith('/*')) {
      return type.startsWith(a.slice(0, -1));
    }
    return type === a;
  });
}

/** The files to give a chooser: those it accepts, and only the first unless it takes several. */
export function filesForChooser<F extends { name: string; type: string }>(
  chooser: { multiple: boolean; accept: readonly string[] },
  files: readonly F[],
): F[] {
  const fitting = files.filter((f) => acceptsFile(chooser.accept, f));
  return chooser.multiple ? fitting : fitting.slice(0, 1);
}

/** The first file over the session's transfer limit, if any (0: no limit). */
export function fileOverLimit<F extends FileLike>(files: readonly F[], maxBytes: number): F | null {
  return maxBytes > 0 ? (files.find((f) => f.size > maxBytes) ?? null) : null;
}

/**
 * Browsers open a file picker only during a user gesture. `navigator.userActivation` says whether
 * one is live; where it is missing, trying is all there is.
 */
export function canOpenPickerNow(userActivation: { isActive: boolean } | undefined): boolean {
  return userActivation ? userActivation.isActive : true;
}

/** How long after a drop a file chooser counts as the one the drop opened. */
export const DROP_WINDOW_MS = 2000;

/**
 * Files dropped onto the view wait here: the drop clicks where it landed, and the file chooser that
 * click opens (within DROP_WINDOW_MS) gets them without a picker.
 */
export class DropWaiter<F> {
  private dropped: { files: F[]; at: number } | null = null;

  drop(files: readonly F[], now: number): void {
    this.dropped = files.length > 0 ? { files: [...files], at: now } : null;
  }

  /** The dropped files, taken, if a chooser opening now is the drop's. */
  takeForChooser(now: number): F[] | null {
    const d = this.dropped;
    if (!d || now - d.at > DROP_WINDOW_MS) {
      this.dropped = null;
      return null;
    }
    this.dropped = null;
    return d.files;
  }

  /** True once, when the drop's window passed with no chooser (the drop missed every file field). */
  expired(now: number): boolean {
    if (this.dropped && now - this.dropped.at > DROP_WINDOW_MS) {
      this.dropped = null;
      return true;
    }
    return false;
  }
}

/** A failed upload in words. */
export function describeUploadError(status: number, message: string): string {
  if (status === 413) {
    return `The files are too large for this session${message && !/^413\b/.test(message) ? ` (${message})` : ''}.`;
  }
  if (status === 0) {
    return 'Could not upload the files: the server did not answer.';
  }
  return `Could not upload the files: ${message}.`;
}
