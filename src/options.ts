import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { basePathProblem } from './core/keys.js'
import { MANIFEST_FILE_NAME } from './core/manifest.js'
import type { Options } from './types.js'

export type { Options }

export const DEFAULT_PLAN_FILE = 'node_modules/.cache/unplugin-image-invalidate/plan.json'

type Env = Readonly<Record<string, string | undefined>>

/** What the bundler knows and the options may override. */
export interface BuildContext {
  root: string
  /** `false`: the bundler serves no public directory (Vite `publicDir: false`). */
  publicDir?: string | false
  basePath?: string
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
  basePath: string
  buildId: string
  planFile: string
  /** Sent as `x-vercel-protection-bypass` when fetching from a protected deployment. */
  protectionBypass: string | undefined
  /** Problems with options or flags that were worked around. */
  warnings: string[]
}

/** Resolves build options: plugin options > environment flags > the bundler's own config > defaults. */
export function resolveBuildOptions(options: Options, context: BuildContext): ResolvedBuildOptions {
  const env = context.env ?? process.env
  const warnings: string[] = []
  const root = path.resolve(context.root)
  const flag = readFlag(env, 'IMAGE_INVALIDATE', warnings)
  const active = options.enabled !== false && flag !== false

  let basePath = options.basePath ?? context.basePath ?? ''
  const problem = basePathProblem(basePath)
  if (problem) {
    warnings.push(`basePath ${JSON.stringify(basePath)} ${problem}; using "" instead`)
    basePath = ''
  }

  const siteUrl = resolveSiteUrl(options.siteUrl ?? env.IMAGE_INVALIDATE_SITE_URL, env, warnings)
  const explicitBaseline = options.baseline ?? nonEmpty(env.IMAGE_INVALIDATE_BASELINE)
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
    basePath,
    buildId: options.buildId ?? nonEmpty(env.VERCEL_DEPLOYMENT_ID) ?? `build_${randomUUID()}`,
    planFile: path.resolve(root, options.planFile ?? DEFAULT_PLAN_FILE),
    protectionBypass: nonEmpty(env.VERCEL_AUTOMATION_BYPASS_SECRET),
    warnings,
  }
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
