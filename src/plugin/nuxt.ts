import path from 'node:path'
import { consoleLogger } from '../shared/format.js'
import { createBuildRun } from './build-run.js'
import type { Options } from '../types.js'
import { basePathOfBase } from './url-prefix.js'
import { PACKAGE_NAME } from '../shared/package.js'

/** The part of Nuxt's instance this module uses. */
export interface NuxtLike {
  options: {
    dev: boolean
    _prepare?: boolean
    rootDir: string
    dir: { public: string }
    app: { baseURL: string }
    imageInvalidate?: Options
  }
  hook(name: 'nitro:build:public-assets', handler: (nitro: { options: { output: { publicDir: string } } }) => Promise<void>): void
  hook(name: 'build:before', handler: () => void): void
}

/**
 * The Nuxt module: `modules: ['unplugin-image-invalidate/nuxt']` in `nuxt.config.ts`, with options under
 * an `imageInvalidate` key (or inline: `['unplugin-image-invalidate/nuxt', { ... }]`).
 *
 * Nuxt's client Vite build has no public folder of its own (Nitro serves `public/`), so a Vite plugin
 * would list no image. This plans once per production build, when Nitro has copied the public assets
 * (`nitro:build:public-assets`), from `dir.public`, with `app.baseURL` as the prefix, and writes the
 * manifest into Nitro's public output, which the Vercel preset deploys as `.vercel/output/static`. The
 * local plan goes under the project's root. Never in `nuxt dev`.
 */
export function imageInvalidateModule(inlineOptions: Options, nuxt: NuxtLike): void {
  const { options } = nuxt
  if (options.dev || options._prepare) return
  const merged: Options = { ...options.imageInvalidate, ...inlineOptions }
  const contextOf = () => {
    return { root: options.rootDir, publicDir: path.resolve(options.rootDir, options.dir.public), basePath: basePathOfBase(options.app.baseURL) }
  }
  const build = createBuildRun(merged)
  nuxt.hook('build:before', () => {
    build.reset()
    build.prepare(contextOf())
  })
  // Nitro's public output already ends in the base URL (`.vercel/output/static/docs`).
  nuxt.hook('nitro:build:public-assets', (nitro) => build.finish(contextOf(), nitro.options.output.publicDir, consoleLogger))
}

imageInvalidateModule.meta = { name: PACKAGE_NAME, configKey: 'imageInvalidate' }
