import type { Env } from '../shared/environment.js'
import type { BuildContext } from './options.js'
import { withoutTrailingSlashes } from '../core/url.js'

/**
 * The prefix of the URLs a Vite build serves its public files at: SvelteKit's `kit.paths.base` (which it
 * defines for its own code, while Vite's base is relative), else an absolute Vite `base` ('/app/' is '/app').
 * A relative base ('./') or a full URL says nothing of the path: the prefix is unknown, and said so.
 * React Router on Vercel (`vercel build` and Vercel's builders set VERCEL) is deployed with its client
 * folder at the root, whatever the base.
 */
export function urlPrefixOfVite(config: { base: string; define?: Record<string, unknown> }, env: Env): Pick<BuildContext, 'basePath' | 'basePathUnknown'> {
  if ('__reactRouterPluginContext' in config && env.VERCEL) return { basePath: '' }
  const kitBase = config.define?.__SVELTEKIT_PATHS_BASE__
  if (typeof kitBase === 'string') {
    try {
      const base: unknown = JSON.parse(kitBase)
      if (typeof base === 'string') return { basePath: base }
    } catch {
      // Not SvelteKit's JSON: fall through to Vite's base.
    }
  }
  if (config.base.startsWith('/')) return { basePath: basePathOfBase(config.base) }
  return { basePath: '', basePathUnknown: `Vite base ${JSON.stringify(config.base)} is relative or a full URL, so the URL prefix of the images is unknown` }
}

/** A URL base as frameworks write it (`/docs/`, `/`) as a basePath (`/docs`, ''). */
export function basePathOfBase(base: string): string {
  return withoutTrailingSlashes(base)
}
