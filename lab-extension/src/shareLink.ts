import { encodeQueryPart } from '@envhub/schema';

/** Binder's ways of naming the path to open; a shared link keeps only `urlpath`. */
const PATH_PARAMS = new Set(['urlpath', 'labpath', 'filepath']);

/**
 * A launch link that opens `notebookPath` in the environment of `launchUrl`:
 * the link with `urlpath=lab/tree/<path>` in place of any urlpath, labpath or filepath.
 *
 * @param launchUrl the server's canonical launch link (absolute).
 * @param notebookPath the notebook's path relative to the server's root, e.g. `notebooks/intro.ipynb`.
 */
export function notebookLaunchUrl(
  launchUrl: string,
  notebookPath: string
): string {
  const url = new URL(launchUrl);
  const urlpath = `lab/tree/${notebookPath
    .split('/')
    .filter(part => part !== '')
    .map(encodeURIComponent)
    .join('/')}`;
  const params = [...url.searchParams].filter(([key]) => !PATH_PARAMS.has(key));
  params.push(['urlpath', urlpath]);
  url.search = params
    .map(([key, value]) => `${encodeQueryPart(key)}=${encodeQueryPart(value)}`)
    .join('&');
  return url.toString();
}

/** The badge snippets, written exactly as the service writes them. */
export { badgeSnippets } from '@envhub/schema';
