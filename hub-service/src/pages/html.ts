import { escapeHtml } from '@envhub/schema';

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(
  strings: TemplateStringsArray,
  ...values: unknown[]
): Html {
  const render = (v: unknown): string =>
    v instanceof Html
      ? v.value
      : Array.isArray(v)
        ? v.map(render).join('')
        : v === undefined || v === null
          ? ''
          : escapeHtml(String(v));
  return new Html(
    strings.reduce(
      (out, s, i) => out + s + (i < values.length ? render(values[i]) : ''),
      ''
    )
  );
}

/**
 * The modules of `@envhub/schema` that the page script imports: each imports nothing but others
 * of this list and the schema's JSON (served beside them, see routes.ts).
 */
export const BROWSER_IMPORTS = [
  'eventStream',
  'mounts',
  'materials',
  'providers',
  'launchUrl'
] as const;

const importMap = (prefix: string) =>
  JSON.stringify({
    imports: Object.fromEntries(
      BROWSER_IMPORTS.map(name => [
        `@envhub/schema/${name}`,
        `${prefix}static/schema/${name}.js`
      ])
    )
  }).replace(/</g, '\\u003c');

/** The frame every envhub page shares. */
export function layout(options: {
  title: string;
  prefix: string;
  body: Html;
  xsrf?: string;
}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · envhub</title>
        <link rel="stylesheet" href="${options.prefix}static/envhub.css" />
        <script type="importmap">
          ${new Html(importMap(options.prefix))}
        </script>
      </head>
      <body data-prefix="${options.prefix}" data-xsrf="${options.xsrf ?? ''}">
        <header class="envhub-header">
          <a href="${options.prefix}">envhub</a
          ><a href="${options.prefix}catalog">Catalog</a
          ><a href="${options.prefix}usage">My usage</a
          ><a href="/hub/home">Hub home</a>
        </header>
        <main>${options.body}</main>
      </body>
    </html>`.value;
}
