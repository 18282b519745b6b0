/**
 * The code an error of this package carries, stable across releases: match on it, not on the message. Those
 * this package uses:
 * - `STRICT_MODE`: the plugin stopped a build that `strict: true` asked it to stop.
 * - `MANIFEST_INVALID`: a manifest is not what this package writes (`parseManifest`).
 * - `MANIFEST_UNAVAILABLE`: a deployment's or a named manifest could not be had (missing, unreadable, no URL).
 * - `NO_PLAN`: no manifest of the deployment going live (D) was found.
 * - `NO_TOKEN`, `TOKEN_UNUSABLE`, `NO_PROJECT`, `API_URL_REFUSED`: phase 2 cannot reach the API as configured.
 * - `VERCEL_API`: Vercel answered with an error status (`status` and Vercel's own `vercelCode` beside it).
 * - `VERCEL_RESPONSE`: a success whose body is not the JSON the endpoint documents.
 * - `VERCEL_TRANSPORT`: no usable answer (refused, reset, timed out, or 429/5xx after every retry).
 * - `BODY_TOO_LARGE`: an answer larger than this package reads.
 * - `DEPLOYMENT_FAILED`, `DEPLOYMENT_GONE`, `ALIAS_ERROR`, `WAIT_TIMEOUT`: the deployment will not go live, or
 *   did not within the time given; nothing was sent.
 * - `NOTHING_TO_WATCH`: nothing tells when D is live, and nothing may be sent before (a usage error).
 * - `USAGE`: the command line is wrong.
 * - `HASH_THREAD`: a hashing thread stopped early.
 * - `UNEXPECTED`: anything else (a bug: please report it).
 */
export type ImageInvalidateErrorCode = `IMAGE_INVALIDATE_${string}`

/**
 * The one base of this package's errors, as undici's: a stable `code` (`IMAGE_INVALIDATE_…`) to match on, and
 * a message for people, which may be reworded in any release. Expected outcomes (a first deploy with no
 * baseline, a rolling release still moving traffic) are results, not errors.
 */
export class ImageInvalidateError extends Error {
  override name = 'ImageInvalidateError'
  constructor(
    readonly code: ImageInvalidateErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** A failure as a report carries it: the stable code, and the sentence for people. */
export interface Failure {
  code: ImageInvalidateErrorCode
  message: string
}

/** Any thrown value as a failure: this package's errors keep their code; anything else is unexpected. */
export function failureOf(error: unknown): Failure {
  if (error instanceof ImageInvalidateError) return { code: error.code, message: error.message }
  return { code: 'IMAGE_INVALIDATE_UNEXPECTED', message: error instanceof Error ? error.message : String(error) }
}
