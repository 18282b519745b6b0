import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { NextConfig } from 'next'
import { consoleLogger, LOG_PREFIX } from '../shared/format.js'
import { createBuildRun } from './build-run.js'
import { configDirOfCaller, watchInNextDev } from '../next-image-cache/dev.js'
import type { NextOptions, Options } from '../types.js'
import { PACKAGE_NAME } from '../shared/package.js'
import { nextImageContext } from './next-images.js'

/** A Next.js config written as a function of the phase, as `next.config` may export it. */
export type NextConfigFunction = (phase: string, context: { defaultConfig: NextConfig }) => NextConfig | Promise<NextConfig>

/** Next.js's `compiler.runAfterProductionCompile` appeared in 15.4.1: the peer range starts there. */
const HOOK_SINCE: readonly [number, number, number] = [15, 4, 1]

/**
 * Adds the plugin to a Next.js config (an object or a function), keeping everything in it.
 *
 * It runs once after each production compile, with Turbopack or webpack, through
 * `compiler.runAfterProductionCompile` (chained after a hook already there). The manifest goes to
 * `public/_image-invalidate.json`, so `next start`, `output: 'export'` and Vercel serve it. In `next dev` it
 * removes the cached variants of public images whose bytes change (`dev: false` turns that off).
 */
export function withImageInvalidate<T extends NextConfig | NextConfigFunction>(nextConfig: T, options?: NextOptions): T
export function withImageInvalidate(nextConfig: NextConfig | NextConfigFunction = {}, options: NextOptions = {}): NextConfig | NextConfigFunction {
  return wrapNextConfig(nextConfig, options, installedNextVersion(), configDirOfCaller())
}

/** @internal `withImageInvalidate` for a given Next.js version; exported for tests. */
export function wrapNextConfig(
  nextConfig: NextConfig | NextConfigFunction,
  options: NextOptions,
  nextVersion: string | undefined,
  configDir?: string,
): NextConfig | NextConfigFunction {
  if (!hasAfterCompileHook(nextVersion)) {
    // Outside the peer range: one way to plan, and a line that says why it cannot here, never a failed build.
    consoleLogger.warn(
      `${LOG_PREFIX} Next.js ${nextVersion} has no compiler.runAfterProductionCompile, which this plugin plans in ` +
        '(Next.js 15.4.1 and later): its builds write no manifest and plan nothing. Upgrade Next.js.',
    )
  }
  const wrap = (config: NextConfig, phase?: string) => {
    // Started after this turn, never throwing: the dev server goes on whatever the watcher does.
    void watchInNextDev(config, options, { phase, configDir, nextVersion })
    return keepPackageExternal(addAfterCompileHook(config, options))
  }
  if (typeof nextConfig === 'function') return async (phase, context) => wrap(await nextConfig(phase, context), phase)
  return wrap(nextConfig)
}

/**
 * A route using `createWebhookHandler` must load this package from node_modules at run time: bundled, its
 * bundler adapters and file-system code would be traced into the server output.
 */
function keepPackageExternal(config: NextConfig): NextConfig {
  const external = config.serverExternalPackages ?? []
  if (external.includes(PACKAGE_NAME)) return config
  return { ...config, serverExternalPackages: [...external, PACKAGE_NAME] }
}

function addAfterCompileHook(config: NextConfig, options: Options): NextConfig {
  const userHook = config.compiler?.runAfterProductionCompile
  return {
    ...config,
    compiler: {
      ...config.compiler,
      async runAfterProductionCompile(metadata) {
        await userHook?.(metadata)
        await planForNext(config, metadata.projectDir, options, metadata.distDir)
      },
    },
  }
}

/**
 * Into public/, as next-sitemap does: `next start`, `output: 'export'` (copied to out/) and Vercel serve it.
 * Through a build run, which loads the planning code only now (`next dev` and every other command load
 * next.config, and with it this file) and never fails the build unless `strict`.
 */
async function planForNext(config: NextConfig, projectDir: string, options: Options, distDir: string): Promise<void> {
  const publicDir = path.join(projectDir, 'public')
  // Remote images, and whether Vercel optimizes any image at all: next-images.ts.
  const images = nextImageContext(config, projectDir, distDir)
  await createBuildRun(options).finish({ root: projectDir, publicDir, basePath: config.basePath ?? '', ...images }, publicDir, consoleLogger)
}

export function hasAfterCompileHook(version: string | undefined): boolean {
  // Unknown: assume a current Next.js.
  if (!version) return true
  const parts = version.split(/[.-]/).slice(0, 3).map(Number)
  for (let i = 0; i < 3; i++) {
    const part = parts[i] ?? 0
    if (part !== HOOK_SINCE[i]) return part > HOOK_SINCE[i]!
  }
  return true
}

function installedNextVersion(): string | undefined {
  for (const from of [path.join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      const file = createRequire(from).resolve('next/package.json')
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version
    } catch {
      // Try the next place.
    }
  }
  return undefined
}
