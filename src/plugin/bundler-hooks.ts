import path from 'node:path'
import type { UnpluginOptions } from 'unplugin'
import { readFlag } from '../shared/environment.js'
import { withoutPrefix, type Logger } from '../shared/format.js'
import type { Options } from '../types.js'
import type { BuildRun } from './build-run.js'
import type { BuildContext } from './options.js'
import { urlPrefixOfVite } from './url-prefix.js'
import { PACKAGE_NAME } from '../shared/package.js'

/**
 * Vite: only `vite build` (never the dev server or preview), once per build even when Vite builds several
 * environments, in the client one, whose `outDir` holds the public files; never in `--watch`.
 */
export function viteHooks(build: BuildRun): NonNullable<UnpluginOptions['vite']> {
  let context: BuildContext = { root: process.cwd() }
  let logger: Logger = console
  let watching = false
  let failed = false
  return {
    apply: 'build',
    configResolved(config) {
      // Vite resolves `publicDir: false` to ''.
      context = { root: config.root, publicDir: config.publicDir || false, ...urlPrefixOfVite(config, process.env) }
      logger = config.logger
      watching = Boolean(config.build.watch)
    },
    buildStart() {
      failed = false
      build.reset()
      if (!watching) build.prepare(context)
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
        if (failed || watching || config?.ssr || config?.write === false) return
        if (environment && environment.config.consumer !== 'client') return
        await build.finish(context, path.resolve(context.root, config?.outDir ?? 'dist'), logger)
      },
    },
  }
}

/** The part of webpack's and rspack's compiler (they share it) the plugin uses. */
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

/**
 * webpack and rspack: production builds (`mode` production or unset), never in watch mode, in a child
 * compiler, or in the server compiler of a client + server pair, which does not serve the public folder.
 */
export function webpackHooks(build: BuildRun): (compiler: unknown) => void {
  return (untyped) => {
    const compiler = untyped as WebpackLikeCompiler
    let watching = false
    compiler.hooks.watchRun.tap(PACKAGE_NAME, () => {
      watching = true
    })
    const plansAtEnd = () => {
      const { mode } = compiler.options
      const serverOnly = compiler.platform?.node === true && compiler.platform.web === false
      return !watching && !compiler.watchMode && !compiler.isChild() && !serverOnly && (mode === undefined || mode === 'production')
    }
    compiler.hooks.run.tap(PACKAGE_NAME, () => {
      build.reset()
      if (plansAtEnd()) build.prepare({ root: compiler.context })
    })
    compiler.hooks.done.tapPromise(PACKAGE_NAME, async (stats) => {
      if (stats.hasErrors() || !plansAtEnd()) return
      await build.finish({ root: compiler.context }, compiler.options.output.path, withoutPrefix(compiler.getInfrastructureLogger(PACKAGE_NAME)))
    })
  }
}

/** rollup: a production build (see `isProductionByEnv`) outside watch mode, into `dir` or the folder of `file`. */
export function rollupHooks(build: BuildRun, options: Options): NonNullable<UnpluginOptions['rollup']> {
  const root = process.cwd()
  return {
    buildStart() {
      build.reset()
      if (!this.meta.watchMode && isProductionByEnv(options)) build.prepare({ root })
    },
    async writeBundle(outputOptions) {
      if (this.meta.watchMode || !isProductionByEnv(options)) return
      const dir = outputOptions.dir ?? (outputOptions.file ? path.dirname(outputOptions.file) : undefined)
      await build.finish({ root }, dir && path.resolve(root, dir), withoutPrefix(this))
    },
  }
}

/** esbuild: a production build (see `isProductionByEnv`) that succeeded, into `outdir` or the folder of `outfile`. */
export function esbuildHooks(build: BuildRun, options: Options): NonNullable<UnpluginOptions['esbuild']> {
  return {
    setup(esbuild) {
      const initial = esbuild.initialOptions
      const cwd = initial.absWorkingDir ?? process.cwd()
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
