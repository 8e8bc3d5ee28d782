/** The launch badge, a small SVG in the style of Binder's. */
export const BADGE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="118" height="20" role="img" aria-label="launch: envhub">
<title>launch: envhub</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="118" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="53" height="20" fill="#555"/><rect x="53" width="65" height="20" fill="#2680c2"/><rect width="118" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="26.5" y="14">launch</text><text x="84.5" y="14">envhub</text></g>
</svg>`;
