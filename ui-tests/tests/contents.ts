import type { Page } from '@playwright/test';

/**
 * Calls the contents API of the Jupyter server at `base` (e.g. `…/user/alice/x/`) from `page`, a
 * JupyterLab page, with that page's token: a write when `content` is given, else a read.
 */
function contents(
  page: Page,
  base: string,
  path: string,
  content?: string
): Promise<{ status: number; content: string | null }> {
  return page.evaluate(
    async ({ base, path, content }) => {
      const token = JSON.parse(
        document.getElementById('jupyter-config-data')!.textContent!
      ).token as string;
      const headers = {
        Authorization: `token ${token}`,
        'Content-Type': 'application/json'
      };
      const response =
        content === undefined
          ? await fetch(`${base}api/contents/${path}?content=1`, { headers })
          : await fetch(`${base}api/contents/${path}`, {
              method: 'PUT',
              headers,
              body: JSON.stringify({ type: 'file', format: 'text', content })
            });
      const body =
        response.ok && content === undefined
          ? ((await response.json()) as { content: string }).content
          : null;
      return { status: response.status, content: body };
    },
    { base, path, content }
  );
}

/** Writes a text file into the server at `base`; returns the HTTP status (201 when created). */
export async function writeFile(
  page: Page,
  base: string,
  path: string,
  text: string
): Promise<number> {
  return (await contents(page, base, path, text)).status;
}

/** Reads a text file of the server at `base`: the HTTP status, and the text when it was read. */
export function readFile(
  page: Page,
  base: string,
  path: string
): Promise<{ status: number; content: string | null }> {
  return contents(page, base, path);
}
