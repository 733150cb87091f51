import { SoundOffIcon, SoundOnIcon } from './icons';

/**
 * The page's sound starts muted (browsers only let a page play sound after the user asks);
 * one press unmutes it. Without sound (the WebSocket fallback, or a session that sends none)
 * the button says why instead.
 */
export function SoundButton({
  available,
  muted,
  blocked,
  onChange,
}: {
  available: boolean;
  muted: boolean;
  /** The session's policy denies sound (policy.audio = deny). */
  blocked: boolean;
  onChange(muted: boolean): void;
}) {
  const label = blocked
    ? 'No sound: blocked by the session’s policy (policy.audio = deny)'
    : !available
      ? 'No sound: only the WebRTC connection carries the page’s sound'
      : muted
      ? 'Unmute the page’s sound'
      : 'Mute the page’s sound';
  return (
    <button
      type="button"
      className="icon-button"
      aria-pressed={available && !muted}
      aria-label={available ? (muted ? 'Unmute' : 'Mute') : 'No sound'}
      title={label}
      disabled={!available}
      data-testid="sound-toggle"
      onClick={() => onChange(!muted)}
    >
      {available && !muted ? <SoundOnIcon /> : <SoundOffIcon />}
    </button>
  );
}
