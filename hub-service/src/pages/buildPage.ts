import type { BuildRecord } from '../store/store.js';
import { html, layout } from './html.js';

/** A build's kept log, readable after the build ended. */
export function buildPage(prefix: string, build: BuildRecord): string {
  const body = html`<h1>
      Build ${build.id} <small class="state">${build.status}</small>
    </h1>
    <dl class="envhub-build">
      <dt>Repository</dt>
      <dd><code>${build.repo}</code></dd>
      <dt>Ref</dt>
      <dd>${build.ref} (<code>${build.commit}</code>)</dd>
      <dt>Image</dt>
      <dd><code>${build.image}</code></dd>
      <dt>Started</dt>
      <dd>${build.startedAt}</dd>
      <dt>Finished</dt>
      <dd>${build.finishedAt ?? 'still running'}</dd>
    </dl>
    <pre id="envhub-log">${build.log}</pre>`;
  return layout({ title: `Build ${build.id}`, prefix, body });
}
