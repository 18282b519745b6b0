// Finding the remote source images a built page shows, in its text (prerendered HTML, RSC payloads, JSON):
// each optimizer URL (`/_next/image?url=…`, `/_vercel/image?url=…`, in `src`, `srcset`, preload links or
// a serialized prop) names its source in `url`, encoded as the image loaders encode it
// (encodeURIComponent). Decoded, it is the string the page put in `src`: what is recorded and sent.
import { matchesRemotePattern, readRemoteImageRules, type RemotePattern } from './remote-patterns.js'
import { remoteUrlProblem } from './remote-images.js'

/** An optimizer path, then its query up to whatever ends a URL in HTML, JSON or a srcset. */
const OPTIMIZER_URL = /\/_(?:next|vercel)\/image\?([^\s"'<>\\`)]+)/g
/** An absolute URL, for the watched patterns. */
const ABSOLUTE_URL = /https?:\/\/[^\s"'<>\\`)]+/g

/** `&` as HTML attributes, JSON and JavaScript strings escape it inside a page's text. */
const ESCAPED_AMPERSAND = /&amp;|&#0*38;|&#x0*26;|\\u0026/gi

/** The remote source URLs named by the optimizer URLs in `text`, each once, in the order found. */
export function findOptimizedSources(text: string): string[] {
  if (!text.includes('/image?')) return []
  const found = new Set<string>()
  for (const match of text.replace(ESCAPED_AMPERSAND, '&').matchAll(OPTIMIZER_URL)) {
    const source = sourceOf(match[1]!)
    if (source) found.add(source)
  }
  return [...found]
}

/** The `url` parameter of an optimizer query, when it is a remote image's URL. */
function sourceOf(query: string): string | undefined {
  let url: string | null
  try {
    url = new URLSearchParams(query).get('url')
  } catch {
    return undefined
  }
  // A local image (`/images/hero.png`) is the public folder's, hashed by the build.
  if (!url || remoteUrlProblem(url)) return undefined
  return url
}

/** The absolute URLs in `text` that a watched pattern matches, each once. */
export function findWatchedUrls(text: string, patterns: readonly RemotePattern[]): string[] {
  if (patterns.length === 0 || !text.includes('://')) return []
  const found = new Set<string>()
  for (const [url] of text.replace(ESCAPED_AMPERSAND, '&').matchAll(ABSOLUTE_URL)) {
    if (remoteUrlProblem(url)) continue
    const parsed = new URL(url)
    if (patterns.some((pattern) => matchesRemotePattern(pattern, parsed))) found.add(url)
  }
  return [...found]
}

/** The `watch` option, read: URLs to fingerprint as they are, and patterns to look for in the built output. */
export interface WatchList {
  urls: string[]
  patterns: RemotePattern[]
}

/**
 * Reads the watch list: an entry with `*` is a pattern (`https://cdn.example.com/banners/**`, read as
 * Next.js reads a URL in `remotePatterns`), any other is a URL watched as it is. What cannot be read is
 * named in `warnings` and left out.
 */
export function readWatchList(entries: readonly string[], warnings: string[]): WatchList {
  const list: WatchList = { urls: [], patterns: [] }
  for (const entry of entries) {
    const problem = remoteUrlProblem(entry)
    if (problem) {
      warnings.push(`remoteImages.watch: ${JSON.stringify(entry.slice(0, 80))} ${problem}; left out`)
      continue
    }
    if (!entry.includes('*')) {
      list.urls.push(entry)
      continue
    }
    // Read through the one reader of remote patterns; `*` survives URL parsing in a host and a path.
    const read = readRemoteImageRules({ remotePatterns: [new URL(entry)] }, warnings)
    list.patterns.push(...read.remotePatterns)
  }
  return list
}
