import { FitIcon } from './icons';

/** "Fit page to my screen": on, the remote page takes the view's size; off, it stays at 1280×720. */
export function FitToggle({ fit, onChange }: { fit: boolean; onChange(fit: boolean): void }) {
  const label = fit ? 'Fit page to my screen (on): the page takes this view’s size' : 'Fit page to my screen (off): the page stays 1280×720';
  return (
    <button
      type="button"
      className="icon-button"
      aria-pressed={fit}
      aria-label="Fit page to my screen"
      title={label}
      data-testid="fit-toggle"
      onClick={() => onChange(!fit)}
    >
      <FitIcon />
    </button>
  );
}
