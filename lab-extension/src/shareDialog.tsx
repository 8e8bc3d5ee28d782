import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CopyField } from './components/CopyField';
import { IBadgeSnippets, IPublicAccess } from './tokens';

/** CSS classes of the share view. */
export namespace ShareCSS {
  export const share = 'jp-envhub-share';
  export const badge = 'jp-envhub-badge';
  export const publicLink = 'jp-envhub-share-public';
}

/** A badge's README snippets, Markdown, reStructuredText and HTML, each with a copy button. */
function BadgeFields(props: {
  snippets: IBadgeSnippets;
  /** The public link's badge rather than the launch link's. */
  publicBadge?: boolean;
  trans: TranslationBundle;
}): JSX.Element {
  const { snippets, publicBadge, trans } = props;
  const formats = [
    ['markdown', 'Markdown'],
    ['rst', 'reStructuredText'],
    ['html', 'HTML']
  ] as const;
  return (
    <>
      {formats.map(([kind, format]) => (
        <CopyField
          key={kind}
          label={
            publicBadge
              ? trans.__('Public badge (%1)', format)
              : trans.__('Badge (%1)', format)
          }
          value={snippets[kind]}
          kind={publicBadge ? `public-${kind}` : kind}
          trans={trans}
        />
      ))}
    </>
  );
}

/**
 * The launch link and its badge snippets, each with a copy button; and a public server's
 * public link and its badge snippets.
 */
export class ShareBody extends ReactWidget {
  constructor(options: ShareBody.IOptions) {
    super();
    this._options = options;
    this.addClass(ShareCSS.share);
  }

  protected render(): JSX.Element {
    const { intro, link, snippets, badgeUrl, publicAccess, trans } =
      this._options;
    return (
      <>
        <p>{intro}</p>
        <CopyField
          label={trans.__('Launch link')}
          value={link}
          kind="link"
          trans={trans}
        />
        <img
          className={ShareCSS.badge}
          src={badgeUrl}
          alt={trans.__('Launch on envhub')}
        />
        <BadgeFields snippets={snippets} trans={trans} />
        {publicAccess && (
          <section className={ShareCSS.publicLink}>
            <p>
              {trans.__(
                'This server is public: anyone with its public link, signed in or not, can run a throw-away copy of it and read its mounted data (read-only).'
              )}
            </p>
            <CopyField
              label={trans.__('Public link')}
              value={publicAccess.url}
              kind="public-link"
              trans={trans}
            />
            <BadgeFields
              snippets={publicAccess.snippets}
              publicBadge
              trans={trans}
            />
          </section>
        )}
      </>
    );
  }

  private readonly _options: ShareBody.IOptions;
}

/**
 * A namespace for ShareBody statics.
 */
export namespace ShareBody {
  /**
   * What the share view shows.
   */
  export interface IOptions {
    /** What the link does. */
    intro: string;
    /** The launch link. */
    link: string;
    /** README snippets for the link. */
    snippets: IBadgeSnippets;
    /** The badge image, shown as a preview. */
    badgeUrl: string;
    /** A public server's public link and its snippets; none for a private one. */
    publicAccess?: IPublicAccess | null;
    trans: TranslationBundle;
  }
}

/**
 * Show a launch link and its badge snippets, with copy buttons.
 */
export async function showShareDialog(
  title: string,
  body: ShareBody,
  trans: TranslationBundle
): Promise<void> {
  await showDialog({
    title,
    body,
    buttons: [Dialog.okButton({ label: trans.__('Done') })]
  });
}
