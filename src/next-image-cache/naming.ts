import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * How the installed Next.js names the entries of its image cache (`<distDir>/cache/images/<key>/`).
 *
 * Which of the two possible handles, and why. Next.js keys an entry by
 * `ImageOptimizerCache.getCacheKey(paramsResult)`, `paramsResult` being what
 * `ImageOptimizerCache.validateParams(req, query, nextConfig, isDev)` made of the request
 * (next/dist/server/next-server.js, `handleNextImageRequest`: validateParams, then getCacheKey; in 16.4,
 * a SHA-256 of [CACHE_VERSION, href, width, quality, mimeType], next/dist/server/image-optimizer.js).
 * The entry's file name also carries the upstream ETag, which for a public file is `send`'s
 * `W/"<size hex>-<mtime hex>"`, base64url-encoded. We use the key, through those two static methods of the
 * installed `next`, because:
 * - it is the very function each request goes through, so a Next.js that changes its inputs or its
 *   CACHE_VERSION changes our keys with it; the ETag is a detail of a compiled dependency (`send`);
 * - it needs nothing about the old file: `prune-next-cache` after a deploy knows the old bytes' hash, not
 *   their mtime, and a dev server that starts after a change never saw the old stat;
 * - it reads one directory listing, not every entry's file name, and cannot match another file that
 *   happens to share a size and mtime (a checkout writes many files in the same millisecond).
 * What it cannot name: a `url` with a query string (`/hero.png?v=2`), which Next.js refuses for local
 * images unless `images.localPatterns` allows a search. If the installed Next.js lacks either method,
 * `loadCacheNaming` says so and callers remove the whole image cache instead, saying so.
 */
export interface CacheNaming {
  /** The keys (entry folder names) of every variant Next.js can cache for this source image. */
  keysOf(srcImage: string): string[]
}

/** The part of a Next.js config that decides which variants exist. */
export interface ImagesConfigInput {
  images?: Record<string, unknown>
  basePath?: string
}

interface ParamsResult {
  href: string
}

interface ImageOptimizerCacheStatics {
  validateParams(
    req: { headers: Record<string, string> },
    query: Record<string, string>,
    nextConfig: unknown,
    isDev: boolean,
  ): ParamsResult | { errorMessage: string }
  getCacheKey(params: ParamsResult): string
}

/** Widths Next.js accepts in dev only, for blur placeholders (`BLUR_IMG_SIZE`, image-optimizer.js). */
const DEV_BLUR_WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8]
/** The quality of dev blur placeholders (`BLUR_QUALITY`). */
const DEV_BLUR_QUALITY = 70
/** Every quality Next.js accepts when `images.qualities` is not a list. */
const ALL_QUALITIES = Array.from({ length: 100 }, (_, i) => i + 1)

/**
 * The naming of the `next` installed for `projectDir`, or why there is none: the installed Next.js must
 * expose `ImageOptimizerCache.validateParams` and `.getCacheKey` (Next.js 13 to 16 do). `config` is the
 * user's config as written or as Next.js resolved it; the defaults are those of the installed Next.js.
 */
