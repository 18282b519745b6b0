import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { basePathProblem } from '../core/keys.js'
import { manifestUrl } from '../core/manifest.js'
import { DEFAULT_PLAN_FILE, isUrl, nonEmpty, protectionBypassHeaders, readFlag, resolveSiteUrl, type Env } from '../shared/environment.js'
import type { Options } from '../types.js'
import { readableOptions } from './option-types.js'

/** What the bundler knows and the options may override. */
export interface BuildContext {
  root: string
  /** `false`: the bundler serves no public directory (Vite `publicDir: false`). */
  publicDir?: string | false
  basePath?: string
  /** Why the bundler's config does not tell the URL prefix (a relative Vite base): a warning unless `basePath` is given. */
  basePathUnknown?: string
  env?: Env
}

export interface ResolvedBuildOptions {
  root: string
  /** False: the plugin does nothing at all. */
  active: boolean
  /** Whether this build compares with a baseline and plans invalidations. */
  planning: boolean
  /** Why planning is on or off, for the summary. */
  planningReason: string
  dryRun: boolean
  strict: boolean
  /** Null when the bundler serves no public directory. */
  publicDir: string | null
  include: string[] | undefined
  exclude: string[]
  /** URL or absolute file path of the baseline manifest; null when there is none to load. */
  baseline: string | null
  /**
   * Who named the baseline, when it was not the default production URL: a baseline given explicitly that
   * is not found is a mistake (a typo), not a first deploy.
   */
  baselineGivenBy: 'the baseline option' | 'IMAGE_INVALIDATE_BASELINE' | null
  /** The whole baseline fetch, retries included, ends by then. */
  baselineTimeoutMs: number
  basePath: string
  buildId: string
  planFile: string
  /** The digests of the last build, or null when caching is off. */
  cacheFile: string | null
  /** Sent with the baseline request: `x-vercel-protection-bypass`, for a protected deployment. */
  baselineHeaders: Record<string, string>
  /** Problems with options or flags that were worked around. */
  warnings: string[]
}

/**
 * Resolves build options: plugin options > environment flags > the bundler's own config > defaults. An
 * option of the wrong type (a config is often plain JavaScript) is left out with a warning naming it.
 */
export function resolveBuildOptions(given: Options | null | undefined, context: BuildContext): ResolvedBuildOptions {
  const env = context.env ?? process.env
  const warnings: string[] = []
  const options = readableOptions(given, warnings)
  const root = path.resolve(context.root)
  const flag = readFlag(env, 'IMAGE_INVALIDATE', warnings)
  const active = options.enabled !== false && flag !== false

  if (options.basePath === undefined && context.basePathUnknown) {
    warnings.push(`${context.basePathUnknown}: the images are keyed as if served at the root; set the basePath option (e.g. basePath: '/docs') if they are not`)
  }
  let basePath = options.basePath ?? context.basePath ?? ''
  const problem = basePathProblem(basePath)
  if (problem) {
    warnings.push(`basePath ${JSON.stringify(basePath)} ${problem}; using "" instead`)
    basePath = ''
  }

  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  const explicitBaseline = options.baseline ?? nonEmpty(env.IMAGE_INVALIDATE_BASELINE)
  const baselineGivenBy = typeof options.baseline === 'string' ? 'the baseline option' : options.baseline === undefined && explicitBaseline ? 'IMAGE_INVALIDATE_BASELINE' : null
  let baseline: string | null = null
  if (explicitBaseline !== false) {
    if (explicitBaseline !== undefined) baseline = isUrl(explicitBaseline) ? explicitBaseline : path.resolve(root, explicitBaseline)
    else if (siteUrl) baseline = manifestUrl(siteUrl, basePath)
  }

  let planning: boolean
  let planningReason: string
  if (options.enabled === true) [planning, planningReason] = [true, 'enabled by option']
  else if (flag === true) [planning, planningReason] = [true, 'IMAGE_INVALIDATE is on']
  else if (env.VERCEL_ENV === 'production') [planning, planningReason] = [true, 'Vercel production build']
  else if (typeof explicitBaseline === 'string') [planning, planningReason] = [true, 'a baseline was given']
  else if (env.VERCEL_ENV) [planning, planningReason] = [false, `Vercel ${env.VERCEL_ENV} build: nothing planned (IMAGE_INVALIDATE=1 plans here too)`]
  else [planning, planningReason] = [false, 'not a Vercel production build: nothing planned (IMAGE_INVALIDATE=1 plans here too)']

  const planFile = path.resolve(root, options.planFile ?? DEFAULT_PLAN_FILE)
  return {
    root,
    active,
    planning: active && planning,
    planningReason: active ? planningReason : 'disabled',
    dryRun: options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', warnings) ?? false,
    strict: options.strict ?? false,
    publicDir: resolvePublicDir(root, options.publicDir ?? context.publicDir),
    include: toList(options.include),
    exclude: toList(options.exclude) ?? [],
    baseline,
    baselineGivenBy,
    baselineTimeoutMs: resolveTimeout(options.baselineTimeoutMs, warnings),
    basePath,
    buildId: options.buildId ?? nonEmpty(env.VERCEL_DEPLOYMENT_ID) ?? `build_${randomUUID()}`,
    planFile,
    // CI and Vercel build from a fresh checkout, where every file has new stamps: a cache could never be
    // used there, and would only cost its reading and writing.
    cacheFile: (options.cache ?? !(env.CI || env.VERCEL)) ? path.join(path.dirname(planFile), 'hashes.json') : null,
    baselineHeaders: protectionBypassHeaders(env),
    warnings,
  }
}

export const DEFAULT_BASELINE_TIMEOUT_MS = 10_000

function resolveTimeout(value: number | undefined, warnings: string[]): number {
  if (value === undefined) return DEFAULT_BASELINE_TIMEOUT_MS
  if (Number.isFinite(value) && value > 0) return value
  warnings.push(`baselineTimeoutMs ${JSON.stringify(value)} is not a positive number of milliseconds; using ${DEFAULT_BASELINE_TIMEOUT_MS}`)
  return DEFAULT_BASELINE_TIMEOUT_MS
}

function resolvePublicDir(root: string, dir: string | false | undefined): string | null {
  if (dir === false) return null
  return path.resolve(root, dir ?? 'public')
}

function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value : [value]
}
