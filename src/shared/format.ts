/** How every line this package prints reads. */

/** Every line through a bundler's logger starts with it. */
export const LOG_PREFIX = '[image-invalidate]'

/** The few logger calls the plugin needs; every bundler's logger (and `console`) has them. */
export interface Logger {
  info(message: string): void
  warn(message: string): void
}

/** For frameworks that hand the plugin no logger of their own (Next.js, Nuxt): stdout and stderr. */
export const consoleLogger: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(message),
}

/** For loggers that name the plugin themselves (rollup's plugin context, webpack's infrastructure logger, Astro's). */
export function withoutPrefix(logger: Logger): Logger {
  const strip = (message: string) => message.replace(`${LOG_PREFIX} `, '')
  return { info: (message) => logger.info(strip(message)), warn: (message) => logger.warn(strip(message)) }
}

/**
 * At most `max` items, then how many more: `a, b, c and 38 more`. A warning in a CI log stays readable
 * however many items there are; the full list goes where it is read by tools (`--json`, the plan).
 */
export function listSome(items: readonly string[], max = 5, maxItemLength = 120): string {
  const shown = items.slice(0, max).map((item) => (item.length > maxItemLength ? `${item.slice(0, maxItemLength - 3)}...` : item))
  return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ')
}

/** `1 call`, `3 calls`, `1 source image`; `plural` where adding an s will not do (`1 entry`, `2 entries`). */
export function countOf(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`
  return `${Math.round(ms / 6000) / 10} min`
}

/** A function that replaces each secret in a text: the token must never reach any output. */
export function redactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const values = secrets.map((secret) => secret?.trim()).filter((secret): secret is string => Boolean(secret && secret.length >= 4))
  return (text) => values.reduce((result, secret) => result.split(secret).join('[redacted]'), text)
}

/** A deep copy of a report (plain JSON data) with every string through `redact`: what a caller gets back. */
export function redactedCopy<T>(report: T, redact: (text: string) => string): T {
  return JSON.parse(JSON.stringify(report), (_key, item: unknown) => (typeof item === 'string' ? redact(item) : item)) as T
}

/**
 * What every output of this package is scrubbed of: the secrets a caller gave (a token, a route's secret)
 * and every one the environment may hold for it (the token, the bypass secret, the webhooks' and the cron
 * route's). The one list, for the CLI, `apply`, the routes and the commands alike.
 */
export function secretRedactor(env: Record<string, string | undefined>, given: ReadonlyArray<string | undefined> = []): (text: string) => string {
  const known = [env.VERCEL_TOKEN, env.VERCEL_AUTOMATION_BYPASS_SECRET, env.CRON_SECRET, env.IMAGE_INVALIDATE_WEBHOOK_SECRET, env.IMAGE_INVALIDATE_ASSET_SECRET]
  return redactor([...given, ...known])
}

/** A route handler's lines: what went well, and what failed or was refused. */
export interface RouteLog {
  info(text: string): void
  error(text: string): void
}

/**
 * Where a route handler's lines go, each scrubbed and named (`[image-invalidate] <name> …`): by default
 * stdout and stderr, which Vercel's function logs and `next start` show; `log`, when given, takes both.
 */
export function createRouteLog(name: string, scrub: (text: string) => string, log?: (line: string) => void): RouteLog {
  const line = (text: string) => scrub(`${LOG_PREFIX} ${name} ${text}`)
  if (log) return { info: (text) => log(line(text)), error: (text) => log(line(text)) }
  return { info: (text) => console.log(line(text)), error: (text) => console.error(line(text)) }
}
