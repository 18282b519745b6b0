import path from 'node:path'
import { createUnplugin, type UnpluginFactory } from 'unplugin'
import type { ApplyReport } from './apply.js'
import type { BuildPlanResult } from './build-plan.js'
import { withoutPrefix, type Logger } from './format.js'
import type { LoadManifestOptions, ManifestLoad } from './manifest-source.js'
import { readFlag, resolveBuildOptions, urlPrefixOfVite, type BuildContext, type ResolvedBuildOptions } from './options.js'
import type { ApplyOptions, Options } from './types.js'
import { warmUpPlanning } from './warm-up.js'

export type { Options, ApplyOptions, NextOptions } from './types.js'
export type { Manifest, InvalidationPlan } from './core/manifest.js'
export { MANIFEST_FILE_NAME, parseManifest, serializeManifest } from './core/manifest.js'
export type { BuildPlanResult } from './build-plan.js'
export type { Logger } from './format.js'
export { resolveBuildOptions, DEFAULT_PLAN_FILE } from './options.js'
export type { ManifestLoad } from './manifest-source.js'
export type { ApplyReport } from './apply.js'
export { createWebhookHandler, verifySignature, type WebhookOptions } from './webhook.js'

// Every config that lists the plugin imports this file, in `vite dev` and `next dev` too, where the plugin
// does nothing: the hashing, the HTTP client and phase 2 are loaded only when called.

/**
 * Phase 2, at a production flip: waits until production serves the new deployment, then invalidates what
 * changed, went or appeared since the one live before. Resolves to the report `image-invalidate apply --json`
 * prints; never throws for an expected failure.
 */
export async function apply(options?: ApplyOptions): Promise<ApplyReport> {
  return (await import('./apply.js')).apply(options)
}

/** Phase 1 for resolved options: hash, compare with the baseline, write the manifest into `outputDirs`. */
export async function planBuild(options: ResolvedBuildOptions, outputDirs: readonly string[], logger: Logger): Promise<BuildPlanResult | undefined> {
  return (await import('./build-plan.js')).planBuild(options, outputDirs, logger)
}

/** Loads a manifest from an `http(s)://` URL or a file path. Never throws: every outcome is a `ManifestLoad`. */
export async function loadManifest(source: string, options?: LoadManifestOptions): Promise<ManifestLoad> {
  return (await import('./manifest-source.js')).loadManifest(source, options)
}

const PLUGIN_NAME = 'unplugin-image-invalidate'

/**
 * The plan of one build, computed once however many outputs or compilers ask for it; each asker gets the
 * same manifest written into its own output directory.
 */
function createBuildRun(options: Options) {
  let current: Promise<BuildPlanResult | undefined> | undefined
  return {
    /** A new build starts: forget the last one's plan. */
    reset() {
      current = undefined
    },
    /** A production build that will plan at its end has started. */
    prepare(context: BuildContext) {
      warmUpPlanning(options, context)
    },
    async finish(context: BuildContext, outputDir: string | undefined, logger: Logger): Promise<void> {
      const outputDirs = outputDir ? [outputDir] : []
      if (!current) {
        current = planBuild(resolveBuildOptions(options, context), outputDirs, logger)
        await current
        return
      }
      const result = await current
      if (result) await (await import('./build-plan.js')).writeManifestTo(result, outputDirs)
    },
  }
}

/**
 * Whether a bundler without a notion of "production build" (rollup, esbuild) is making one: `enabled: true`,
 * `IMAGE_INVALIDATE=1`, `NODE_ENV=production` or a Vercel production build.
 */
function isProductionByEnv(options: Options): boolean {
  if (options.enabled !== undefined) return options.enabled
  const flag = readFlag(process.env, 'IMAGE_INVALIDATE', [])
  if (flag !== undefined) return flag
  return process.env.NODE_ENV === 'production' || process.env.VERCEL_ENV === 'production'
}

interface WebpackLikeCompiler {
  context: string
  options: { mode?: string; output: { path?: string } }
  watchMode?: boolean
  platform?: { web?: boolean | null; node?: boolean | null }
  isChild(): boolean
  getInfrastructureLogger(name: string): Logger
  hooks: {
    run: { tap(name: string, fn: () => void): void }
    watchRun: { tap(name: string, fn: () => void): void }
    done: { tapPromise(name: string, fn: (stats: { hasErrors(): boolean }) => Promise<void>): void }
  }
}

