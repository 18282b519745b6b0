// Which remote source images Vercel optimizes: those the app's image config allows. Next.js checks a URL
// against `images.remotePatterns` and `images.domains` (next/dist/shared/lib/match-remote-pattern.js), and
// Vercel's Build Output API takes the same shape in `config.json` `images`. A URL that no rule allows is not
// optimized, so no variant of it is cached and nothing is sent for it.
import { createRequire } from 'node:module'
import type picomatchType from 'picomatch'
import { isRecord } from './json.js'

/** One entry of `images.remotePatterns`, as Next.js and Vercel's Build Output `images` config take it. */
export interface RemotePattern {
  /** `http` or `https`; any when absent. */
  protocol?: string
  /** A host, or a glob of hosts (`*.example.com` one label, `**.example.com` any number). Required. */
  hostname: string
  /** The port as the URL writes it (`''` for the default one); any when absent. */
  port?: string
  /** A glob of paths (`/assets/**`); any when absent. */
  pathname?: string
  /** The query exactly, `?` included (`?v=1`); any when absent. */
  search?: string
}

/** What the app's image config allows: `remotePatterns`, and the older `domains` (exact hosts). */
export interface RemoteImageRules {
  remotePatterns: RemotePattern[]
  domains: string[]
}

const loadPicomatch = () => createRequire(import.meta.url)('picomatch') as typeof picomatchType

/** A compiled glob per pattern string: the same patterns are tried on every URL of a site. */
const globs = new Map<string, RegExp>()
function globOf(pattern: string, dot: boolean): RegExp {
  const key = `${dot ? 'd' : 'n'}${pattern}`
  let regex = globs.get(key)
  if (!regex) {
    regex = loadPicomatch().makeRe(pattern, dot ? { dot: true } : {})
    globs.set(key, regex)
  }
  return regex
}

/** Whether `url` matches `pattern`, as Next.js's `matchRemotePattern` decides it. */
export function matchesRemotePattern(pattern: RemotePattern, url: URL): boolean {
  if (pattern.protocol !== undefined && pattern.protocol.replace(/:$/, '') !== url.protocol.replace(/:$/, '')) return false
  if (pattern.port !== undefined && pattern.port !== url.port) return false
  if (!globOf(pattern.hostname, false).test(url.hostname)) return false
  if (pattern.search !== undefined && pattern.search !== url.search) return false
  return globOf(pattern.pathname ?? '**', true).test(url.pathname)
}

/** Whether the app's image config lets Vercel optimize the remote image at `url`. */
export function isAllowedRemoteImage(rules: RemoteImageRules, url: URL): boolean {
  return rules.domains.includes(url.hostname) || rules.remotePatterns.some((pattern) => matchesRemotePattern(pattern, url))
}

/**
 * The rules of an image config of unknown shape (a Next.js config's `images`, Vercel's `config.json`
 * `images`, an option): `remotePatterns` entries as objects or URLs (Next.js 15.3+ takes
 * `new URL('https://cdn.example.com/**')`, read by its fields as Next.js reads it), and `domains`. What cannot be read is named in `warnings` and
 * left out, so that a bad entry allows nothing rather than everything.
 */
export function readRemoteImageRules(images: unknown, warnings: string[]): RemoteImageRules {
  const rules: RemoteImageRules = { remotePatterns: [], domains: [] }
  if (images === undefined || images === null) return rules
  if (!isRecord(images)) {
    warnings.push(`the image config is not an object; no remote image is allowed`)
    return rules
  }
  const { remotePatterns = [], domains = [] } = images
  if (Array.isArray(remotePatterns)) {
    for (const [index, entry] of remotePatterns.entries()) {
      const pattern = readRemotePattern(entry)
      if (typeof pattern === 'string') warnings.push(`images.remotePatterns[${index}] ${pattern}; left out`)
      else rules.remotePatterns.push(pattern)
    }
  } else warnings.push('images.remotePatterns is not a list; left out')
  if (Array.isArray(domains)) {
    for (const [index, domain] of domains.entries()) {
      if (typeof domain === 'string' && domain) rules.domains.push(domain)
      else warnings.push(`images.domains[${index}] is not a host name; left out`)
    }
  } else warnings.push('images.domains is not a list; left out')
  return rules
}

/** One pattern, or why it cannot be read. */
function readRemotePattern(entry: unknown): RemotePattern | string {
  // Next.js reads a URL entry by its fields, as it reads an object: `search` is then '' (no query allowed).
  const fields =
    entry instanceof URL ? { protocol: entry.protocol, hostname: entry.hostname, port: entry.port, pathname: entry.pathname, search: entry.search } : entry
  if (!isRecord(fields)) return 'is neither an object nor a URL'
  if (typeof fields.hostname !== 'string' || !fields.hostname) return 'has no hostname'
  const pattern: RemotePattern = { hostname: fields.hostname }
  for (const key of ['protocol', 'port', 'pathname', 'search'] as const) {
    const value = fields[key]
    if (value === undefined) continue
    if (typeof value !== 'string') return `has a ${key} that is not a string`
    pattern[key] = value
  }
  if (pattern.protocol !== undefined) {
    pattern.protocol = pattern.protocol.replace(/:$/, '')
    if (pattern.protocol !== 'http' && pattern.protocol !== 'https') return `has protocol ${JSON.stringify(pattern.protocol)}, not http or https`
  }
  return pattern
}
