// Which remote source images the app lets Vercel optimize, as the asset webhook learns it at run time.
//
// A route handler cannot import the app's next.config: on Vercel the function has no config file, only what
// the build left. What both `next start` and Vercel's functions have is `.next/required-server-files.json`:
// Next.js writes the resolved config into it at build time (`config.images` with `remotePatterns` and
// `domains`), lists the file among the server's required files, and Vercel's Next.js builder copies every one
// of those into each function, whose launcher runs from the project's directory. So it is read from the
// working directory. Outside Next.js (Astro, SvelteKit, Nuxt endpoints) no such file exists: the
// `remotePatterns` option says it.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { recordOf } from '../core/json.js'
import { readRemoteImageRules, type RemoteImageRules } from '../core/remote-patterns.js'
import type { AssetWebhookOptions } from '../types.js'

/** Next.js's build output that carries its resolved config, below the default `distDir`. */
export const NEXT_SERVER_FILES = path.join('.next', 'required-server-files.json')

/** The rules, where they came from, and what could not be read in them. */
export interface AppImageRules {
  rules: RemoteImageRules
  /**
   * Why Vercel optimizes no image of the app, when it does not: `images.unoptimized`, or a loader other than
   * Next.js's own (`next/image` then builds the image service's URLs, not `/_next/image`).
   */
  unoptimized?: string
  source: string
  warnings: string[]
}

/**
 * No image config at all: which URLs Vercel optimizes is unknown. A configuration error (the route answers
 * 503), not a reason to skip every URL: the sentence names the file looked for and how to fix it.
 */
export interface MissingImageRules {
  missing: string
}

/** The rules from the `remotePatterns` option, else from Next.js's build output in `cwd`, else why none. */
export async function loadAppImageRules(options: Pick<AssetWebhookOptions, 'remotePatterns'>, cwd: string): Promise<AppImageRules | MissingImageRules> {
  const warnings: string[] = []
  if (options.remotePatterns) {
    const rules = readRemoteImageRules({ remotePatterns: options.remotePatterns }, warnings)
    return { rules, source: 'the remotePatterns option', warnings }
  }
  const file = path.resolve(cwd, NEXT_SERVER_FILES)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name
    return {
      missing:
        `no image config: the remotePatterns option is not set, and ${file} cannot be read (${code}), so which URLs Vercel optimizes is unknown: ` +
        "run the server from the app's folder (the one that holds .next), or set the root option to it, or pass remotePatterns as next.config's images.remotePatterns",
    }
  }
  let images: unknown
  try {
    images = recordOf(recordOf(JSON.parse(text))?.config)?.images
  } catch {
    warnings.push(`${NEXT_SERVER_FILES} is not JSON`)
  }
  const rules = readRemoteImageRules(images, warnings)
  return { rules, unoptimized: whyUnoptimized(recordOf(images)), source: `Next.js's image config (${NEXT_SERVER_FILES})`, warnings }
}

function whyUnoptimized(images: Record<string, unknown> | undefined): string | undefined {
  if (images?.unoptimized === true) return 'images.unoptimized is set'
  const loader = images?.loader
  if (typeof loader === 'string' && loader !== 'default') return `images.loader is ${JSON.stringify(loader)}`
  return undefined
}