export function loadCacheNaming(projectDir: string, config: ImagesConfigInput, dev: boolean): CacheNaming | { problem: string } {
  let statics: Partial<ImageOptimizerCacheStatics> | undefined
  let defaults: Record<string, unknown>
  try {
    const requireFromProject = createRequire(path.join(projectDir, 'package.json'))
    statics = (requireFromProject('next/dist/server/image-optimizer.js') as { ImageOptimizerCache?: Partial<ImageOptimizerCacheStatics> }).ImageOptimizerCache
    defaults = (requireFromProject('next/dist/shared/lib/image-config.js') as { imageConfigDefault?: Record<string, unknown> }).imageConfigDefault ?? {}
  } catch (error) {
    return { problem: `Next.js's image optimizer could not be loaded from ${projectDir} (${(error as Error).message.split('\n')[0]})` }
  }
  if (typeof statics?.validateParams !== 'function' || typeof statics.getCacheKey !== 'function') {
    return { problem: 'the installed Next.js has no ImageOptimizerCache.validateParams and getCacheKey to name its cache entries by' }
  }
  const { validateParams, getCacheKey } = statics as ImageOptimizerCacheStatics
  // `domains: []`: only local paths are named here, and a non-empty list makes Next.js print a deprecation.
  const images = { ...defaults, ...config.images, domains: [] }
  const nextConfig = { images, basePath: config.basePath ?? '' }
  const candidates = variantCandidates(images, dev)
  const validate = (url: string, [w, q]: Pair, accept: string) =>
    validateParams.call(statics, { headers: { accept } }, { url, w: String(w), q: String(q) }, nextConfig, dev)
  // The (width, quality) pairs the config allows, found once, with the first URL it accepts: validateParams
  // checks the URL, then the width, then the quality, each on its own. Each image then costs one
  // validateParams per spelling and type, and one getCacheKey per variant (0.3 ms for 92 variants, against
  // 3 ms when every variant went through validateParams: a checkout of 2,000 images would block a dev
  // server for seconds).
  let allowed: Pair[] | undefined
  // The same image changes again and again in dev: its keys are worked out once.
  const known = new Map<string, string[]>()
  return {
    keysOf(srcImage) {
      const cached = known.get(srcImage)
      if (cached) return cached
      const keys = new Set<string>()
      for (const url of hrefsOf(srcImage)) {
        allowed ??= allowedPairs(candidates.pairs, (pair) => !('errorMessage' in validate(url, pair, '')))
        const first = allowed?.[0]
        if (!first) continue
        for (const accept of candidates.accepts) {
          const params = validate(url, first, accept)
          // Refused (a URL the config does not allow): Next.js caches nothing for it.
          if ('errorMessage' in params) continue
          // What validateParams gives for this URL and type, at each allowed width and quality.
          for (const [width, quality] of allowed!) keys.add(getCacheKey.call(statics, { ...params, width, quality } as ParamsResult))
        }
      }
      known.set(srcImage, [...keys])
      return known.get(srcImage)!
    },
  }
}

type Pair = readonly [width: number, quality: number]

/** The pairs `accepts` takes, or undefined when it takes none (the URL it was tried with is refused). */
function allowedPairs(pairs: readonly Pair[], accepts: (pair: Pair) => boolean): Pair[] | undefined {
  const allowed = pairs.filter(accepts)
  return allowed.length > 0 ? allowed : undefined
}

/**
 * A superset of the widths, qualities and Accept headers a request can carry; `validateParams` keeps those
 * the config allows. An Accept without any configured format gives the mime type '' (the source's own type).
 */
function variantCandidates(images: Record<string, unknown>, dev: boolean): { pairs: Pair[]; accepts: string[] } {
  const numbers = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is number => typeof item === 'number') : [])
  const widths = new Set([...numbers(images.deviceSizes), ...numbers(images.imageSizes), ...(dev ? DEV_BLUR_WIDTHS : [])])
  const qualities = new Set([...(Array.isArray(images.qualities) ? numbers(images.qualities) : ALL_QUALITIES), ...(dev ? [DEV_BLUR_QUALITY] : [])])
  const formats = Array.isArray(images.formats) ? images.formats.filter((item): item is string => typeof item === 'string') : []
  const pairs = [...widths].flatMap((width) => [...qualities].map((quality): Pair => [width, quality]))
  return { pairs, accepts: [...formats, ''] }
}

/**
 * The `url` values that name a source image: as a `src` prop writes it (next/image encodes it into the
 * query, and the server decodes it back), and percent-encoded, as some write `/my%20photo.png`.
 */
function hrefsOf(srcImage: string): string[] {
  const encoded = encodeURI(srcImage)
  return encoded === srcImage ? [srcImage] : [srcImage, encoded]
}
