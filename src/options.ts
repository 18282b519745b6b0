import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { basePathProblem } from './core/keys.js'
import { MANIFEST_FILE_NAME } from './core/manifest.js'
import type { Options } from './types.js'
import type { VercelTarget } from './vercel/client.js'

export type { Options }

export const DEFAULT_PLAN_FILE = 'node_modules/.cache/unplugin-image-invalidate/plan.json'

type Env = Readonly<Record<string, string | undefined>>

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
  /** Sent as `x-vercel-protection-bypass` when fetching from a protected deployment. */
  protectionBypass: string | undefined
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
    else if (siteUrl) baseline = `${siteUrl}${basePath}/${MANIFEST_FILE_NAME}`
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
    protectionBypass: nonEmpty(env.VERCEL_AUTOMATION_BYPASS_SECRET),
    warnings,
  }
}

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
  if (config.base.startsWith('/')) return { basePath: config.base.replace(/\/+$/, '') }
  return { basePath: '', basePathUnknown: `Vite base ${JSON.stringify(config.base)} is relative or a full URL, so the URL prefix of the images is unknown` }
}

export const DEFAULT_BASELINE_TIMEOUT_MS = 10_000

const isBoolean = { is: (value: unknown) => typeof value === 'boolean', expected: 'true or false' }
const isString = { is: (value: unknown) => typeof value === 'string', expected: 'a string' }
const isGlobs = { is: (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.every((glob) => typeof glob === 'string')), expected: 'a glob or a list of globs' }

/** The type of each option, as its documentation says. */
const OPTION_TYPES: Record<keyof Options, { is: (value: unknown) => boolean; expected: string }> = {
  enabled: isBoolean,
  dryRun: isBoolean,
  strict: isBoolean,
  cache: isBoolean,
  publicDir: { is: (value) => typeof value === 'string' || value === false, expected: 'a folder or false' },
  include: isGlobs,
  exclude: isGlobs,
  baseline: { is: (value) => typeof value === 'string' || value === false, expected: 'a URL, a file or false' },
  baselineTimeoutMs: { is: (value) => typeof value === 'number', expected: 'a number of milliseconds' },
  siteUrl: isString,
  basePath: isString,
  buildId: isString,
  planFile: isString,
}

/** The options whose values have their documented type; the others are named in `warnings` and left out. */
function readableOptions(options: Options | null | undefined, warnings: string[]): Options {
  const readable: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options ?? {})) {
    const type = OPTION_TYPES[name as keyof Options] as (typeof OPTION_TYPES)[keyof Options] | undefined
    if (value === undefined || !type || type.is(value)) readable[name] = value
    else warnings.push(`option ${name}: ${describeValue(value)} is not ${type.expected}; ignored`)
  }
  return readable as Options
}

function describeValue(value: unknown): string {
  const text = typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value))
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

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

const ON = new Set(['1', 'true', 'on', 'yes'])
const OFF = new Set(['0', 'false', 'off', 'no'])

/** Reads an on/off environment flag: true, false, or undefined when unset or not understood. */
export function readFlag(env: Env, name: string, warnings: string[]): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return undefined
  if (ON.has(raw)) return true
  if (OFF.has(raw)) return false
  warnings.push(`${name}=${JSON.stringify(env[name])} is not one of 1/true/on or 0/false/off; ignored`)
  return undefined
}

