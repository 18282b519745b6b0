/**
 * The one base of this package's errors, as undici's: a stable `code` (`IMAGE_INVALIDATE_…`) to match on, and
 * a message for people, which may be reworded in any release. Expected outcomes (a first deploy with no
 * baseline, a rolling release still moving traffic) are results, not errors.
 */
export class ImageInvalidateError extends Error {
  override name = 'ImageInvalidateError'
  constructor(
    readonly code: `IMAGE_INVALIDATE_${string}`,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}
