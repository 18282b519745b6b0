import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { basePathProblem } from '../core/keys.js'
import { manifestUrl } from '../core/manifest.js'
import { DEFAULT_PLAN_FILE, nonEmpty, protectionBypassHeaders, readFlag, resolveSiteUrl, type Env } from '../shared/environment.js'
import { isUrl } from '../core/url.js'
import type { Options } from '../types.js'
import { readableOptions, toList } from '../shared/option-types.js'

/** What the bundler knows and the options may override. */
export interface BuildContext {
  root: string
  /** `false`: the bundler serves no public directory (Vite `publicDir: false`). */
  publicDir?: string | false
  basePath?: string
  /** Why the bundler's config does not tell the URL prefix (a relative Vite base): a warning unless `basePath` is given. */
  basePathUnknown?: string
  env?: Env
  /** Where the built pages are, for the remote images they show; none: remote images are not looked for. */
  remote?: RemoteImagesSource
  /**
   * Why Vercel optimizes none of the app's images (Next.js `images.unoptimized`, a custom loader,
   * `output: 'export'`): no variant is cached, so nothing is planned, local or remote.
   */
  notOptimized?: string
}

/** Where a framework's built pages are, and the image config its deployment gets. */
export interface RemoteImagesSource {
  /** Output folders holding the prerendered pages and payloads. */
  dirs: string[]
  /**
   * The image config that says which remote URLs Vercel optimizes (Next.js `images`), and where it was
   * read, for the lines. Default: the Build Output's `.vercel/output/config.json`, else `vercel.json`.
   */
  imageConfig?: { images: unknown; source: string }
  /** Private addresses allowed (Next.js `images.dangerouslyAllowLocalIP`). */
  allowLocalIP?: boolean
  /**
   * The pages are written after the build's hook (Next.js prerenders after `runAfterProductionCompile`):
   * the manifest is written at once without remote images, and `defer` is handed the rest, to run when
   * the pages are there.
   */
  defer?: (work: () => Promise<void>) => void
}

/** How remote images are looked for and fingerprinted in this build. */
export interface ResolvedRemoteOptions {
  source: RemoteImagesSource
  /** URLs and patterns to watch, as given: read by the step (its code is not loaded with every config). */
  watch: string[]
  budgetMs: number
  requestTimeoutMs: number
  concurrency: number
  allowLocalIP: boolean
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
  /** Null when remote images are not looked for (turned off, no output to read, nothing optimized by Vercel). */
  remote: ResolvedRemoteOptions | null
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
  const basePath = resolveBasePath(options, context, warnings)
  const baseline = resolveBaseline(options, env, root, basePath, warnings)
  const planning = context.notOptimized
    ? { on: false, reason: `nothing is optimized by Vercel (${context.notOptimized}): nothing planned, local or remote` }
    : decidePlanning(options, flag, env, baseline.explicit)
  const planFile = path.resolve(root, options.planFile ?? DEFAULT_PLAN_FILE)
  return {
    root,
    active,
    planning: active && planning.on,
    planningReason: active ? planning.reason : 'disabled',
    dryRun: options.dryRun ?? readFlag(env, 'IMAGE_INVALIDATE_DRY_RUN', warnings) ?? false,
    strict: options.strict ?? false,
    publicDir: resolvePublicDir(root, options.publicDir ?? context.publicDir),
    include: toList(options.include),
    exclude: toList(options.exclude) ?? [],
    baseline: baseline.source,
    baselineGivenBy: baseline.givenBy,
    baselineTimeoutMs: resolveTimeout(options.baselineTimeoutMs, warnings),
    basePath,
    buildId: options.buildId ?? nonEmpty(env.VERCEL_DEPLOYMENT_ID) ?? `build_${randomUUID()}`,
    planFile,
    // CI and Vercel build from a fresh checkout, where every file has new stamps: a cache could never be
    // used there, and would only cost its reading and writing.
    cacheFile: (options.cache ?? !(env.CI || env.VERCEL)) ? path.join(path.dirname(planFile), 'hashes.json') : null,
    baselineHeaders: protectionBypassHeaders(env),
    remote: context.notOptimized ? null : resolveRemote(options, context.remote),
    warnings,
  }
}

