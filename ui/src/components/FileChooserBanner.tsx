import type { FileChooserState } from '../remote/useFileChooser';

/**
 * The hidden file input the local picker opens from, and, while the remote page waits for files,
 * a banner to open the picker from a click (browsers open pickers only on a user gesture).
 */
export function FileChooserBanner({ state }: { state: FileChooserState }) {
  const { chooser, uploading, error } = state;
  const kinds = chooser && chooser.accept.length > 0 ? ` (${chooser.accept.join(', ')})` : '';
  return (
    <>
      <input
        ref={state.input}
        type="file"
        hidden
        tabIndex={-1}
        multiple={chooser?.multiple ?? false}
        accept={chooser?.accept.join(',') || undefined}
        data-testid="file-chooser-input"
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          // Cleared so choosing the same file again still reports a change.
          e.currentTarget.value = '';
          state.chosen(files);
        }}
      />
      {(chooser || error) && (
        <div className="stage-banners">
          {chooser && (
            <div className="banner filechooser" role="status" data-testid="file-chooser-banner">
              <span className="filechooser-text">
                {uploading
                  ? 'Uploading…'
                  : `The remote page asks for ${chooser.multiple ? 'files' : 'a file'}${kinds}. You can also drop files onto the field.`}
              </span>
              <button type="button" className="button primary small" disabled={uploading} onClick={state.choose} data-testid="file-chooser-choose">
                Choose files
              </button>
              <button type="button" className="button small" disabled={uploading} onClick={state.dismiss}>
                Cancel
              </button>
            </div>
          )}
          {error && (
            <div className="banner error" role="alert" data-testid="file-chooser-error">
              {error}
            </div>
          )}
        </div>
      )}
    </>
  );
}
