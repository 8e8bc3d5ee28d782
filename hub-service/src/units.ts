/** Parses a size such as `20G`, `512M` or `1000000` (bytes). */
export function parseSize(text: string): number {
  const match = text.trim().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i);
  if (!match)
    throw new Error(
      `"${text}" is not a size; write e.g. 20G, 512M or a number of bytes`
    );
  const power = ' kmgt'.indexOf(match[2].toLowerCase() || ' ');
  return Math.round(Number(match[1]) * 1024 ** power);
}