const REMOTE_DEFAULTS = { budgetMs: 5_000, requestTimeoutMs: 3_000, concurrency: 32 }

/** The remote images step of this build, or null when it has none. */
function resolveRemote(options: Options, source: RemoteImagesSource | undefined): ResolvedRemoteOptions | null {
  if (!source || options.remoteImages === false) return null
  const given = typeof options.remoteImages === 'object' ? options.remoteImages : {}
  return {
    source,
    watch: given.watch ?? [],
    budgetMs: given.budgetMs ?? REMOTE_DEFAULTS.budgetMs,
    requestTimeoutMs: Math.min(given.requestTimeoutMs ?? REMOTE_DEFAULTS.requestTimeoutMs, given.budgetMs ?? Infinity),
    concurrency: given.concurrency ?? REMOTE_DEFAULTS.concurrency,
    allowLocalIP: given.dangerouslyAllowLocalIP ?? source.allowLocalIP ?? false,
  }
}

/** The option, else the bundler's; a prefix that is not a valid basePath is '' and a warning. */
function resolveBasePath(options: Options, context: BuildContext, warnings: string[]): string {
  if (options.basePath === undefined && context.basePathUnknown) {
    warnings.push(`${context.basePathUnknown}: the images are keyed as if served at the root; set the basePath option (e.g. basePath: '/docs') if they are not`)
  }
  const basePath = options.basePath ?? context.basePath ?? ''
  const problem = basePathProblem(basePath)
  if (!problem) return basePath
  warnings.push(`basePath ${JSON.stringify(basePath)} ${problem}; using "" instead`)
  return ''
}

/**
 * The baseline to load: given (the option, else `IMAGE_INVALIDATE_BASELINE`; `false` for none), else the
 * production site's manifest. `explicit` is what was given, `givenBy` who gave it.
 */
function resolveBaseline(options: Options, env: Env, root: string, basePath: string, warnings: string[]) {
  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  const explicit = options.baseline ?? nonEmpty(env.IMAGE_INVALIDATE_BASELINE)
  let givenBy: ResolvedBuildOptions['baselineGivenBy'] = null
  if (typeof options.baseline === 'string') givenBy = 'the baseline option'
  else if (options.baseline === undefined && explicit) givenBy = 'IMAGE_INVALIDATE_BASELINE'
  let source: string | null = null
  if (typeof explicit === 'string') source = isUrl(explicit) ? explicit : path.resolve(root, explicit)
  else if (explicit === undefined && siteUrl) source = manifestUrl(siteUrl, basePath)
  return { source, givenBy, explicit } as const
}

/** Whether this build compares and plans, and why, for the summary. */
function decidePlanning(options: Options, flag: boolean | undefined, env: Env, baseline: string | false | undefined): { on: boolean; reason: string } {
  if (options.enabled === true) return { on: true, reason: 'enabled by option' }
  if (flag === true) return { on: true, reason: 'IMAGE_INVALIDATE is on' }
  if (env.VERCEL_ENV === 'production') return { on: true, reason: 'Vercel production build' }
  if (typeof baseline === 'string') return { on: true, reason: 'a baseline was given' }
  if (env.VERCEL_ENV) return { on: false, reason: `Vercel ${env.VERCEL_ENV} build: nothing planned (IMAGE_INVALIDATE=1 plans here too)` }
  return { on: false, reason: 'not a Vercel production build: nothing planned (IMAGE_INVALIDATE=1 plans here too)' }
}

const DEFAULT_BASELINE_TIMEOUT_MS = 10_000

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
