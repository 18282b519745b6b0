import type { Options } from '../types.js'

const isBoolean = { is: (value: unknown) => typeof value === 'boolean', expected: 'true or false' }
const isString = { is: (value: unknown) => typeof value === 'string', expected: 'a string' }
const isGlobs = {
  is: (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.every((glob) => typeof glob === 'string')),
  expected: 'a glob or a list of globs',
}

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
  remoteImages: { is: (value) => typeof value === 'boolean' || isRemoteImagesOptions(value), expected: 'true, false or an object of remote image options' },
}

const REMOTE_OPTION_TYPES: Record<string, (value: unknown) => boolean> = {
  watch: (value) => Array.isArray(value) && value.every((entry) => typeof entry === 'string'),
  budgetMs: (value) => typeof value === 'number' && value > 0,
  requestTimeoutMs: (value) => typeof value === 'number' && value > 0,
  concurrency: (value) => Number.isInteger(value) && (value as number) >= 1,
  dangerouslyAllowLocalIP: (value) => typeof value === 'boolean',
}

function isRemoteImagesOptions(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.entries(value).every(([key, item]) => item === undefined || REMOTE_OPTION_TYPES[key]?.(item) === true)
}

/** The options whose values have their documented type; the others are named in `warnings` and left out. */
export function readableOptions(options: Options | null | undefined, warnings: string[]): Options {
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

/** A glob option as a list: `include: '*.png'` is `['*.png']`. */
export function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value : [value]
}
