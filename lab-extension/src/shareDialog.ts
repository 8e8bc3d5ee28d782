import {
  Clipboard,
  Dialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IBadgeSnippets } from './tokens';

/** CSS classes of the share view. */
export namespace ShareCSS {
  export const share = 'jp-envhub-share';
  export const item = 'jp-envhub-copy-item';
  export const copy = 'jp-envhub-copy';
  export const badge = 'jp-envhub-badge';
}

const SNIPPET_LABELS: Record<keyof IBadgeSnippets, string> = {
  markdown: 'Badge (Markdown)',
  rst: 'Badge (reStructuredText)',
  html: 'Badge (HTML)'
};

/**
 * One labelled, read-only value with a button that copies it.
 *
 * @param kind stable name for tests and styling, e.g. `link` or `markdown`.
 */
export function copyItem(
  label: string,
  value: string,
  kind: string
): HTMLElement {
  const item = document.createElement('div');
  item.className = ShareCSS.item;
  item.dataset.kind = kind;
  const id = `envhub-copy-${kind}-${Private.nextId()}`;
  const title = document.createElement('label');
  title.htmlFor = id;
  title.textContent = label;
  const field = document.createElement(
    value.includes('\n') ? 'textarea' : 'input'
  );
  field.id = id;
  field.readOnly = true;
  field.value = value;
  field.className = 'jp-mod-styled';
  field.addEventListener('focus', () => field.select());
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `${ShareCSS.copy} jp-Button jp-mod-styled jp-mod-reject`;
  button.textContent = 'Copy';
  button.title = `Copy the ${label.toLowerCase()}`;
  button.addEventListener('click', () => {
    Clipboard.copyToSystem(value);
    Notification.success(`${label} copied.`, { autoClose: 3000 });
  });
  item.append(title, field, button);
  return item;
}

/**
 * The launch link and its badge snippets, each with a copy button.
 */
export class ShareBody extends Widget {
  /**
   * @param intro what the link does.
   * @param link the launch link.
   * @param snippets README snippets for the link.
   * @param badgeUrl the badge image, shown as a preview.
   */
  constructor(
    intro: string,
    link: string,
    snippets: IBadgeSnippets,
    badgeUrl: string
  ) {
    super();
    this.addClass(ShareCSS.share);
    const text = document.createElement('p');
    text.textContent = intro;
    const badge = document.createElement('img');
    badge.className = ShareCSS.badge;
    badge.src = badgeUrl;
    badge.alt = 'Launch on envhub';
    this.node.append(text, copyItem('Launch link', link, 'link'), badge);
    for (const kind of Object.keys(SNIPPET_LABELS) as Array<
      keyof IBadgeSnippets
    >) {
      this.node.appendChild(
        copyItem(SNIPPET_LABELS[kind], snippets[kind], kind)
      );
    }
  }
}

/**
 * Show a launch link and its badge snippets, with copy buttons.
 */
export async function showShareDialog(
  title: string,
  body: ShareBody
): Promise<void> {
  await showDialog({
    title,
    body,
    buttons: [Dialog.okButton({ label: 'Done' })]
  });
}

namespace Private {
  let counter = 0;

  /** A number no other element id on the page has used. */
  export function nextId(): number {
    return ++counter;
  }
}