export const unpluginFactory: UnpluginFactory<Options | undefined> = (options = {}) => {
  const build = createBuildRun(options)
  const root = process.cwd()

  // webpack and rspack share their compiler API.
  const webpackLike = (compiler: WebpackLikeCompiler) => {
    let watching = false
    compiler.hooks.watchRun.tap(PLUGIN_NAME, () => {
      watching = true
    })
    const plansAtEnd = () => {
      const { mode } = compiler.options
      // A server compiler of a client + server pair does not serve the public folder.
      const serverOnly = compiler.platform?.node === true && compiler.platform.web === false
      return !watching && !compiler.watchMode && !compiler.isChild() && !serverOnly && (mode === undefined || mode === 'production')
    }
    compiler.hooks.run.tap(PLUGIN_NAME, () => {
      build.reset()
      if (plansAtEnd()) build.prepare({ root: compiler.context })
    })
    compiler.hooks.done.tapPromise(PLUGIN_NAME, async (stats) => {
      if (stats.hasErrors() || !plansAtEnd()) return
      await build.finish({ root: compiler.context }, compiler.options.output.path, withoutPrefix(compiler.getInfrastructureLogger(PLUGIN_NAME)))
    })
  }

  let viteContext: BuildContext = { root }
  let viteLogger: Logger = console
  let viteWatching = false
  let failed = false

  return {
    name: PLUGIN_NAME,
    enforce: 'post',

    vite: {
      // Never in the dev server or preview: only `vite build`.
      apply: 'build',
      configResolved(config) {
        // Vite resolves `publicDir: false` to ''.
        viteContext = { root: config.root, publicDir: config.publicDir || false, ...urlPrefixOfVite(config, process.env) }
        viteLogger = config.logger
        viteWatching = Boolean(config.build.watch)
      },
      buildStart() {
        failed = false
        build.reset()
        if (!viteWatching) build.prepare(viteContext)
      },
      buildEnd(error) {
        if (error) failed = true
      },
      closeBundle: {
        order: 'post',
        sequential: true,
        async handler() {
          // Vite 6+ calls this once per environment; the client one is where the public files are served.
          const environment = (this as { environment?: { config: { consumer?: string; build: { outDir: string; ssr?: unknown; write?: boolean } } } }).environment
          const config = environment?.config.build
          if (failed || viteWatching || config?.ssr || config?.write === false) return
          if (environment && environment.config.consumer !== 'client') return
          await build.finish(viteContext, path.resolve(viteContext.root, config?.outDir ?? 'dist'), viteLogger)
        },
      },
    },

    webpack: (compiler) => webpackLike(compiler as unknown as WebpackLikeCompiler),
    rspack: (compiler) => webpackLike(compiler as unknown as WebpackLikeCompiler),

    rollup: {
      buildStart() {
        build.reset()
        if (!this.meta.watchMode && isProductionByEnv(options)) build.prepare({ root })
      },
      async writeBundle(outputOptions) {
        if (this.meta.watchMode || !isProductionByEnv(options)) return
        const dir = outputOptions.dir ?? (outputOptions.file ? path.dirname(outputOptions.file) : undefined)
        await build.finish({ root }, dir && path.resolve(root, dir), withoutPrefix(this))
      },
    },

    esbuild: {
      setup(esbuild) {
        const initial = esbuild.initialOptions
        const cwd = initial.absWorkingDir ?? root
        esbuild.onStart(() => {
          build.reset()
          if (isProductionByEnv(options)) build.prepare({ root: cwd })
        })
        esbuild.onEnd(async (result) => {
          if (result.errors.length > 0 || !isProductionByEnv(options)) return
          const dir = initial.outdir ?? (initial.outfile ? path.dirname(initial.outfile) : undefined)
          await build.finish({ root: cwd }, initial.write === false || !dir ? undefined : path.resolve(cwd, dir), console)
        })
      },
    },
  }
}

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)

export default unplugin
