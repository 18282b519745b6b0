/**
 * Keys name images by their URL path below the public directory: `/images/my photo.png`. They are what a
 * `src` prop holds (less `basePath`), so they use POSIX separators and are not percent-encoded.
 */

/** Vercel refuses source images longer than this. */
export const MAX_SOURCE_IMAGE_LENGTH = 8192

/** The one ordering used for keys and source images everywhere: by UTF-16 code unit, locale-free. */
export function compareKeys(a: string, b: string): number {
  if (a < b) return -1
  return a > b ? 1 : 0
}

/**
 * Sorts keys in place in the order of `compareKeys`: the default sort compares strings by UTF-16 code
 * units, which is that order, without a call back into JavaScript per comparison (4 against 7 ms for 20,000).
 */
export function sortKeys(keys: string[]): string[] {
  return keys.sort()
}

/** Why `key` is not a safe image key, or undefined when it is one. */
export function keyProblem(key: string, maxLength = MAX_SOURCE_IMAGE_LENGTH): string | undefined {
  if (!key.startsWith('/')) return 'is not an absolute path'
  if (key.length > maxLength) return `is longer than ${maxLength} characters`
  // eslint-disable-next-line no-control-regex -- control characters are what this pattern looks for
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'contains a control character or a backslash'
  const segments = key.slice(1).split('/')
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'contains an empty, "." or ".." segment'
  }
  return undefined
}

/** Why `basePath` is not a Next.js-style base path ('' or '/docs'), or undefined when it is one. */
export function basePathProblem(basePath: string): string | undefined {
  if (basePath === '') return undefined
  if (basePath.endsWith('/')) return 'must not end with "/"'
  return keyProblem(basePath)
}