/** The production origin without a trailing slash, from an option or variable, or `VERCEL_PROJECT_PRODUCTION_URL`. */
export function resolveSiteUrl(given: string | undefined, env: Env, warnings: string[]): string | undefined {
  const raw = nonEmpty(given) ?? nonEmpty(env.VERCEL_PROJECT_PRODUCTION_URL)
  if (!raw) return undefined
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`
  try {
    const url = new URL(withScheme)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)')
    return url.origin
  } catch {
    warnings.push(`site URL ${JSON.stringify(raw)} is not an http(s) URL; ignored`)
    return undefined
  }
}

export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value)
}

function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value : [value]
}

function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined
}

/** `.vercel/project.json`, written by `vercel link`: the project and its owner (a `team_` id is a team). */
export interface VercelProjectLink {
  projectId?: string
  orgId?: string
}

export function readVercelProjectLink(root: string): VercelProjectLink {
  try {
    const data: unknown = JSON.parse(readFileSync(path.join(root, '.vercel', 'project.json'), 'utf8'))
    if (typeof data !== 'object' || data === null) return {}
    const { projectId, orgId } = data as Record<string, unknown>
    return {
      projectId: typeof projectId === 'string' ? projectId : undefined,
      orgId: typeof orgId === 'string' ? orgId : undefined,
    }
  } catch {
    return {}
  }
}

export interface VercelTargetInput {
  token?: string
  projectId?: string
  teamId?: string
  teamSlug?: string
  apiUrl?: string
}

export const DEFAULT_API_URL = 'https://api.vercel.com'

/**
 * The project, token and API origin for phase 2: options > environment > `.vercel/project.json`.
 * Returns the problem, in one sentence that never contains the token, when something is missing.
 */
export function resolveVercelTarget(
  input: VercelTargetInput,
  root: string,
  env: Env = process.env,
): VercelTarget | { problem: string } {
  const link = readVercelProjectLink(root)
  const token = nonEmpty(input.token) ?? nonEmpty(env.VERCEL_TOKEN)
  if (!token) return { problem: 'no Vercel token: set VERCEL_TOKEN (an access token with access to the project)' }
  // A token with a line break or space (a bad copy-paste) cannot go in a header; say so without echoing it.
  if (!/^[\x21-\x7e]+$/.test(token)) return { problem: 'the Vercel token contains spaces or characters that cannot be sent in a header' }
  const projectId = nonEmpty(input.projectId) ?? nonEmpty(env.VERCEL_PROJECT_ID) ?? link.projectId
  if (!projectId) return { problem: 'no Vercel project: set VERCEL_PROJECT_ID, or run `vercel link` to write .vercel/project.json' }
  const apiUrl = nonEmpty(input.apiUrl) ?? nonEmpty(env.IMAGE_INVALIDATE_API_URL) ?? DEFAULT_API_URL
  const problem = apiUrlProblem(apiUrl)
  if (problem) return { problem }
  return { token, projectId, ...resolveTeam(input, env, link), apiUrl: new URL(apiUrl).origin }
}

/**
 * The team the API calls act for. A team given by option or `VERCEL_TEAM_ID` is an id when it starts with
 * `team_`, else a slug (as `vercel --scope` takes it); then a `team_` orgId; an orgId that is not a team is
 * a personal account, for which neither may be sent.
 */
function resolveTeam(input: VercelTargetInput, env: Env, link: VercelProjectLink): Pick<VercelTarget, 'teamId' | 'teamSlug'> {
  const given = nonEmpty(input.teamId) ?? nonEmpty(env.VERCEL_TEAM_ID)
  if (given) return given.startsWith('team_') ? { teamId: given } : { teamSlug: given }
  const teamId = teamOf(nonEmpty(env.VERCEL_ORG_ID) ?? link.orgId)
  return teamId ? { teamId } : { teamSlug: nonEmpty(input.teamSlug) }
}

/**
 * The team an `orgId` (`VERCEL_ORG_ID`, `.vercel/project.json`) names: a `team_…` id is a team; anything
 * else is a personal account, for which no `teamId` may be sent.
 */
export function teamOf(orgId: string | undefined): string | undefined {
  return orgId?.startsWith('team_') ? orgId : undefined
}

/** The token travels to the API origin: it must be HTTPS, or a loopback address for tests and stand-ins. */
function apiUrlProblem(apiUrl: string): string | undefined {
  let url: URL
  try {
    url = new URL(apiUrl)
  } catch {
    return `API URL ${JSON.stringify(apiUrl)} is not a URL`
  }
  if (url.protocol === 'https:') return undefined
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname)
  if (url.protocol === 'http:' && loopback) return undefined
  return `API URL ${url.origin} is refused: the token is only sent over https:// (or http:// to a loopback address)`
}
