/** What both phases read from the environment and from values given as text. */

export type Env = Readonly<Record<string, string | undefined>>

/** Where a build keeps a copy of its manifest and plan for `image-invalidate apply`, below the project root. */
export const DEFAULT_PLAN_FILE = 'node_modules/.cache/unplugin-image-invalidate/plan.json'

const ON = new Set(['1', 'true', 'on', 'yes'])
const OFF = new Set(['0', 'false', 'off', 'no'])

/** Reads an on/off environment flag: true, false, or undefined when unset or not understood (said in `warnings`). */
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

/**
 * The header that lets a request through Vercel's deployment protection, when
 * `VERCEL_AUTOMATION_BYPASS_SECRET` is set; no header otherwise.
 */
export function protectionBypassHeaders(env: Env): Record<string, string> {
  const secret = nonEmpty(env.VERCEL_AUTOMATION_BYPASS_SECRET)
  return secret ? { 'x-vercel-protection-bypass': secret } : {}
}

/** The value trimmed, or undefined when it is empty or only spaces. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value?.trim() ? value.trim() : undefined
}
