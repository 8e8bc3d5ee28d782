import type { PublicSessionSettings } from '../policy/siteConfig.js';
import type { ServerRecord } from '../store/store.js';
import { html, layout } from './html.js';

const minutes = (seconds: number) => {
  const n = Math.round(seconds / 60);
  return n === 1 ? '1 minute' : `${n} minutes`;
};

/**
 * A public server's page for visitors who need not be signed in: what it is and a button that
 * starts their own temporary session (a POST, so that crawlers following links start nothing).
 */
export function publicPage(
  prefix: string,
  record: ServerRecord,
  rules: PublicSessionSettings
): string {
  const title = record.spec.displayName ?? record.name;
  const body = html`<h1>${title}</h1>
    <p>
      A public environment of <strong>${record.owner}</strong>, built from
      <a href="${record.repo}" rel="noopener">${record.repo}</a> at
      <code>${record.commit.slice(0, 7)}</code>.
    </p>
    <form method="post" class="envhub-public-start">
      <button type="submit" id="envhub-start-session">
        Start a temporary session
      </button>
    </form>
    <p class="envhub-note">
      You get a copy of your own, for a while: nothing you change is kept, and
      its mounted data is read-only. It ends after ${minutes(rules.idleTimeout)}
      without activity, and after ${minutes(rules.maxAge)} at most.
    </p>`;
  return layout({ title, prefix, body });
}
