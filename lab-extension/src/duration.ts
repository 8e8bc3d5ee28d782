import { TranslationBundle } from '@jupyterlab/translation';

/**
 * A number of seconds for people: `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const minutes = Math.floor(s / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/**
 * The time left until `iso`, for people: `in 42 min`, `any moment now`;
 * empty when there is no such time.
 */
export function timeLeft(
  iso: string | null,
  trans: TranslationBundle,
  now: number = Date.now()
): string {
  const at = iso ? Date.parse(iso) : NaN;
  if (isNaN(at)) {
    return '';
  }
  const seconds = (at - now) / 1000;
  return seconds < 60
    ? trans.__('any moment now')
    : trans.__('in %1', formatDuration(seconds));
}
