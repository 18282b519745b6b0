import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NextConfig } from 'next'
import { consoleLogger, LOG_PREFIX, type Logger } from '../shared/format.js'
import { readFlag } from '../shared/environment.js'
import type { NextOptions } from '../types.js'
import type { DevWatch } from './dev-watch.js'
import { toList } from '../shared/option-types.js'

/** `PHASE_DEVELOPMENT_SERVER` of next/constants, without loading Next.js. */
const PHASE_DEVELOPMENT_SERVER = 'phase-development-server'

/** One watcher per public folder and process: Next.js may load its config more than once. */
const WATCHED: Set<string> = ((globalThis as Record<symbol, Set<string>>)[Symbol.for('unplugin-image-invalidate.dev-watch')] ??= new Set())

export interface NextDevContext {
  /** The phase Next.js gave a config function; undefined for a config object. */
  phase: string | undefined
  /** The folder of the next.config file, when it could be seen (`configDirOfCaller`). */
  configDir: string | undefined
  /** The installed Next.js version, to know where it keeps its dev cache. */
  nextVersion: string | undefined
  env?: Readonly<Record<string, string | undefined>>
  logger?: Logger
}

/**
 * In `next dev`: starts watching the public folder, after the current turn of the event loop so that none
 * of it is on the dev server's start path, and only the first time for a folder. Anywhere else, or when
 * turned off (`dev: false`, `enabled: false`, `IMAGE_INVALIDATE=0`), does nothing. Never throws; resolves
 * to the watcher (for tests), or undefined when none was started.
 */
export function watchInNextDev(config: NextConfig, options: NextOptions, context: NextDevContext): Promise<DevWatch | undefined> | undefined {
  const env = context.env ?? process.env
  const logger = context.logger ?? consoleLogger
  try {
    if (!isDevServer(context.phase, env) || !isOn(options, env, logger)) return undefined
    const images = (config.images ?? {}) as Record<string, unknown>
    // Nothing goes through Next.js's optimizer, so nothing is cached.
    if (images.unoptimized === true || (typeof images.loader === 'string' && images.loader !== 'default')) return undefined
    if (images.customCacheHandler === true && config.cacheHandler) {
      logger.info(`${LOG_PREFIX} images.customCacheHandler is on: optimized images live in your cacheHandler, which this plugin does not reach in next dev`)
      return undefined
    }
    const projectDir = context.configDir ?? process.cwd()
    const publicDir = path.resolve(projectDir, typeof options.publicDir === 'string' ? options.publicDir : 'public')
    if (WATCHED.has(publicDir)) return undefined
    WATCHED.add(publicDir)
    const devCache = path.join(path.resolve(projectDir, config.distDir ?? '.next'), devSubfolder(config, context.nextVersion), 'cache')
    const start = () =>
      import('./dev-watch.js').then(({ watchPublicImages }) =>
        watchPublicImages({
          projectDir,
          publicDir,
          cacheDir: path.join(devCache, 'images'),
          recordFile: path.join(devCache, 'image-invalidate.json'),
          config: { images, basePath: config.basePath ?? '' },
          include: toList(options.include),
          exclude: toList(options.exclude),
          logger,
        }),
      )
    return new Promise<DevWatch | undefined>((resolve) => {
      setImmediate(() =>
        start().then(resolve, (error: Error) => {
          logger.warn(`${LOG_PREFIX} could not watch ${publicDir} in next dev: ${error.message}`)
          resolve(undefined)
        }),
      ).unref()
    })
  } catch (error) {
    logger.warn(`${LOG_PREFIX} could not watch the public folder in next dev: ${(error as Error).message}`)
    return undefined
  }
}

/**
 * A config function is told the phase. A config object is not: `next dev` runs its server in a child
 * process it marks `__NEXT_DEV_SERVER=1` (next/dist/cli/next-dev.js), which is where the config is loaded.
 */
function isDevServer(phase: string | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return phase !== undefined ? phase === PHASE_DEVELOPMENT_SERVER : env.__NEXT_DEV_SERVER === '1'
}

function isOn(options: NextOptions, env: Readonly<Record<string, string | undefined>>, logger: Logger): boolean {
  if (options.dev !== undefined && typeof options.dev !== 'boolean') {
    logger.warn(`${LOG_PREFIX} option dev: ${JSON.stringify(options.dev)} is not true or false; ignored`)
  } else if (options.dev === false) return false
  return options.enabled !== false && readFlag(env, 'IMAGE_INVALIDATE', []) !== false
}

/**
 * Next.js 16 keeps the dev server's output, image cache included, in `<distDir>/dev`
 * (next/dist/server/config.js: `if (phase === PHASE_DEVELOPMENT_SERVER) result.distDir = join(distDir, 'dev')`;
 * 16.0 to 16.3 let `experimental.isolatedDevBuild: false` turn that off); earlier versions in `<distDir>`.
 */
function devSubfolder(config: NextConfig, nextVersion: string | undefined): string {
  const major = Number(nextVersion?.split('.')[0] ?? 16)
  const isolated = (config.experimental as { isolatedDevBuild?: boolean } | undefined)?.isolatedDevBuild !== false
  return major >= 16 && isolated ? 'dev' : ''
}

/**
 * The folder of the next.config file that is being evaluated, from the call stack: `next dev <dir>` does
 * not change the working directory, and a config is not told its own folder. Next.js evaluates a
 * next.config.ts as `<dir>/next.config.compiled.js`. Undefined when no such file is on the stack.
 */
export function configDirOfCaller(): string | undefined {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  const stack = new Error().stack ?? ''
  Error.stackTraceLimit = limit
  const match = /((?:file:\/\/)?[^\s()]*[\\/])next\.config(?:\.compiled)?\.[cm]?[jt]s:\d+:\d+/.exec(stack)
  if (!match) return undefined
  const dir = match[1]!
  return dir.startsWith('file://') ? fileURLToPath(dir) : path.resolve(dir)
}
