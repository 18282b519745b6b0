import { fileURLToPath } from 'node:url'
import type { AstroIntegration } from 'astro'
import { withoutPrefix } from '../shared/format.js'
import { createBuildRun } from './build-run.js'
import type { BuildContext } from './options.js'
import type { Options } from '../types.js'
import { basePathOfBase } from './url-prefix.js'
import { PACKAGE_NAME } from '../shared/package.js'

/** Adapters that put the public files at the root of what they deploy, whatever Astro's `base`. */
const ROOT_SERVING_ADAPTERS = new Set(['@astrojs/vercel'])

/**
 * The Astro integration: `integrations: [imageInvalidate()]` in `astro.config.mjs`.
 *
 * It plans in `astro:build:done`, which every production build reaches (static or server output, with or
 * without client JavaScript: Astro starts no client Vite build for a page without a script, so a Vite
 * plugin would never run), and writes the manifest into the folder that hook names, which the adapter
 * then deploys (`@astrojs/vercel` copies it to `.vercel/output/static`). The public folder and `base` come
 * from Astro's config. Never in `astro dev`.
 */
export function imageInvalidateIntegration(options: Options = {}): AstroIntegration {
  let context: BuildContext | undefined
  const build = createBuildRun(options)
  return {
    name: PACKAGE_NAME,
    hooks: {
      'astro:config:done': ({ config }) => {
        // @astrojs/vercel serves public files at the root of the deployment even with a `base`.
        const rootServed = config.adapter !== undefined && ROOT_SERVING_ADAPTERS.has(config.adapter.name)
        context = { root: fileURLToPath(config.root), publicDir: fileURLToPath(config.publicDir), basePath: rootServed ? '' : basePathOfBase(config.base) }
      },
      'astro:build:start': () => {
        build.reset()
        build.prepare(context!)
      },
      'astro:build:done': ({ dir, logger }) => build.finish(context!, fileURLToPath(dir), withoutPrefix(logger)),
    },
  }
}
