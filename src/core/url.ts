/** The two small rules for URLs that both phases follow. */

/** Whether a value names an `http(s)://` URL rather than a file. */
export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value)
}

/** A URL or base path without its trailing slashes: `/docs/` is `/docs`, `/` is ''. */
export function withoutTrailingSlashes(value: string): string {
  return value.replace(/\/+$/, '')
}
